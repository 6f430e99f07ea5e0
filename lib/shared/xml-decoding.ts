/**
 * Bytes of someone else's feed -> text, the way XML says a reader must: XML 1.0 §4.3.3 makes
 * every processor read UTF-8 and UTF-16, Appendix F finds the encoding from a byte order mark or
 * the first bytes and then the XML declaration, and RFC 7303 §3.2 puts a BOM first, then the
 * charset of the Content-Type, then the declaration, then UTF-8.
 *
 * Single-byte Latin encodings are common in old feeds ("ISO-8859-1" declared, Windows-1252 bytes
 * sent), so ISO-8859-1, Latin-1, US-ASCII and Windows-1252 are all read as Windows-1252, as the
 * WHATWG Encoding standard has browsers do. Other encodings are read when the runtime's TextDecoder
 * knows them. Readers are lenient (the brief): a byte that is not valid in its encoding becomes
 * U+FFFD rather than failing the whole feed.
 *
 * One exception, as lxml, expat and feedparser read it: a UTF-8 byte order mark in front of bytes that
 * are not UTF-8 (an editor that added the mark to a Latin-1 file). Those bytes are read in the encoding
 * the XML declaration or the Content-Type names, else Windows-1252, and the result says so (`note`)
 * instead of turning every accented letter into U+FFFD.
 */
import { err, ok, type Result } from "./result.ts";

export type FeedEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252" | string;

/** Windows-1252 bytes 0x80-0x9F (the rest of the range is Latin-1 = the byte's code point). */
const CP1252_HIGH = [
  0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
];

const WINDOWS_1252_LABELS = new Set(["iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1", "us-ascii", "ascii", "windows-1252", "cp1252", "x-cp1252"]);

function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chunk: number[] = [];
  for (const byte of bytes) {
    chunk.push(byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80]! : byte);
    if (chunk.length === 8192) parts.push(String.fromCharCode(...chunk.splice(0)));
  }
  parts.push(String.fromCharCode(...chunk));
  return parts.join("");
}

function decodeUtf16(bytes: Uint8Array, bigEndian: boolean): string {
  if (!bigEndian) return new TextDecoder("utf-16le").decode(bytes);
  const swapped = new Uint8Array(bytes.length - (bytes.length % 2));
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    swapped[i] = bytes[i + 1]!;
    swapped[i + 1] = bytes[i]!;
  }
  return new TextDecoder("utf-16le").decode(swapped);
}

/** The charset parameter of a Content-Type header, lower-cased, if any. */
export function charsetOf(contentType: string | null | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? "");
  return match ? match[1]!.toLowerCase() : undefined;
}

/** The encoding named by `<?xml ... encoding="..."?>` at the very start (read as ASCII). */
function declaredEncoding(bytes: Uint8Array): string | undefined {
  const head = String.fromCharCode(...bytes.subarray(0, Math.min(bytes.length, 200)));
  const match = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/.exec(head);
  return match ? match[1]!.toLowerCase() : undefined;
}

function detect(bytes: Uint8Array, contentType?: string | null): { encoding: string; skip: number; bom?: true } {
  const [b0, b1, b2] = [bytes[0], bytes[1], bytes[2]];
  // Appendix F: byte order marks, then the bytes of "<?" in UTF-16 without a BOM.
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { encoding: "utf-8", skip: 3, bom: true };
  if (b0 === 0xff && b1 === 0xfe) return { encoding: "utf-16le", skip: 2 };
  if (b0 === 0xfe && b1 === 0xff) return { encoding: "utf-16be", skip: 2 };
  if (b0 === 0x3c && b1 === 0x00 && b2 === 0x3f) return { encoding: "utf-16le", skip: 0 };
  if (b0 === 0x00 && b1 === 0x3c && bytes[3] === 0x3f) return { encoding: "utf-16be", skip: 0 };
  const external = charsetOf(contentType);
  const named = external ?? declaredEncoding(bytes) ?? "utf-8";
  if (named === "utf-16") return { encoding: "utf-16be", skip: 0 };
  return { encoding: named === "utf8" ? "utf-8" : named, skip: 0 };
}

export interface DecodedXml {
  text: string;
  encoding: FeedEncoding;
  /** Set when the bytes were not what they said they were and how they were read instead (one line). */
  note?: string;
}

/** Decode a fetched feed; an error only for an encoding this runtime cannot read at all. */
export function decodeXmlBytes(bytes: Uint8Array, contentType?: string | null): Result<DecodedXml> {
  const { encoding, skip, bom } = detect(bytes, contentType);
  const body = bytes.subarray(skip);
  if (encoding === "utf-8" && bom) return decodeAfterUtf8Bom(body, contentType);
  return decodeAs(encoding, body);
}

function decodeAs(encoding: string, body: Uint8Array): Result<DecodedXml> {
  if (encoding === "utf-8") return ok({ text: new TextDecoder("utf-8").decode(body), encoding });
  if (encoding === "utf-16le" || encoding === "utf-16be") return ok({ text: decodeUtf16(body, encoding === "utf-16be"), encoding });
  if (WINDOWS_1252_LABELS.has(encoding)) return ok({ text: decodeWindows1252(body), encoding: "windows-1252" });
  try {
    return ok({ text: new TextDecoder(encoding).decode(body), encoding });
  } catch {
    return err(`the feed is in the ${encoding} encoding, which Skein cannot read (UTF-8, UTF-16 and Latin-1 can be read)`);
  }
}

/**
 * After a UTF-8 byte order mark: UTF-8 when the bytes are UTF-8 (nearly always); otherwise the
 * single-byte encoding the declaration or the Content-Type names (UTF-16 cannot follow a UTF-8
 * mark), else Windows-1252 -- the reading lxml, expat and feedparser give such a file.
 */
function decodeAfterUtf8Bom(body: Uint8Array, contentType?: string | null): Result<DecodedXml> {
  try {
    return ok({ text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body), encoding: "utf-8" });
  } catch {
    // RFC 7303 §3.2's order, skipping what the mark already proved wrong.
    const named = [charsetOf(contentType), declaredEncoding(body)].find((name) => name !== undefined && !/^utf-?(8|16)/.test(name));
    const declared = named === undefined ? undefined : decodeAs(named, body);
    if (declared?.ok) return withNote(declared, `${declared.value.encoding}, the encoding its Content-Type or XML declaration names`);
    return withNote(decodeAs("windows-1252", body), "windows-1252");
  }
}

function withNote(decoded: Result<DecodedXml>, how: string): Result<DecodedXml> {
  if (!decoded.ok) return decoded;
  return ok({ ...decoded.value, note: `the feed starts with a UTF-8 byte order mark but its bytes are not UTF-8: read as ${how}` });
}
