/**
 * lib/publish/feed/xml-writer.ts: the XML assembly every feed page shares. Text must come back from a real parser
 * exactly as it went in: "&" in any form, "]]>" inside CDATA, astral characters.
 */

import { describe, expect, it } from "vitest";
import { create } from "xmlbuilder2";
import {
  addCdata,
  addText,
  assemblePage,
  chainLinks,
  HeaderTooLargeError,
  itemBytes,
  joinCdataRuns,
  newChannel,
  serializeItem,
} from "../../../lib/publish/feed/xml-writer.ts";
import { seededRandom } from "../../support/factories.ts";
import { childNamed, parseXml } from "../../support/feed-checks.ts";

const PIECES = ["]]>", "]", "]]", ">", "<", "&", "&amp;", "&#65;", "&lt;", "Q&A;", "<![CDATA[", "\n", "  ", "a", "é", "🐦", '"', "'"];

function randomText(seed: number): string[] {
  const rng = seededRandom(seed);
  return Array.from({ length: 200 }, () => Array.from({ length: rng.int(1, 12) }, () => rng.pick(PIECES)).join(""));
}

describe("addCdata and serializeItem", () => {
  it("any text, including ']]>' anywhere, comes back from the parser unchanged", () => {
    for (const text of ["]]>", "a]]>b", "]]>]]>", "x]]]>y", "]]>start", "end]]>", "<p>ok</p>\n", ...randomText(1)]) {
      const xml = serializeItem((item) => {
        addCdata(item.ele("description"), text);
      });
      const item = parseXml(xml, JSON.stringify(text));
      const description = childNamed(item, "description")!;
      expect(description.text, JSON.stringify(text)).toBe(text);
      expect(description.cdata.join(""), "nothing outside the CDATA sections").toBe(text);
      expect(description.cdata).toHaveLength(text.split("]]>").length);
    }
  });

  it("several CDATA sections sit on one line, directly inside their element", () => {
    const xml = serializeItem((item) => {
      addCdata(item.ele("description"), "a]]>b");
      item.ele("guid").txt("1");
    });
    expect(xml).toBe(
      '    <item xmlns:microblog="http://openmicroblog.com/">\n      <description><![CDATA[a]]]]><![CDATA[>b]]></description>\n      <guid>1</guid>\n    </item>',
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

describe("joinCdataRuns", () => {
  it("leaves single sections, text and other markup alone", () => {
    const xml = "<a>\n  <b><![CDATA[x]]></b>\n  <c>text &amp; more</c>\n</a>";
    expect(joinCdataRuns(xml)).toBe(xml);
  });

  it("joins a pretty-printed run and drops only the indentation around it", () => {
    expect(joinCdataRuns("<a>\n  <d>\n    <![CDATA[x]]]]>\n    <![CDATA[>y <![CDATA[ not markup]]>\n  </d>\n</a>")).toBe(
      "<a>\n  <d><![CDATA[x]]]]><![CDATA[>y <![CDATA[ not markup]]></d>\n</a>",
    );
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
