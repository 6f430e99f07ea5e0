/**
 * Hostile and broken input: each case must raise FeedReadError (never hang, never another error
 * type), and a large valid feed must be read completely and correctly.
 */
import { describe, expect, it } from "vitest";
import { FeedReadError, readFeed } from "../../../lib/shared/remote-feed-reader.ts";
import { bigFeed, element, generatedPostHtml, generatedPubDate, rssDocument } from "./factories.ts";

/** Read and return the FeedReadError; fails the test on success or on any other error type. */
function readError(xml: string): FeedReadError {
  try {
    readFeed(xml);
  } catch (error) {
    expect(error).toBeInstanceOf(FeedReadError);
    return error as FeedReadError;
  }
  throw new Error("readFeed accepted the document");
}

const withTitle = (title: string) => `<rss><channel><title>${title}</title></channel></rss>`;

/** Deterministic pseudo-random bytes (xorshift32), so the garbage is the same on every run. */
function garbageBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

describe("refused documents", () => {
  const cases: [string, string, RegExp][] = [
    ["empty string", "", /empty/],
    ["only white space", " \n\t ", /empty/],
    ["plain text", "hello, not a feed", /not an XML feed/],
    ["HTML page", "<!DOCTYPE html><html><body>404</body></html>", /DOCTYPE/],
    ["non-RSS root (Atom)", '<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', /root element is <feed>/],
    ["rss without channel", '<rss version="2.0"><item><guid>1</guid></item></rss>', /no <channel>/],
    ["only a declaration and a comment", '<?xml version="1.0"?><!-- nothing -->', /no root element/],
    ["unclosed tags", "<rss><channel><title>x</title>", /<channel> is not closed/],
    ["unclosed root at end of input", "<rss><channel></channel>", /<rss> is not closed/],
    ["mismatched tags", "<rss><channel><title>x</link></channel></rss>", /<\/link> does not match <title>/],
    ["end tags in the wrong case (XML is case-sensitive)", "<rss><channel></Channel></rss>", /does not match/],
    ["stray end tag", "<rss></channel></rss>", /does not match <rss>/],
    ["end tag after the root", "<rss><channel/></rss></rss>", /closes nothing/],
    ["a second root element", "<rss><channel/></rss><rss><channel/></rss>", /second root element/],
    ["text after the root", "<rss><channel/></rss> trailing", /text after the end/],
    ["unknown named entity", withTitle("&nbsp;"), /unknown entity &nbsp;/],
    ["entity named like an Object.prototype member", withTitle("&constructor;"), /unknown entity &constructor;/],
    ["&__proto__;", withTitle("&__proto__;"), /unknown entity &__proto__;/],
    ["entity without semicolon", withTitle("AT&T"), /"&" must start an entity/],
    ["bare ampersand in an attribute", '<rss><channel a="x&y"/></rss>', /"&" must start an entity/],
    ["unknown entity in an attribute", '<rss><channel count="&zero;"/></rss>', /unknown entity/],
    ["&#0;", withTitle("&#0;"), /&#0; is not a character/],
    ["&#xD800; (a surrogate)", withTitle("&#xD800;"), /&#xD800; is not a character/],
    ["&#xFFFE;", withTitle("&#xFFFE;"), /not a character/],
    ["&#x110000; (beyond Unicode)", withTitle("&#x110000;"), /not a character/],
    ["a huge decimal reference", withTitle(`&#${"9".repeat(400)};`), /not a character/],
    ["&#x; (no digits)", withTitle("&#x;"), /unknown entity/],
    ["raw control character", withTitle("a\u0001b"), /U\+0001 is not allowed/],
    ["raw lone surrogate", withTitle("a\uDC00b"), /U\+DC00 is not allowed/],
    ["unquoted attribute", "<rss><channel count=3/></rss>", /must be in quotes/],
    ["attribute without value", "<rss><channel hidden/></rss>", /needs ="value"/],
    ["duplicate attribute", '<rss a="1" a="2"><channel/></rss>', /appears twice/],
    ["'<' in an attribute value", '<rss a="<"><channel/></rss>', /"<" is not allowed/],
    ["attribute without white space before it", '<rss a="1"b="2"><channel/></rss>', /expected a space/],
    ["unterminated start tag", '<rss><channel count="1"', /not closed|not finished/],
    ["unclosed attribute value", '<rss><channel count="1></channel></rss>', /not closed/],
    ["unclosed comment", "<rss><!-- forever <channel/></rss>", /comment is not closed/],
    ["unclosed CDATA", "<rss><channel><title><![CDATA[x</title></channel></rss>", /CDATA section is not closed/],
    ["CDATA outside the root", "<![CDATA[x]]><rss><channel/></rss>", /CDATA outside/],
    ["unclosed processing instruction", "<?xml version='1.0'<rss><channel/></rss>", /processing instruction is not closed/],
    ["XML declaration inside the document", "<rss><?xml version='1.0'?><channel/></rss>", /only come before the root/],
    ["<! that is neither comment nor CDATA", "<rss><!ELEMENT x ANY><channel/></rss>", /unexpected "<!"/],
    ["'<' followed by a space", "<rss>< channel/></rss>", /expected an element or attribute name/],
    ["tag name starting with a digit", "<rss><1channel/></rss>", /expected an element/],
  ];
  for (const [label, xml, message] of cases) {
    it(label, () => {
      expect(readError(xml).message).toMatch(message);
    });
  }

  it("says where the problem is (line and column)", () => {
    expect(readError("<rss>\n  <channel>\n    <title>&bogus;</title>").message).toMatch(/unknown entity &bogus;.*\(line 3, column 12\)/);
    expect(readError("\uFEFF<rss>\r\n<channel></chanel>").message).toMatch(/\(line 2, column 10\)/);
  });

  it("is a FeedReadError for a value that is not a string at all", () => {
    expect(() => readFeed(undefined as unknown as string)).toThrow(FeedReadError);
    expect(() => readFeed(42 as unknown as string)).toThrow(FeedReadError);
  });
});

describe("attacks", () => {
  it("billion laughs: any DOCTYPE is refused before an entity could be expanded", () => {
    const laughs = [
      '<?xml version="1.0"?>',
      "<!DOCTYPE lolz [",
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ""};`.repeat(10)}">`),
      "]>",
      "<rss><channel><title>&lol9;</title></channel></rss>",
    ].join("\n");
    expect(readError(laughs).message).toMatch(/<!DOCTYPE> is not allowed.*line 2/);
    // External entities (XXE) too, in any case.
    expect(readError('<!doctype rss SYSTEM "file:///etc/passwd"><rss><channel/></rss>').message).toMatch(/DOCTYPE/);
  });

  it("a DOCTYPE hidden after the root start tag is refused as well", () => {
    expect(readError("<rss><!DOCTYPE x><channel/></rss>").message).toMatch(/DOCTYPE/);
  });

  it("depth bomb: 100,000 nested elements stop at the depth limit", () => {
    const depth = 100_000;
    expect(readError(`<rss><channel>${"<a>".repeat(depth)}${"</a>".repeat(depth)}</channel></rss>`).message).toMatch(/nested more than 64 deep/);
    // 60 levels is fine.
    expect(readFeed(`<rss><channel>${"<a>".repeat(60)}${"</a>".repeat(60)}<title>ok</title></channel></rss>`).channel).toEqual({ title: "ok" });
  });

  it("binary garbage (fixed seeds), decoded as UTF-8 and as Latin-1, and with a '<rss>' in front", () => {
    for (const seed of [1, 2, 3, 0x5eed, 0xdeadbeef]) {
      const bytes = garbageBytes(4096, seed);
      for (const text of [new TextDecoder("utf-8").decode(bytes), new TextDecoder("latin1").decode(bytes)]) {
        readError(text);
        readError(`<rss><channel><title>${text}`);
        readError(`<${text}`);
      }
    }
  });

  it("inputs that are quadratic for naive scanners finish with a FeedReadError", () => {
    const n = 1_000_000;
    // Entity references that never end: each "&" would otherwise scan to the end for ";".
    expect(readError(withTitle("&".repeat(n))).message).toMatch(/"&" must start an entity/);
    expect(readError(withTitle(`${"&a".repeat(n / 2)};`)).message).toMatch(/"&" must start an entity/);
    // Many attributes, then the tag never closes.
    expect(readError(`<rss ${Array.from({ length: 50_000 }, (_, i) => `a${i}="v"`).join(" ")}`).message).toMatch(/not finished/);
    // Many unclosed markup starts.
    expect(readError(`<rss><channel>${"<!--".repeat(n / 4)}`).message).toMatch(/comment is not closed/);
    expect(readError(`<rss><channel>${"<![CDATA[".repeat(n / 9)}`).message).toMatch(/CDATA section is not closed/);
    expect(readError(`<rss><channel>${"<?pi ".repeat(n / 5)}`).message).toMatch(/processing instruction is not closed/);
    expect(readError(`<rss><channel>${"<item/>".repeat(n / 7)}<`).message).toMatch(/ends in the middle of a tag|expected an element/);
  });
});

describe("a 1 MB valid feed", () => {
  it("is read completely and correctly", () => {
    const count = 3000;
    const xml = bigFeed(count);
    expect(xml.length).toBeGreaterThan(1_000_000);
    const feed = readFeed(xml);
    expect(feed.items).toHaveLength(count);
    feed.items.forEach((item, index) => {
      const n = count - 1 - index;
      expect(item).toEqual({
        guid: String(n),
        pubDate: generatedPubDate(n),
        description: generatedPostHtml(n),
        reply: `https://ada.example/api/posts/${n}/reply`,
        in_reply_to_status_id: `status&${n}`,
      });
    });
  });

  it("a 1 MB description in one element", () => {
    const html = `<p>${"word & more ]]> ".repeat(70_000)}</p>`;
    const xml = rssDocument("", [element("description", `<![CDATA[${html.split("]]>").join("]]]]><![CDATA[>")}]]>`)]);
    expect(readFeed(xml).items[0]?.description).toBe(html);
  });
});
