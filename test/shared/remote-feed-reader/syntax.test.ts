/**
 * The XML the reader understands: CDATA (including "]]>" split over two sections), entities and
 * character references in text and attributes, comments, processing instructions, the XML
 * declaration, a BOM, CRLF line ends, self-closing tags, both quote styles.
 */
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { readFeed } from "../../../lib/shared/remote-feed-reader.ts";
import { cdata, element, rssDocument } from "./factories.ts";

/** A feed with one item holding the given markup. */
const oneItem = (itemBody: string) => rssDocument("", [itemBody]);

describe("CDATA", () => {
  it('reads "]]>" split across two sections as the spec and the brief give it', () => {
    expect(readFeed(oneItem("<description><![CDATA[a]]]]><![CDATA[>b]]></description>")).items[0]?.description).toBe("a]]>b");
  });

  it("joins CDATA with surrounding text and keeps markup and entity-like text verbatim", () => {
    const html = '<p class="x">1 < 2 &amp; &lt;raw&gt; ]]> \u{1F426}</p>\n<p>two</p>';
    expect(readFeed(oneItem(element("description", cdata(html)))).items[0]?.description).toBe(html);
    expect(readFeed(oneItem("<guid>a &amp; <![CDATA[<b>&amp;</b>]]> z</guid>")).items[0]?.guid).toBe("a & <b>&amp;</b> z");
  });

  it("an empty CDATA section is an empty value", () => {
    expect(readFeed(oneItem("<description><![CDATA[]]></description><guid><![CDATA[ 4 ]]></guid>")).items[0]).toEqual({ guid: "4" });
  });
});

describe("entities and character references", () => {
  it("decodes the five predefined entities and decimal/hex references in text", () => {
    const item = readFeed(oneItem("<title>&lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#X43;&#0000068; &#x1F426; &#233;&#xe9;</title>")).items[0];
    expect(item?.title).toBe(`<>&"' ABCD \u{1F426} éé`);
  });

  it("does not decode twice: &amp;lt; is the text &lt;", () => {
    expect(readFeed(oneItem("<title>&amp;lt; &amp;#65;</title>")).items[0]?.title).toBe("&lt; &#65;");
  });

  it("decodes entities in attribute values, with either quote style", () => {
    const xml = rssDocument(
      [
        element("microblog:message", "https://a.example/m?x=1&amp;y=2", "accept='every&#111;ne'"),
        element("microblog:follows", "https://a.example/f", 'count = "&#x31;&#50;"'),
        element("microblog:blocks", "https://a.example/b", `count='"&apos;3'`),
      ].join("\n"),
    );
    expect(readFeed(xml).channel).toEqual({
      message: { url: "https://a.example/m?x=1&y=2", accept: "everyone" },
      follows: { url: "https://a.example/f", count: "12" },
      blocks: { url: "https://a.example/b", count: `"'3` },
    });
  });

  it("literal tabs and newlines in attribute values read as spaces (XML 1.0 §3.3.3); &#10; stays a newline", () => {
    const xml = rssDocument(element("microblog:message", "https://a.example/m", 'accept="a\tb\r\nc&#10;d"'));
    expect(readFeed(xml).channel.message).toEqual({ url: "https://a.example/m", accept: "a b c\nd" });
  });
});

describe("document framing", () => {
  const body = `<rss version="2.0"><channel><title>T</title><item><guid>1</guid></item></channel></rss>`;
  const expected = { channel: { title: "T" }, items: [{ guid: "1" }], complete: true };

  it("a leading BOM, the XML declaration, comments and processing instructions anywhere", () => {
    const xml = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- generated -->\n<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>\n${body.replace(
      "<title>",
      "<!-- a <title> in a comment --><?pi <title>x</title> ?><title>",
    )}\n<!-- trailing -->\n<?done?>\n`;
    expect(readFeed(xml)).toEqual(expected);
  });

  it("without any declaration, and with whitespace around the root", () => {
    expect(readFeed(`\n\n  ${body}  \n`)).toEqual(expected);
  });

  it("CRLF and lone CR line ends read as LF, inside CDATA too (XML 1.0 §2.11); &#13; stays a CR", () => {
    const xml = `<?xml version="1.0"?>\r\n<rss>\r\n<channel>\r\n<description><![CDATA[line 1\r\nline 2\rline 3]]></description>\r\n<item>\r\n<title>a\r\nb&#13;c</title>\r\n</item>\r\n</channel>\r\n</rss>\r\n`;
    expect(readFeed(xml)).toEqual({ channel: { description: "line 1\nline 2\nline 3" }, items: [{ title: "a\nb\rc" }], complete: true });
  });

  it("self-closing elements, white space inside tags, '>' inside attribute values", () => {
    const xml = `<rss\n  version = '2.0' ><channel  ><atom:link href="a>b" rel='self' /><item ><guid >1</guid\n></item><item/></channel ></rss >`;
    expect(readFeed(xml)).toEqual({ channel: { self: "a>b" }, items: [{ guid: "1" }, {}], complete: true });
  });

  it("non-ASCII element names and text", () => {
    expect(readFeed("<rss><channel><ünknown>x</ünknown><title>日本語 \u{1F600}</title></channel></rss>").channel).toEqual({ title: "日本語 \u{1F600}" });
  });
});

describe("agrees with fast-xml-parser on the syntax cases", () => {
  // An independent parser reads the same tricky document to the same values.
  const xml = `\uFEFF<?xml version="1.0"?>\r\n<rss><channel><title>&lt;a&gt; &amp; &#x1F426;</title><item><description><![CDATA[x]]]]><![CDATA[>y]]></description><guid isPermaLink='false'>q&quot;&apos;</guid></item></channel></rss>`;
  it("title, description and guid", () => {
    const tree = new XMLParser({ ignoreAttributes: false, parseTagValue: false, htmlEntities: true, trimValues: false }).parse(xml) as {
      rss: { channel: { title: string; item: { description: string; guid: { "#text": string } } } };
    };
    const feed = readFeed(xml);
    expect(feed.channel.title).toBe(tree.rss.channel.title);
    expect(feed.items[0]?.description).toBe(tree.rss.channel.item.description);
    expect(feed.items[0]?.guid).toBe(tree.rss.channel.item.guid["#text"]);
    expect(feed.items[0]?.guid).toBe(`q"'`);
  });
});
