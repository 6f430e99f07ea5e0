// Bytes of someone else's feed -> text, in every encoding XML requires a reader to read
// (lib/shared/xml-decoding.ts; XML 1.0 §4.3.3 and Appendix F, RFC 7303 §3.2).
import { describe, expect, it } from "vitest";
import { charsetOf, decodeXmlBytes } from "../../lib/shared/xml-decoding.ts";

const TEXT = '<?xml version="1.0"?><rss><channel><title>Café “quoted” — ok</title></channel></rss>';

function utf16(text: string, bigEndian: boolean, bom: boolean): Uint8Array {
  const bytes: number[] = bom ? (bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]) : [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes.push(...(bigEndian ? [unit >> 8, unit & 0xff] : [unit & 0xff, unit >> 8]));
  }
  return new Uint8Array(bytes);
}

describe("decodeXmlBytes", () => {
  it("reads UTF-8, with or without a BOM", () => {
    const bytes = new TextEncoder().encode(TEXT);
    expect(decodeXmlBytes(bytes)).toEqual({ ok: true, value: { text: TEXT, encoding: "utf-8" } });
    expect(decodeXmlBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]))).toEqual({ ok: true, value: { text: TEXT, encoding: "utf-8" } });
  });

  it.each([
    ["UTF-16LE with a BOM", utf16(TEXT, false, true)],
    ["UTF-16BE with a BOM", utf16(TEXT, true, true)],
    ["UTF-16LE without a BOM", utf16(TEXT, false, false)],
    ["UTF-16BE without a BOM", utf16(TEXT, true, false)],
  ])("reads %s", (_, bytes) => {
    const decoded = decodeXmlBytes(bytes);
    expect(decoded.ok && decoded.value.text).toBe(TEXT);
  });

  it("reads a declared ISO-8859-1 feed (as Windows-1252, as browsers do)", () => {
    const latin1 = '<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><title>Caf\u00e9 \u201cq\u201d</title></channel></rss>';
    const bytes = new Uint8Array([...latin1].map((c) => (c === "\u201c" ? 0x93 : c === "\u201d" ? 0x94 : c.charCodeAt(0))));
    const decoded = decodeXmlBytes(bytes);
    expect(decoded.ok && decoded.value).toEqual({ text: latin1, encoding: "windows-1252" });
  });

  it("lets the Content-Type's charset win over the declaration, and a BOM over both", () => {
    const bytes = new Uint8Array([...'<?xml version="1.0" encoding="UTF-8"?><t>\u00e9</t>'].map((c) => c.charCodeAt(0)));
    expect(decodeXmlBytes(bytes, "application/rss+xml; charset=iso-8859-1").ok && decodeXmlBytes(bytes, "text/xml; charset=ISO-8859-1")).toMatchObject({
      value: { text: '<?xml version="1.0" encoding="UTF-8"?><t>é</t>' },
    });
    expect(decodeXmlBytes(utf16("<t/>", false, true), "text/xml; charset=iso-8859-1")).toMatchObject({ value: { text: "<t/>", encoding: "utf-16le" } });
  });

  it("reads invalid UTF-8 leniently (U+FFFD), and says which encoding it cannot read", () => {
    expect(decodeXmlBytes(new Uint8Array([0x3c, 0x74, 0x3e, 0xff, 0x3c]))).toMatchObject({ value: { text: "<t>\ufffd<" } });
    expect(decodeXmlBytes(new TextEncoder().encode('<?xml version="1.0" encoding="x-klingon"?><t/>'))).toEqual({
      ok: false,
      error: "the feed is in the x-klingon encoding, which Skein cannot read (UTF-8, UTF-16 and Latin-1 can be read)",
    });
  });

  it("reads Latin-1 bytes behind a UTF-8 byte order mark as lxml, expat and feedparser do, and says so", () => {
    const latin1 = (text: string) => new Uint8Array([0xef, 0xbb, 0xbf, ...[...text].map((c) => (c === "\u2019" ? 0x92 : c.charCodeAt(0)))]);
    const declared = '<?xml version="1.0" encoding="ISO-8859-1"?><t>Caf\u00e9 \u00e0 l\u2019ouest</t>';
    expect(decodeXmlBytes(latin1(declared), "application/rss+xml; charset=utf-8")).toEqual({
      ok: true,
      value: {
        text: declared,
        encoding: "windows-1252",
        note: "the feed starts with a UTF-8 byte order mark but its bytes are not UTF-8: read as windows-1252, the encoding its Content-Type or XML declaration names",
      },
    });
    const undeclared = '<?xml version="1.0"?><t>na\u00efve</t>';
    expect(decodeXmlBytes(latin1(undeclared))).toEqual({
      ok: true,
      value: {
        text: undeclared,
        encoding: "windows-1252",
        note: "the feed starts with a UTF-8 byte order mark but its bytes are not UTF-8: read as windows-1252",
      },
    });
    const koi8 = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...new TextEncoder().encode('<?xml version="1.0" encoding="koi8-r"?><t>'),
      0xf0,
      0xd2,
      0xc9,
      0x3c,
      0x2f,
      0x74,
      0x3e,
    ]);
    expect(decodeXmlBytes(koi8)).toMatchObject({ value: { text: '<?xml version="1.0" encoding="koi8-r"?><t>\u041f\u0440\u0438</t>', encoding: "koi8-r" } });
  });

  it("finds the charset parameter of a Content-Type", () => {
    expect(charsetOf('application/rss+xml; Charset="UTF-16"')).toBe("utf-16");
    expect(charsetOf("text/xml")).toBeUndefined();
  });
});
