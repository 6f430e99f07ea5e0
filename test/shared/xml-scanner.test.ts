/**
 * lib/shared/xml-scanner.ts, the one XML tokenizer: the tokens and their offsets, empty-element tags,
 * attributes, lazy positions, and the guarantees both readers stand on (no DOCTYPE, bounded depth,
 * duplicate attributes found in linear time, raw characters XML forbids refused before a token holding
 * them is handed out, even when they are checked chunk by chunk).
 */
import { describe, expect, it } from "vitest";
import { scanXml, type XmlScanOptions, XmlSyntaxError, XmlToken } from "../../lib/shared/xml-scanner.ts";

const OPTIONS: XmlScanOptions = { subject: "document", maxDepth: 64 };

interface Seen {
  token: string;
  name?: string;
  value?: string;
  at: number;
  selfClosing?: boolean;
  attributes?: [string, string, number][];
}

/** Every token of a document, with what the scanner says about it. */
function tokens(xml: string, options: XmlScanOptions = OPTIONS): Seen[] {
  const scanner = scanXml(xml, options);
  const seen: Seen[] = [];
  for (;;) {
    const token = scanner.next();
    const entry: Seen = { token: XmlToken[token], at: scanner.at };
    if (token === XmlToken.End) return seen;
    if (token === XmlToken.StartElement) {
      entry.name = scanner.name;
      entry.selfClosing = scanner.selfClosing;
      entry.attributes = Array.from({ length: scanner.attributeCount }, (_, k) => [
        scanner.attributeNames[k]!,
        scanner.attributeValues[k]!,
        scanner.attributeOffsets[k]!,
      ]);
    } else if (token === XmlToken.EndElement) entry.name = scanner.name;
    else entry.value = scanner.value;
    seen.push(entry);
  }
}

function syntaxError(xml: string, options: XmlScanOptions = OPTIONS): XmlSyntaxError {
  try {
    tokens(xml, options);
  } catch (error) {
    expect(error).toBeInstanceOf(XmlSyntaxError);
    return error as XmlSyntaxError;
  }
  throw new Error("the scanner accepted the document");
}

describe("tokens", () => {
  it("gives each token its offset; an empty-element tag is followed by its end; comments and other PIs are skipped", () => {
    const xml = `<?xml version="1.0"?>\n<!-- c --><r a="1&amp;2"><?pi x?>t&lt;<e/><![CDATA[<x>]]></r>\n`;
    const at = (markup: string) => xml.indexOf(markup);
    expect(tokens(xml)).toEqual([
      { token: "Declaration", value: '<?xml version="1.0"', at: 0 },
      { token: "StartElement", name: "r", selfClosing: false, attributes: [["a", "1&2", at("a=")]], at: at("<r") },
      { token: "Text", value: "t<", at: at("t&lt;") },
      { token: "StartElement", name: "e", selfClosing: true, attributes: [], at: at("<e/>") },
      { token: "EndElement", name: "e", at: at("<e/>") },
      { token: "Cdata", value: "<x>", at: at("<![CDATA[") },
      { token: "EndElement", name: "r", at: at("</r>") },
    ]);
  });

  it("reads offsets in the normalized text (no BOM, CRLF as LF) and gives line and column only when asked", () => {
    const scanner = scanXml("\uFEFF<r>\r\n  <e\r\n b='x\ty'/></r>", OPTIONS);
    expect(scanner.src).toBe("<r>\n  <e\n b='x\ty'/></r>");
    expect(scanner.next()).toBe(XmlToken.StartElement);
    expect(scanner.next()).toBe(XmlToken.Text);
    expect(scanner.next()).toBe(XmlToken.StartElement);
    expect(scanner.position(scanner.at)).toEqual({ line: 2, column: 3 });
    expect(scanner.position(scanner.attributeOffsets[0]!)).toEqual({ line: 3, column: 2 });
    // XML 1.0 §3.3.3: white space in an attribute value reads as a space.
    expect(scanner.attributeValues[0]).toBe("x y");
    expect([scanner.next(), scanner.name, scanner.at]).toEqual([XmlToken.EndElement, "e", 6]);
  });

  it("reuses the attribute arrays: only the first attributeCount entries belong to the current tag", () => {
    const scanner = scanXml('<r a="1" b="2"><e c="3"/></r>', OPTIONS);
    scanner.next();
    expect(scanner.attributeCount).toBe(2);
    scanner.next();
    expect([scanner.attributeCount, scanner.attributeNames[0], scanner.attributeValues[0]]).toEqual([1, "c", "3"]);
  });

  it("stops when the caller stops pulling: what comes after is never read", () => {
    const scanner = scanXml("<r><a/>this is never reached: <<<&bogus; </wrong>", OPTIONS);
    expect([scanner.next(), scanner.next(), scanner.next()]).toEqual([XmlToken.StartElement, XmlToken.StartElement, XmlToken.EndElement]);
  });
});

describe("refusals", () => {
  it("a DOCTYPE anywhere, named with the scanner's subject", () => {
    expect(syntaxError('<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>').reason).toBe("<!DOCTYPE> is not allowed in a document (no DTDs, no custom entities)");
    expect(syntaxError("<r><!doctype r></r>", { ...OPTIONS, subject: "feed" }).reason).toMatch(/not allowed in a feed/);
  });

  it("nesting deeper than maxDepth, an empty-element tag included", () => {
    const limits = { ...OPTIONS, maxDepth: 3 };
    expect(tokens("<a><b><c/></b></a>", limits)).toHaveLength(6);
    expect(syntaxError("<a><b><c><d/></c></b></a>", limits).reason).toBe("elements are nested more than 3 deep");
  });

  it("a duplicate attribute among many (looked up in a Set past a few), and 50,000 distinct ones are read", () => {
    const many = Array.from({ length: 40 }, (_, i) => `a${i}="v"`);
    expect(syntaxError(`<r ${many.join(" ")} a3="again"/>`).reason).toBe("attribute a3 appears twice in <r>");
    expect(syntaxError(`<r a="1" a="2"/>`).reason).toBe("attribute a appears twice in <r>");
    const scanner = scanXml(`<r ${Array.from({ length: 50_000 }, (_, i) => `a${i}="v"`).join(" ")}/>`, OPTIONS);
    scanner.next();
    expect(scanner.attributeCount).toBe(50_000);
  });

  it("end tags that do not match name the line of the start tag; an unclosed element says where it starts", () => {
    expect(syntaxError("<r>\n<a>\n</b></r>")).toMatchObject({ reason: "</b> does not match <a> of line 2", line: 3, column: 1 });
    expect(syntaxError("<r>\n<a>\n")).toMatchObject({ reason: "<a> is not closed: it starts on line 2", line: 3, column: 1 });
  });

  it("an empty document and one without a root say so without a place", () => {
    expect(syntaxError(" \n ").message).toBe("the document is empty");
    expect(syntaxError("<!-- only -->").message).toBe("the document has no root element");
  });
});

describe("raw characters XML forbids", () => {
  const text = (length: number) => "x".repeat(length);

  it("in a short document: reported first, before a syntax error that comes earlier", () => {
    expect(syntaxError("<r><</r>\u0001").message).toBe("character U+0001 is not allowed in XML (line 1, column 9)");
  });

  it("far into a long document: refused with its line and column before the token holding it is handed out", () => {
    const xml = `<r>\n${"<a>x</a>\n".repeat(5000)}<b>z\uFFFEz</b></r>`;
    const scanner = scanXml(xml, OPTIONS);
    let error: unknown;
    const texts: string[] = [];
    try {
      for (let token = scanner.next(); token !== XmlToken.End; token = scanner.next()) if (token === XmlToken.Text) texts.push(scanner.value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ reason: "character U+FFFE is not allowed in XML", line: 5002, column: 5 });
    // Checked ahead of the scan: the error comes before the text holding the character, after thousands of others.
    expect(texts.length).toBeGreaterThan(1000);
    expect(texts.some((value) => value.includes("\uFFFE"))).toBe(false);
  });

  it("in a long text or CDATA that crosses the chunk checked ahead, and in a comment before the end", () => {
    for (const [open, close] of [
      ["", ""],
      ["<![CDATA[", "]]>"],
      ["<!--", "-->"],
    ]) {
      expect(syntaxError(`<r>${open}${text(100_000)}\u0000${text(10)}${close}</r>`).reason).toBe("character U+0000 is not allowed in XML");
    }
  });

  it("a surrogate pair is never cut in two by the chunks; an unpaired half is refused", () => {
    for (let before = 16_370; before < 16_400; before++) {
      const scanner = scanXml(`<r>${text(before)}\u{1F426}${text(50_000)}</r>`, OPTIONS);
      scanner.next();
      expect(scanner.next()).toBe(XmlToken.Text);
      expect(scanner.value.length).toBe(before + 2 + 50_000);
    }
    expect(syntaxError(`<r>${text(40_000)}\uD83D${text(10)}</r>`).reason).toBe("character U+D83D is not allowed in XML");
  });
});
