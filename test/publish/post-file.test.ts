/**
 * lib/shared/post-file.ts: the file every writer (npm run new, the owner's pages, the Worker's write
 * path) produces. A plain post is byte for byte what `npm run new` always wrote; replies and reposts
 * carry the spec's reply_to / repost; and strangers' text (a repost's words, their links) is read
 * back by the real build (parsePost, buildSite, the post pages) as exactly the text it was, never as
 * YAML structure or markup.
 */
import { describe, expect, it } from "vitest";
import { buildSiteInMemory, rawPostFile, seededRandom } from "../../lib/harness/factories.ts";
import { parsePost, parseYamlText } from "../../lib/publish/posts.ts";
import { type PostDraft, postDraft, postFile, yamlQuoted } from "../../lib/shared/post-file.ts";
import { describeIssues } from "../../lib/shared/schemas.ts";

const NOW = Date.UTC(2026, 11, 7, 17, 40, 12, 345);
const free = () => false;
const THEIRS = { user_id: "0e9a7c52-61f4-4d3b-b8a2-7c5e1d9f0a13", user_link: "https://bob.example/feed.xml", status_id: "17", username: "bob" };

function parsed(file: { name: string; content: string }) {
  const result = parsePost(rawPostFile(file.name, file.content));
  if (!result.ok) throw new Error(result.error.map((e) => e.message).join("; "));
  return result.value;
}

describe("postFile", () => {
  it("writes a plain post exactly as npm run new does: date to the second, id, language, the text", () => {
    const file = postFile({ text: "  Hello, wide world! Again  ", language: "fr" }, { now: NOW, id: 12 }, free);
    expect(file).toEqual({
      name: "2026-12-07-hello-wide-world-again.md",
      content: "---\ndate: 2026-12-07T17:40:12Z\nid: 12\nlanguage: fr\n---\nHello, wide world! Again\n",
    });
    const taken = new Set(["2026-12-07-hello.md", "2026-12-07-hello-2.md"]);
    expect(postFile({ text: "Hello" }, { now: NOW, id: 0 }, (name) => taken.has(name)).name).toBe("2026-12-07-hello-3.md");
  });

  it("writes reply_to and repost as the build reads them", () => {
    const reply = parsed(postFile({ text: "@bob Agreed.", reply_to: THEIRS }, { now: NOW, id: 3 }, free));
    expect(reply).toMatchObject({ id: 3, date: Date.UTC(2026, 11, 7, 17, 40, 12), replyTo: THEIRS });
    const pubdate = Date.UTC(2026, 1, 13, 22, 47);
    const plainRepost = postFile({ text: "", repost: { ...THEIRS, pubdate, text: "Swifts are back." } }, { now: NOW, id: 4 }, free);
    expect(plainRepost.name).toBe("2026-12-07-repost-bob-swifts-are-back.md");
    expect(parsed(plainRepost)).toMatchObject({ id: 4, bodyHtml: "", repost: { ...THEIRS, pubdate } });
    const withComment = parsed(postFile({ text: "Yes!", repost: { ...THEIRS, pubdate, text: "Swifts." } }, { now: NOW, id: 5 }, free));
    expect(withComment.html).toBe("<p>Yes!</p>\n<blockquote>\n<p>Swifts.</p>\n</blockquote>\n");
  });

  it("writes a reply to a web page (in_reply_to), their item's page (link) and a name chosen apart from the text (slug, Micropub's mp-slug)", () => {
    const web = postFile({ text: "Nice.", in_reply_to: "https://waterpigs.example/notes/4S0LMw/", slug: "My Answer!" }, { now: NOW, id: 6 }, free);
    expect(web.name).toBe("2026-12-07-my-answer.md");
    expect(parsed(web)).toMatchObject({ id: 6, inReplyTo: "https://waterpigs.example/notes/4S0LMw/" });
    const linked = parsed(postFile({ text: "Yes.", reply_to: { ...THEIRS, link: "https://bob.example/posts/17/" } }, { now: NOW, id: 7 }, free));
    expect(linked.replyTo).toEqual({ ...THEIRS, link: "https://bob.example/posts/17/" });
    expect(postFile({ text: "Plain words", slug: "!!!" }, { now: NOW, id: 8 }, free).name).toBe("2026-12-07-plain-words.md");
  });

  it("the draft schema refuses what the build would refuse, with the field named", () => {
    const problems = (draft: unknown) => {
      const result = postDraft.safeParse(draft);
      return result.success ? [] : describeIssues(result.error.issues);
    };
    expect(problems({ text: "ok" })).toEqual([]);
    expect(problems({ text: "  " })[0]).toContain("write the post");
    expect(problems({ text: "x", language: "f r" })[0]).toMatch(/^language: /);
    expect(problems({ text: "x", reply_to: { ...THEIRS, user_link: "javascript:alert(1)" } })[0]).toMatch(/^reply_to\.user_link: /);
    expect(problems({ text: "x", reply_to: { ...THEIRS, username: "<b>" } })[0]).toMatch(/^reply_to\.username: /);
    expect(problems({ text: "a\u0000b" })[0]).toMatch(/^text: .*XML/);
    expect(problems({ text: "x", reply_to: THEIRS, repost: { ...THEIRS, pubdate: 0, text: "t" } })).toEqual(["a post can be a reply or a repost, not both"]);
    expect(problems({ text: "x".repeat(10_001) })[0]).toMatch(/^text: must be at most 10000/);
    expect(problems({ text: "x", in_reply_to: "https://a.example/", reply_to: THEIRS })).toEqual([
      "in_reply_to (a web page) cannot be combined with reply_to or repost",
    ]);
    expect(problems({ text: "x", in_reply_to: "javascript:alert(1)" })[0]).toMatch(/^in_reply_to: /);
  });
});

const HOSTILE = [
  '"\n---\nid: 0\nreply_to: {user_id: x}\n',
  "<script>alert(1)</script>",
  '<img src=x onerror="alert(1)">',
  "]]></description><script>alert(2)</script>",
  "!!js/function 'return 1'",
  "&a [*a, *a]",
  "key: value # comment",
  "\u2028line\u2029para\u0085nel\ufeffbom",
  'back\\slash \\" \\n not an escape',
  "[link](javascript:alert(3)) <a href='javascript:alert(4)'>x</a>",
  "\t tab, 'single', `code`, {braces}, |pipe, >fold",
  "😀 emoji, مرحبا, 日本語",
];

describe("strangers' words in our front matter stay text", () => {
  it("yamlQuoted round-trips every character a post may hold", () => {
    const random = seededRandom(16);
    const alphabet = [..."\"\\'\n\r\t:#-&*!|>{}[]%@`<>?,", "\u0085", "\u2028", "\u2029", "\ufeff", "\u00a0", "é", "😀", " ", "a", "---"];
    for (let i = 0; i < 500; i++) {
      const value = Array.from({ length: random.int(0, 40) }, () => random.pick(alphabet)).join("");
      expect(parseYamlText(`k: ${yamlQuoted(value)}\n`)).toEqual({ k: value });
    }
    for (const value of HOSTILE) expect(parseYamlText(`k: ${yamlQuoted(value)}\n`)).toEqual({ k: value });
  });

  it("a repost of hostile text builds, reads back as the same text, and becomes no markup on the post page or in the feed", () => {
    const posts = HOSTILE.map((text, i) => {
      const draft: PostDraft = { text: i % 2 ? `My comment ${i}` : "", repost: { ...THEIRS, status_id: String(i), pubdate: NOW - 1000, text } };
      expect(postDraft.safeParse(draft).success).toBe(true);
      const file = postFile(draft, { now: NOW + i * 1000, id: i }, free);
      return rawPostFile(file.name, file.content);
    });
    const site = buildSiteInMemory({ posts });
    expect(site.model.posts.map((post) => post.guid)).toEqual(HOSTILE.map((_, i) => i));
    for (const post of site.model.posts) {
      const text = HOSTILE[post.guid]!;
      const page = site.stableHtml.get(`/posts/${post.guid}/`)!;
      expect(page).toBeDefined();
      // Parsed back: the very text (trimmed, as written), never a key or an end of the front matter.
      const reparsed = parsePost(posts[post.guid]!);
      expect(reparsed.ok && reparsed.value.repost?.status_id).toBe(String(post.guid));
      expect(post.replyTo).toBeUndefined();
      expect(post.repost?.html).not.toMatch(/<(script|img|a)\b/i);
      expect(page).not.toMatch(/<script>alert|<img src=x|<a href=.javascript:|onerror="alert/i);
      if (text.includes("<script>")) expect(post.repost?.html).toContain("&lt;script&gt;alert(");
    }
    for (const [permalink, xml] of site.xml) expect(xml, permalink).not.toMatch(/<script>alert|<img src=x/);
  });
});
