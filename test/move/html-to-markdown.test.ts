/**
 * lib/move/html-to-markdown.ts: imported HTML is cleaned (nothing that runs survives), then written as
 * markdown that the build renders back to the same HTML; what markdown cannot say stays as clean HTML;
 * a repost's quoted text keeps no raw HTML. And lib/move/atom-reader.ts on its own.
 */
import { describe, expect, it } from "vitest";
import { readAtom } from "../../lib/move/atom-reader.ts";
import { htmlToMarkdown, quotedMarkdown, textToHtml } from "../../lib/move/html-to-markdown.ts";
import { renderMarkdown, renderQuotedMarkdown } from "../../lib/publish/markdown.ts";
import { cleanPostHtml } from "../../lib/shared/post-html.ts";
import { parseXml } from "../../lib/validate/xml-tree.ts";

describe("cleanPostHtml", () => {
  it("drops scripts, styles, frames, event attributes and unsafe URLs; keeps formatting, http(s) links and images", () => {
    const dirty =
      '<p onclick="x()">Hi <a href="javascript:alert(1)">js</a> <a href="https://ok.example/?a=1&amp;b=2" style="color:red">ok</a> <a href="mailto:a@b.example">mail</a>' +
      '<img src="data:image/png;base64,AAAA" alt="d"><img src="https://img.example/a.png" alt="a" onerror="x()"></p>' +
      "<script>alert(1)</script><style>p{}</style><iframe src='https://evil.example'></iframe><svg><script>1</script></svg><form><input></form>";
    const clean = cleanPostHtml(dirty);
    expect(clean).not.toMatch(/onclick|onerror|javascript:|data:|script|style|iframe|svg|form|input/);
    expect(clean).toContain('<a href="https://ok.example/?a=1&amp;b=2">ok</a>');
    expect(clean).toContain('<a href="mailto:a@b.example">mail</a>');
    expect(clean).toContain('<img src="https://img.example/a.png" alt="a">');
  });
});

describe("htmlToMarkdown", () => {
  for (const html of [
    '<p>Hello, <strong>world</strong>! A <a href="https://example.org/a?b=1&amp;c=2">link</a>.</p>\n',
    "<p>Tom &amp; Jerry wrote <code>]]&gt;</code> and 1 &lt; 2 inline.</p>\n",
    "<ul>\n<li>one</li>\n<li>two <em>three</em></li>\n</ul>\n<blockquote>\n<p>q</p>\n</blockquote>\n<pre><code>a &lt; b\n</code></pre>\n",
    "<h2>Title</h2>\n<p>Birds 🐦, music 𝄞, combining é (e\u0301).</p>\n<hr>\n<ol>\n<li>first</li>\n</ol>\n",
    "<p>1. not a list *not em* _x_ # not a heading [not](a link)</p>\n",
  ]) {
    it(`round-trips through the build's markdown: ${JSON.stringify(html.slice(0, 40))}`, () => {
      expect(renderMarkdown(htmlToMarkdown(html))).toBe(html);
    });
  }

  it("keeps what markdown cannot say as clean HTML: tables, sup, sub, u", () => {
    const markdown = htmlToMarkdown('<p>x<sup>2</sup> H<sub>2</sub>O <u>under</u></p><table onclick="x"><tr><td>1</td></tr></table>');
    expect(markdown).toBe("x<sup>2</sup> H<sub>2</sub>O <u>under</u>\n\n<table><tbody><tr><td>1</td></tr></tbody></table>");
    expect(renderMarkdown(markdown)).toBe("<p>x<sup>2</sup> H<sub>2</sub>O <u>under</u></p>\n<table><tbody><tr><td>1</td></tr></tbody></table>");
  });

  it("a link whose URL was unsafe keeps its text; an image without a usable source, its alt text", () => {
    expect(htmlToMarkdown('<p><a href="javascript:x">click</a> <img src="javascript:x" alt="pic"></p>')).toBe("click pic");
  });

  it("a repost's quoted text: markdown only, no raw HTML", () => {
    expect(quotedMarkdown("<p>a<sup>2</sup> <b>b</b> <script>x</script></p>")).toBe("a2 **b**");
  });

  it("text that shows a tag stays text: <script> and <img onerror> shown as characters never become elements", () => {
    for (const [html, rendered] of [
      ["<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"],
      ["<p>&lt;img src=x onerror=alert(1)&gt;</p>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"],
      // markdown-it's linkify reads a URL from the source and took the backslash of the escape after it.
      ["<p>https://a.example/&lt;img src=x onerror=alert(1)&gt;</p>", "<p>https://a.example/&lt;img src=x onerror=alert(1)&gt;</p>\n"],
      ["<blockquote><p>&lt;script&gt;x&lt;/script&gt;</p></blockquote>", "<blockquote>\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n</blockquote>\n"],
      ["<p>x<sup>&lt;script&gt;*y*</sup></p>", "<p>x<sup>&lt;script&gt;*y*</sup></p>\n"],
    ] as const) {
      expect(renderMarkdown(htmlToMarkdown(html)), html).toBe(rendered);
      expect(renderQuotedMarkdown(quotedMarkdown(html)), html).not.toMatch(/<(script|img)/);
    }
  });

  it("characters that markdown reads as markup stay the characters they were", () => {
    const text = "&amp;lt; &amp;#60; ~~s~~ a | b &lt;https://auto.example/&gt; &lt;!-- c --&gt;";
    expect(renderMarkdown(htmlToMarkdown(`<p>${text}</p>`))).toBe(`<p>${text.replace("&lt;!--", "&lt;!--")}</p>\n`);
    expect(renderMarkdown(htmlToMarkdown("<p>1) one<br>- two<br>: three<br>| x |</p>"))).toBe("<p>1) one<br>\n- two<br>\n: three<br>\n| x |</p>\n");
  });

  it("an image without a usable source: its alt text, as text", () => {
    expect(renderMarkdown(htmlToMarkdown('<p><img src="javascript:x" alt="&lt;script&gt;alert(1)&lt;/script&gt;"></p>'))).toBe(
      "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n",
    );
  });

  it('a code block keeps its language (class="language-js", as markdown-it writes it); any other class is dropped', () => {
    const html = '<pre><code class="language-js">const a = 1 &lt; 2;\n</code></pre>\n';
    expect(htmlToMarkdown(html)).toBe("```js\nconst a = 1 < 2;\n```");
    expect(renderMarkdown(htmlToMarkdown(html))).toBe(html);
    expect(htmlToMarkdown('<pre><code class="hljs x&quot;onload">a</code></pre>')).toBe("```\na\n```");
  });

  it("plain text becomes escaped paragraphs", () => {
    expect(textToHtml("1 < 2 & 3\nnext line\n\nsecond")).toBe("<p>1 &lt; 2 &amp; 3<br>next line</p>\n<p>second</p>");
  });
});

describe("readAtom", () => {
  it("reads feed and entries leniently: text constructs of every type as HTML, xml:lang, links, first non-empty value", () => {
    const feed = readAtom(
      parseXml(`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title type="html">&lt;b&gt;Ada&lt;/b&gt; &amp;amp; co</title>
  <subtitle></subtitle><subtitle>Bio</subtitle>
  <author><name>Ada</name></author>
  <link rel="self" href="https://a.example/atom.xml"/><link rel="prev-archive" href="https://a.example/1.xml"/>
  <entry xml:lang="fr"><id>1</id><title>T</title><published>2020-01-01T00:00:00Z</published>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Un <em>deux</em></p></div></content><link href="https://a.example/1"/></entry>
  <entry><id>2</id><updated>2020-01-02T00:00:00Z</updated><summary>a &lt; b</summary><content src="https://a.example/2.txt"/></entry>
</feed>`),
    )!;
    expect(feed).toMatchObject({ title: "Ada & co", subtitle: "Bio", authorName: "Ada", language: "en" });
    expect(feed.links.map((l) => l.rel)).toEqual(["self", "prev-archive"]);
    expect(feed.entries).toEqual([
      { line: 6, id: "1", title: "T", published: "2020-01-01T00:00:00Z", html: "<p>Un <em>deux</em></p>", link: "https://a.example/1", language: "fr" },
      { line: 8, id: "2", updated: "2020-01-02T00:00:00Z", html: "<p>a &lt; b</p>", language: "en" },
    ]);
    // A plain text title is decoded once, by the parser: "&amp;lt;" is the text "&lt;", never "<".
    expect(readAtom(parseXml(`<feed xmlns="http://www.w3.org/2005/Atom"><title>AT&amp;amp;T &amp;lt;3</title></feed>`))?.title).toBe("AT&amp;T &lt;3");
    expect(readAtom(parseXml("<rss/>"))).toBeUndefined();
  });
});
