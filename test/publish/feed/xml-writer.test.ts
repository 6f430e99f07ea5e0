/**
 * lib/publish/feed/xml-writer.ts: the XML assembly every feed page shares. Text must come back from a real parser
 * exactly as it went in: "&" in any form, "]]>" in a description, astral characters.
 */

import { describe, expect, it } from "vitest";
import { create } from "xmlbuilder2";
import { seededRandom } from "../../../lib/harness/factories.ts";
import {
  addDescription,
  addText,
  assemblePage,
  chainLinks,
  HeaderTooLargeError,
  itemBytes,
  newChannel,
  serializeItem,
} from "../../../lib/publish/feed/xml-writer.ts";
import { childNamed, parseXml } from "../../support/feed-checks.ts";

const PIECES = ["]]>", "]", "]]", ">", "<", "&", "&amp;", "&#65;", "&lt;", "Q&A;", "<![CDATA[", "\n", "  ", "a", "é", "🐦", '"', "'"];

function randomText(seed: number): string[] {
  const rng = seededRandom(seed);
  return Array.from({ length: 200 }, () => Array.from({ length: rng.int(1, 12) }, () => rng.pick(PIECES)).join(""));
}

describe("addDescription and serializeItem", () => {
  it("any text comes back from the parser unchanged, in ONE node: a CDATA section, or escaped text when it holds ']]>'", () => {
    for (const text of ["]]>", "a]]>b", "]]>]]>", "x]]]>y", "]]>start", "end]]>", "<p>ok</p>\n", ...randomText(1)]) {
      const xml = serializeItem((item) => {
        addDescription(item.ele("description"), text);
      });
      const item = parseXml(xml, JSON.stringify(text));
      const description = childNamed(item, "description")!;
      expect(description.text, JSON.stringify(text)).toBe(text);
      // A reader that takes only the first CDATA section (the spec's reference validator) still gets it whole.
      expect(description.cdata, JSON.stringify(text)).toEqual(text.includes("]]>") ? [] : [text]);
    }
  });

  it("CDATA when it can; escaped text, on one line inside its element, when the text holds ']]>'", () => {
    const xml = (text: string) =>
      serializeItem((item) => {
        addDescription(item.ele("description"), text);
        item.ele("guid").txt("1");
      });
    expect(xml("<p>a & b</p>")).toBe(
      '    <item xmlns:microblog="http://openmicroblog.com/">\n      <description><![CDATA[<p>a & b</p>]]></description>\n      <guid>1</guid>\n    </item>',
    );
    expect(xml("<p>a]]>b &amp; c</p>")).toBe(
      '    <item xmlns:microblog="http://openmicroblog.com/">\n      <description>&lt;p&gt;a]]&gt;b &amp;amp; c&lt;/p&gt;</description>\n      <guid>1</guid>\n    </item>',
    );
  });
});

describe("addText", () => {
  it("text and attribute values with '&' in any form come back unchanged and well-formed", () => {
    for (const text of randomText(2)) {
      const doc = create({ version: "1.0", encoding: "UTF-8" }).ele("root");
      addText(doc, "value", text, { label: text });
      const xml = doc.end({ prettyPrint: true, wellFormed: true });
      const value = childNamed(parseXml(xml, JSON.stringify(text)), "value")!;
      // Leading and trailing whitespace is kept as well: the element holds the text only.
      expect(value.text, JSON.stringify(text)).toBe(text);
      expect(value.attributes.label, JSON.stringify(text)).toBe(text);
    }
  });

  it("never writes an empty element", () => {
    const doc = create().ele("root");
    addText(doc, "a", undefined);
    addText(doc, "b", "");
    addText(doc, "c", 0);
    expect(doc.end()).toBe('<?xml version="1.0"?><root><c>0</c></root>');
  });
});

describe("chainLinks", () => {
  const head = "https://a.example/feed.xml";
  const archive = (k: number) => `https://a.example/feed/${k}.xml`;

  it("one page: the head, no older page", () => {
    expect(chainLinks(1, head, archive)).toEqual([{ selfUrl: head, headUrl: head, archive: false }]);
  });

  it("archive k points to k-1, the head to the newest archive, archive 1 nowhere", () => {
    expect(chainLinks(3, head, archive)).toEqual([
      { selfUrl: archive(1), headUrl: head, archive: true },
      { selfUrl: archive(2), headUrl: head, archive: true, olderUrl: archive(1) },
      { selfUrl: head, headUrl: head, archive: false, olderUrl: archive(2) },
    ]);
  });
});

describe("assemblePage", () => {
  it("puts the items before </channel> in the order given, and counts item bytes in UTF-8 with the newline", () => {
    const { doc, channel } = newChannel(false);
    addText(channel, "title", "t");
    const items = [serializeItem((i) => addText(i, "guid", "2")), serializeItem((i) => addText(i, "guid", "1"))];
    const page = assemblePage(doc, items, "https://a.example/feed.xml", 10_000);
    expect(page.indexOf("<guid>2</guid>")).toBeLessThan(page.indexOf("<guid>1</guid>"));
    expect(page.endsWith("  </channel>\n</rss>\n")).toBe(true);
    const shell = newChannel(false);
    addText(shell.channel, "title", "t");
    const empty = assemblePage(shell.doc, [], "x", 10_000);
    // A page is its header shell plus, per item, the item's bytes (itemBytes): what pagination counts.
    expect(Buffer.byteLength(page)).toBe(Buffer.byteLength(empty) + items.reduce((n, item) => n + itemBytes(item), 0));
    expect(itemBytes("é🐦")).toBe(7);
  });

  it("refuses a header larger than the reserve", () => {
    const { doc, channel } = newChannel(true);
    addText(channel, "description", "x".repeat(500));
    expect(() => assemblePage(doc, [], "https://a.example/feed/1.xml", 300)).toThrow(HeaderTooLargeError);
  });
});
