/**
 * lib/publish/posts.ts: one post file -> validated post (HTML, summary, reply/repost data), or the reasons
 * it cannot be one. Error cases across whole sites are in test/site-errors.test.ts.
 */
import { describe, expect, it } from "vitest";
import { fixedDate, type PostSpec, postFile, rawPostFile } from "../../lib/harness/factories.ts";
import { checkXmlCharacters, compareChronologically, decodeUtf8, type ParsedPost, parsePost, parseYamlText } from "../../lib/publish/posts.ts";

function parseOk(spec: PostSpec | ReturnType<typeof rawPostFile>): ParsedPost {
  const result = parsePost("bytes" in spec ? spec : postFile(spec));
  if (!result.ok) expect.fail(JSON.stringify(result.error));
  return result.value;
}

describe("parsePost", () => {
  it("a plain post: date, markdown to HTML, a one-line summary", () => {
    const post = parseOk({ name: "hello.md", date: "2026-01-12T17:40:00+01:00", body: "Hello **world** & <em>friends</em>!\n\nSecond paragraph.\n" });
    expect(post).toEqual({
      file: "posts/hello.md",
      date: Date.UTC(2026, 0, 12, 16, 40),
      bodyHtml: "<p>Hello <strong>world</strong> &amp; <em>friends</em>!</p>\n<p>Second paragraph.</p>\n",
      html: "<p>Hello <strong>world</strong> &amp; <em>friends</em>!</p>\n<p>Second paragraph.</p>\n",
      summary: "Hello world & friends ! Second paragraph.",
    });
  });

  it("raw HTML passes through (the owner's own markup) and bare URLs become links", () => {
    const post = parseOk({ date: fixedDate(0), body: 'See https://example.org/x\n\n<div class="note">raw ]]> html</div>\n' });
    expect(post.html).toBe('<p>See <a href="https://example.org/x">https://example.org/x</a></p>\n<div class="note">raw ]]> html</div>\n');
  });

  it("the summary is cut at a word, at most 80 characters with the ellipsis", () => {
    const post = parseOk({ date: fixedDate(0), body: `${"lorem ipsum ".repeat(20)}\n` });
    expect(post.summary.length).toBeLessThanOrEqual(80);
    expect(post.summary.endsWith("...")).toBe(true);
    const kept = post.summary.slice(0, -3);
    const full = "lorem ipsum ".repeat(20).trim();
    expect(full.startsWith(kept)).toBe(true);
    expect(full[kept.length], "cut at a word boundary").toBe(" ");
    expect(kept.length).toBeGreaterThan(40);
  });

  it("keeps id, language and reply_to (status_id as text)", () => {
    const replyTo = { user_id: "u1", username: "bob", user_link: "https://bob.example/feed.xml", status_id: 17 };
    const post = parseOk({ date: fixedDate(0), id: 12, language: "fr", replyTo, body: "Oui.\n" });
    expect(post.id).toBe(12);
    expect(post.language).toBe("fr");
    expect(post.replyTo).toEqual({ ...replyTo, status_id: "17" });
    expect(post.repost).toBeUndefined();
  });

  it("a plain repost: the feed carries the original text", () => {
    const repost = {
      user_id: "u2",
      user_link: "https://carmen.example/feed.xml",
      status_id: "203",
      pubdate: "2026-02-13T22:47:00Z",
      text: "The *swifts* are back.",
    };
    const post = parseOk({ date: fixedDate(0), repost });
    expect(post.bodyHtml).toBe("");
    expect(post.html).toBe("<p>The <em>swifts</em> are back.</p>\n");
    expect(post.repost).toEqual({
      user_id: "u2",
      user_link: "https://carmen.example/feed.xml",
      status_id: "203",
      pubdate: Date.UTC(2026, 1, 13, 22, 47),
      html: "<p>The <em>swifts</em> are back.</p>\n",
    });
    expect(post.summary).toBe("The swifts are back.");
  });

  it("a repost with a comment: the comment, then the original quoted", () => {
    const repost = { user_id: "u2", user_link: "https://carmen.example/feed.xml", status_id: "203", pubdate: fixedDate(-1), text: "Original." };
    const post = parseOk({ date: fixedDate(0), repost, body: "So true.\n" });
    expect(post.html).toBe("<p>So true.</p>\n<blockquote>\n<p>Original.</p>\n</blockquote>\n");
    expect(post.summary).toBe("So true.");
  });

  it("a repost's quoted text is someone else's words: its HTML is escaped and unsafe links are no links", () => {
    const text = "<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) <b>bold</b> *kept emphasis*";
    const repost = { user_id: "u2", user_link: "https://carmen.example/feed.xml", status_id: "203", pubdate: fixedDate(-1), text };
    const post = parseOk({ date: fixedDate(0), repost, body: "My own <b>markup</b> is mine.\n" });
    const quoted = post.html.slice(post.html.indexOf("<blockquote>"));
    expect(quoted).not.toMatch(/<script|<img|<b>|href="javascript/i);
    expect(quoted).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(quoted).toContain("[click](javascript:alert(1))");
    expect(quoted).toContain("<em>kept emphasis</em>");
    // The owner's own words keep their raw HTML (markdown's html option, as before).
    expect(post.html).toContain("<p>My own <b>markup</b> is mine.</p>");
  });

  it("a UTF-8 byte order mark and Windows line endings change nothing", () => {
    const lf = parseOk(rawPostFile("a.md", "---\ndate: 2026-01-01T00:00:00Z\nlanguage: fr\n---\nLine one\nline two\n"));
    const crlf = parseOk(rawPostFile("a.md", "\uFEFF---\r\ndate: 2026-01-01T00:00:00Z\r\nlanguage: fr\r\n---\r\nLine one\r\nline two\r\n"));
    expect(crlf).toEqual(lf);
  });

  it("errors carry the file name", () => {
    const result = parsePost(rawPostFile("x.md", "---\ndate: 2026-01-01T00:00:00Z\nwhat: 1\n---\nText\n"));
    expect(result).toEqual({ ok: false, error: [{ file: "posts/x.md", message: 'unknown field "what"' }] });
  });

  it("a front matter that is not a mapping is refused with the schema's words", () => {
    const result = parsePost(rawPostFile("x.md", "---\njust a string\n---\nText\n"));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error[0]!.file).toBe("posts/x.md");
  });
});

describe("helpers", () => {
  it("decodeUtf8 is strict and strips a BOM", () => {
    expect(decodeUtf8("a", new TextEncoder().encode("\uFEFFcafé"))).toEqual({ ok: true, value: "café" });
    expect(decodeUtf8("a", new Uint8Array([0x63, 0x61, 0x66, 0xe9]))).toEqual({ ok: false, error: [{ file: "a", message: "is not valid UTF-8 text" }] });
  });

  it("checkXmlCharacters points at line and column", () => {
    expect(checkXmlCharacters("f", "ok\ntab\tand CR\r are fine\n🐦 too")).toBeUndefined();
    expect(checkXmlCharacters("f", "one\ntwo\nab\u000Bc")).toEqual({
      file: "f",
      message: "line 3, column 3: character U+000B cannot be carried by XML 1.0 (feeds would be broken); remove it",
    });
    expect(checkXmlCharacters("f", "\uFFFE")?.message).toMatch(/U\+FFFE/);
  });

  it("parseYamlText keeps dates as text (YAML 1.2 core) and refuses duplicate keys", () => {
    expect(parseYamlText("date: 2026-01-01T00:00:00Z\nday: 2026-01-01\n")).toEqual({ date: "2026-01-01T00:00:00Z", day: "2026-01-01" });
    expect(() => parseYamlText("a: 1\na: 2\n")).toThrow(/unique/);
  });

  it("compareChronologically: date first, then file name in code units", () => {
    const at = fixedDate(0);
    const sorted = [
      { date: at, file: "b" },
      { date: at - 1, file: "z" },
      { date: at, file: "B" },
      { date: at, file: "a" },
    ].sort(compareChronologically);
    expect(sorted.map((p) => p.file)).toEqual(["z", "B", "a", "b"]);
  });
});
