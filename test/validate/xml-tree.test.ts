/**
 * lib/validate/xml-tree.ts: positions, namespaces, text and CDATA nodes; hostile input refused with its
 * line and column, in bounded time and memory; the same reading as a real parser (fast-xml-parser)
 * of Skein's own feeds.
 */
import { describe, expect, it } from "vitest";
import { buildSiteFiles, fixedDate } from "../../lib/harness/factories.ts";
import { attributeOf, childElements, innerXml, ownText, parseXml, XmlSyntaxError } from "../../lib/validate/xml-tree.ts";
import { type XmlElement as RealElement, parseXml as realParse } from "../support/feed-checks.ts";

describe("parseXml", () => {
  it("gives every element, attribute and text its line and column, after a BOM and CRLF line ends", () => {
    const doc = parseXml('\uFEFF<?xml version="1.0" encoding="ISO-8859-1"?>\r\n<a x="1">\r\n  <b>t&amp;<![CDATA[<c>]]></b>\r\n</a>');
    expect(doc.declaredEncoding).toBe("iso-8859-1");
    expect(doc.root).toMatchObject({ name: "a", line: 2, column: 1 });
    expect(attributeOf(doc.root, "x")).toMatchObject({ value: "1", line: 2, column: 4 });
    const b = childElements(doc.root, "b")[0]!;
    expect(b).toMatchObject({ line: 3, column: 3 });
    expect(b.children.map((c) => [c.kind, c.kind === "element" ? c.name : c.value])).toEqual([
      ["text", "t&"],
      ["cdata", "<c>"],
    ]);
    expect(ownText(b)).toBe("t&<c>");
  });

  it("resolves prefixes and the default namespace in scope; an undeclared prefix is listed, not fatal", () => {
    const doc = parseXml('<feed xmlns="http://www.w3.org/2005/Atom" xmlns:m="urn:m"><m:x m:a="1" b="2"/><y xmlns=""/><z:q/></feed>');
    const [x, y, q] = childElements(doc.root);
    expect(doc.root.ns).toBe("http://www.w3.org/2005/Atom");
    expect(x).toMatchObject({ local: "x", prefix: "m", ns: "urn:m" });
    expect(x!.attributes.map((a) => [a.local, a.ns])).toEqual([
      ["a", "urn:m"],
      ["b", undefined],
    ]);
    expect(y!.ns).toBeUndefined();
    expect([q!.name, q!.ns]).toEqual(["z:q", undefined]);
    expect(doc.unboundPrefixes).toEqual([{ prefix: "z", line: 1, column: 92 }]);
  });

  it("re-serializes xhtml content without prefixes or namespace declarations", () => {
    const doc = parseXml('<content xmlns:h="http://www.w3.org/1999/xhtml"><h:div><h:p class="a&amp;b">1 &lt; 2</h:p><h:br/></h:div></content>');
    expect(innerXml(childElements(doc.root, "div")[0]!)).toBe('<p class="a&amp;b">1 &lt; 2</p><br />');
  });

  for (const [name, input, reason] of [
    ["a DOCTYPE (no DTDs, no entity expansion)", '<!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>', /<!DOCTYPE> is not allowed/],
    ["an unknown entity", "<a>&nbsp;</a>", /unknown entity &nbsp;/],
    ["a bare ampersand", "<a>Q&A</a>", /"&" must start an entity/],
    ["a character reference XML forbids", "<a>&#0;</a>", /&#0; is not a character XML allows/],
    ["a control character", "<a>\u0001</a>", /U\+0001 is not allowed/],
    ["mismatched tags", "<a><b></a>", /<\/a> does not match <b> of line 1/],
    ["an unclosed element", "<a><b>", /<b> is not closed: it starts on line 1/],
    ["two roots", "<a/><b/>", /a second root element/],
    ["text outside the root", "x<a/>", /text before the first element/],
    ["a duplicate attribute", '<a x="1" x="2"/>', /attribute x appears twice/],
    ["an unquoted attribute", "<a x=1/>", /must be in quotes/],
    ["an unclosed CDATA section", "<a><![CDATA[x</a>", /CDATA section is not closed/],
    ["an empty document", "  \n ", /empty/],
  ] as const) {
    it(`refuses ${name}, with its position`, () => {
      let error: unknown;
      try {
        parseXml(input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(XmlSyntaxError);
      expect((error as XmlSyntaxError).reason).toMatch(reason);
      expect((error as XmlSyntaxError).line).toBeGreaterThanOrEqual(1);
    });
  }

  it("stops a nesting bomb and an element flood at their caps, quickly", () => {
    const started = performance.now();
    expect(() => parseXml(`${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}`)).toThrow(/nested more than 64 deep/);
    expect(() => parseXml(`<r>${"<x/>".repeat(10)}</r>`, { maxDepth: 64, maxElements: 5 })).toThrow(/more than 5 elements/);
    // Linear: a 20 MB run of "<![CDATA[" without an end is one indexOf, not a quadratic scan.
    expect(() => parseXml(`<a>${"<![CDATA[".repeat(2_000_000)}`)).toThrow(/CDATA section is not closed/);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("reads Skein's own feeds as a real parser does: same elements, attributes and text", () => {
    const files = buildSiteFiles({ posts: [{ date: fixedDate(0), body: 'Tom & "Jerry" <b>x</b> ]]> 🐦\n' }] });
    const xml = files.get("/feed.xml")!;
    const ours = parseXml(xml).root;
    const compare = (a: typeof ours, b: RealElement) => {
      expect(a.name).toBe(b.name);
      expect(Object.fromEntries(a.attributes.map((at) => [at.name, at.value]))).toEqual(b.attributes);
      expect(ownText(a)).toBe(b.text);
      const children = childElements(a);
      expect(children.map((c) => c.name)).toEqual(b.elements.map((e) => e.name));
      for (const [i, child] of children.entries()) compare(child, b.elements[i]!);
    };
    compare(ours, realParse(xml));
  });
});
