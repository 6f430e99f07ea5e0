/**
 * lib/move/import-plan.ts: what an import writes, worked out in memory. Ids (the old integer guid when
 * free, else the next free id, in date order), what counts as already imported, what is skipped or
 * left out and why, lists (appended, deduplicated, never both followed and blocked), the profile's
 * fields checked against what profile.yaml accepts, and the build's own veto (verifyPlan).
 */
import { describe, expect, it } from "vitest";
import { fixedDate, isoUtc, person, siteSources } from "../../lib/harness/factories.ts";
import { splitTrailingQuote } from "../../lib/move/html-to-markdown.ts";
import { type ExistingSite, type ImportSource, planImport, verifyPlan } from "../../lib/move/import-plan.ts";
import { readSourcePage, type SourceItem } from "../../lib/move/source-page.ts";
import { type ParsedPost, parsePost } from "../../lib/publish/posts.ts";
import { err, ok } from "../../lib/shared/result.ts";

const rfc822 = (epoch: number) => new Date(epoch).toUTCString();

function item(n: number, extra: Partial<SourceItem> = {}): SourceItem {
  return { where: `feed.xml line ${n}`, guid: String(n), date: rfc822(fixedDate(n)), html: `<p>Post ${n}</p>`, ...extra };
}

function source(items: SourceItem[], extra: Partial<ImportSource> = {}): ImportSource {
  return { format: "open-microblog", profile: { language: "en" }, items, ...extra };
}

function site(posts: { id: number; date: number }[] = [], extra: Partial<ExistingSite> = {}): ExistingSite {
  const parsed: ParsedPost[] = posts.map((p, i) => ({ file: `posts/e${i}.md`, id: p.id, date: p.date, bodyHtml: "", html: "<p>x</p>\n", summary: "x" }));
  return { posts: parsed, names: new Set(parsed.map((p) => p.file.slice(6))), language: "en", follows: [], blocks: [], ...extra };
}

const front = (text: string) => {
  const parsed = parsePost({ file: "posts/x.md", bytes: new TextEncoder().encode(text) });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  return parsed.value;
};

describe("ids", () => {
  it("an integer guid that is free becomes the id; a taken or non-integer one gets the next free id, in date order", () => {
    const plan = planImport(
      source([item(5), item(2), item(9, { guid: "tag:x,2020:9" }), item(8, { guid: "3" }), item(1, { guid: "007" })]),
      site([{ id: 3, date: fixedDate(50) }]),
    );
    expect(plan.posts.map((p) => [p.where, p.id, p.keptGuid])).toEqual([
      ["feed.xml line 1", 6, false],
      ["feed.xml line 2", 2, true],
      ["feed.xml line 5", 5, true],
      ["feed.xml line 8", 7, false],
      ["feed.xml line 9", 8, false],
    ]);
    for (const post of plan.posts) expect(front(post.text).id).toBe(post.id);
  });

  it("run again with the files written: everything already imported; an item matching a post's date and id too", () => {
    const items = [item(1), item(2)];
    const first = planImport(source(items), site());
    const again = planImport(source(items), { ...site(), names: new Set(first.posts.map((p) => p.name)) });
    expect(again.posts).toEqual([]);
    expect(again.already).toBe(2);
    // Renamed files: the same date and id still say "already here".
    const renamed = planImport(source(items), site([{ id: 1, date: fixedDate(1) }]));
    expect(renamed.already).toBe(1);
    expect(renamed.posts.map((p) => p.id)).toEqual([2]);
  });

  it("a guid seen twice in the chain: the second is skipped", () => {
    const plan = planImport(source([item(1), { ...item(1), where: "feed/1.xml line 4" }]), site());
    expect(plan.posts).toHaveLength(1);
    expect(plan.skipped).toEqual([{ where: "feed/1.xml line 4", reason: "the same guid (1) as feed.xml line 1" }]);
  });
});

describe("each item", () => {
  it("no date, an unreadable date, no text: skipped with the reason", () => {
    const plan = planImport(source([item(1, { date: undefined }), item(2, { date: "someday" }), item(3, { html: "<p> </p>" })]), site());
    expect(plan.skipped.map((s) => s.reason)).toEqual(["no date", 'the date "someday" cannot be read', "no text"]);
  });

  it("reply and repost data from the spec's elements; what is incomplete is left out with a note, the text kept", () => {
    const plan = planImport(
      source([
        item(1, { reply: { status_id: "17", user_id: "u-1", user_link: "https://bob.example/feed.xml" } }),
        item(2, { reply: { status_id: "17", user_id: "u-1" } }),
        item(3, {
          html: "<p>My comment.</p>\n<blockquote>\n<p>Their <em>words</em>.</p>\n</blockquote>\n",
          repost: { status_id: "9", user_id: "u-2", user_link: "https://c.example/feed.xml", pubdate: "Fri, 15 May 2015 08:00:00 UTC" },
        }),
        item(4, { repost: { status_id: "9", user_id: "u-2", user_link: "https://c.example/feed.xml" } }),
      ]),
      site(),
    );
    const [reply, partial, repost, noDate] = plan.posts.map((p) => front(p.text));
    expect(reply!.replyTo).toEqual({ user_id: "u-1", user_link: "https://bob.example/feed.xml", status_id: "17" });
    expect(partial!.replyTo).toBeUndefined();
    expect(repost!.repost).toMatchObject({ user_id: "u-2", status_id: "9", pubdate: Date.UTC(2015, 4, 15, 8) });
    expect(repost!.html).toBe("<p>My comment.</p>\n<blockquote>\n<p>Their <em>words</em>.</p>\n</blockquote>\n");
    expect(noDate!.repost).toBeUndefined();
    expect(noDate!.html).toBe("<p>Post 4</p>\n");
    expect(plan.notes.map((n) => [n.where, n.reason])).toEqual([
      ["feed.xml line 2", "reply_to is left out: the item lacks a usable in_reply_to_status_id, in_reply_to_user_id or in_reply_to_user_link"],
      ["feed.xml line 4", "the repost data is left out (no usable reposted_status_pubdate); the text is kept"],
    ]);
  });

  it("an Atom entry's reply (thr:in-reply-to) and repost (via link): said exactly what is left out, the text kept", () => {
    const text = `<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0"><title>t</title><id>urn:x</id><updated>2020-01-01T00:00:00Z</updated>
<entry><id>urn:uuid:1</id><published>2020-01-01T00:00:00Z</published><content type="html">&lt;p&gt;A reply.&lt;/p&gt;</content>
  <thr:in-reply-to ref="urn:uuid:9f1" href="https://bob.example/feed.xml"/><link rel="via" title="reply" href="https://bob.example/feed.xml"/></entry>
<entry><id>urn:uuid:2</id><published>2020-01-02T00:00:00Z</published><content type="html">&lt;p&gt;Mine.&lt;/p&gt;&lt;blockquote&gt;&lt;p&gt;&amp;lt;b&amp;gt;theirs&lt;/p&gt;&lt;/blockquote&gt;</content>
  <link rel="via" title="repost" href="https://carol.example/feed.xml"/></entry>
</feed>`;
    const page = readSourcePage({ url: "https://old.example/atom.xml", label: "atom.xml", text, bytes: text.length, encoding: "utf-8" });
    if (!page.ok) throw new Error(page.error);
    const plan = planImport({ format: "atom", profile: {}, items: page.value.items }, site());
    expect(plan.posts).toHaveLength(2);
    expect(plan.notes.map((n) => [n.where, n.reason])).toEqual([
      [
        "atom.xml line 3",
        "reply_to is left out: the entry replies to urn:uuid:9f1 (https://bob.example/feed.xml) (thr:in-reply-to), and Atom gives no user_id and status_id for it; the text is kept",
      ],
      [
        "atom.xml line 5",
        'repost is left out: the entry reposts from https://carol.example/feed.xml (link rel="via" title="repost"), and Atom gives no user_id, status_id and pubdate for it; the text is kept as your own, the quote as a quote',
      ],
    ]);
    expect(front(plan.posts[1]!.text).html).toBe("<p>Mine.</p>\n<blockquote>\n<p>&lt;b&gt;theirs</p>\n</blockquote>\n");
  });

  it("language: the item's, else the channel's, written only when it is not the site's", () => {
    const plan = planImport(source([item(1), item(2, { language: "fr" }), item(3, { language: "not a tag!" })], { profile: { language: "de" } }), site());
    expect(plan.posts.map((p) => front(p.text).language)).toEqual(["de", "fr", "de"]);
    expect(plan.notes).toEqual([{ where: "feed.xml line 3", reason: 'the language "not a tag!" is left out: not a language tag' }]);
    expect(planImport(source([item(1)], { profile: { language: "EN" } }), site()).posts.map((p) => front(p.text).language)).toEqual([undefined]);
  });

  it("plain RSS: a title leads the text unless it repeats it", () => {
    const rss = (title: string, html: string) =>
      planImport(source([item(1, { title, html, link: "https://b.example/1" })], { format: "rss" }), site()).posts[0]!;
    expect(front(rss("Hello", "<p>Hello, world.</p>").text).html).toBe(
      '<p><strong><a href="https://b.example/1">Hello</a></strong></p>\n<p>Hello, world.</p>\n',
    );
    expect(front(rss("A long sentence that is the text…", "<p>A long sentence that is the text of the post.</p>").text).html).toBe(
      "<p>A long sentence that is the text of the post.</p>\n",
    );
    expect(front(rss("Same", "<p>Same</p>").text).html).toBe("<p>Same</p>\n");
  });

  it("file names: date, slug, a hash of the identity; stable from run to run", () => {
    const [a] = planImport(source([item(1, { html: "<p>Café &amp; <b>crème</b> brûlée, twice!</p>" })]), site()).posts;
    expect(a!.name).toMatch(/^2026-01-02-cafe-creme-brulee-twice-[0-9a-f]{10}\.md$/);
    expect(planImport(source([item(1, { html: "<p>Café &amp; <b>crème</b> brûlée, twice!</p>" })]), site()).posts[0]!.name).toBe(a!.name);
  });
});

describe("lists", () => {
  const entry = (i: number, over: Record<string, string> = {}) => {
    const p = person(i);
    return { where: `follows.xml line ${i}`, user_id: p.user_id, user_name: p.username, user_link: p.user_link, ...over };
  };

  it("appended oldest first, known accounts (by user_id or feed URL) counted, bad entries and accounts in the other list skipped", () => {
    const existing = { user_id: person(0).user_id, username: "friend_0", user_link: person(0).user_link };
    const blocked = { user_id: person(7).user_id, username: "friend_7", user_link: person(7).user_link };
    const plan = planImport(
      source([], {
        follows: ok([entry(3), entry(2, { user_link: "HTTPS://FRIEND0.example/feed.xml/" }), entry(1), entry(7), entry(4, { user_link: "ftp://x" })]),
        blocks: ok([entry(9)]),
      }),
      site([], { follows: [existing], blocks: [blocked] }),
    );
    expect(plan.follows!.add.map((e) => e.username)).toEqual(["friend_1", "friend_3"]);
    expect(plan.follows!.already).toBe(1);
    expect(plan.follows!.skipped.map((s) => s.reason)).toEqual(["user_link: must be an absolute http:// or https:// URL", "friend_7 is also in blocks.yaml"]);
    expect(plan.blocks!.add.map((e) => e.username)).toEqual(["friend_9"]);
    expect(planImport(source([], { follows: err("page 2 answered HTTP 500") }), site()).follows).toEqual({
      add: [],
      already: 0,
      skipped: [],
      failed: "page 2 answered HTTP 500",
    });
  });
});

describe("profile", () => {
  it("each field found, with why it cannot be used here when it cannot", () => {
    const plan = planImport(
      source([], {
        profile: {
          username: "way-too-long-username-for-skein",
          user_id: "urn:x",
          full_name: "Old Me",
          bio: "b".repeat(1001),
          portrait: "/me.png",
          header: "ftp://x",
          language: "fr",
        },
      }),
      site(),
    );
    expect(plan.profile.map((f) => [f.field, f.problem ?? "ok"])).toEqual([
      ["username", "must be 1-25 letters (A-Z, a-z), digits or underscores"],
      ["user_id", "must be a UUID such as 3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10 (run `npm run init` to make one)"],
      ["full_name", "ok"],
      ["bio", "longer than 1000 characters"],
      ["portrait", "ok"],
      ["header", "must be an absolute http(s) URL or a site path starting with /"],
      ["language", "ok"],
    ]);
  });
});

describe("splitTrailingQuote", () => {
  it("the last top-level blockquote when the HTML ends with it", () => {
    expect(splitTrailingQuote("<p>a</p>\n<blockquote>\n<p>b</p>\n</blockquote>\n")).toEqual(["<p>a</p>\n", "\n<p>b</p>\n"]);
    expect(splitTrailingQuote("<blockquote>x<blockquote>y</blockquote></blockquote>")).toEqual(["", "x<blockquote>y</blockquote>"]);
    expect(splitTrailingQuote("<blockquote>x</blockquote><p>after</p>")).toBeUndefined();
    expect(splitTrailingQuote("<p>no quote</p>")).toBeUndefined();
  });
});

describe("verifyPlan", () => {
  it("a post the build refuses (too large for a feed page) is skipped with the build's reason; the rest stays", () => {
    const plan = planImport(source([item(1), item(2, { html: `<p>${"long words ".repeat(400)}</p>` })]), site());
    const sources = siteSources({ posts: [] });
    const verified = verifyPlan(plan, sources, {}, { feedLimits: { maxItems: 10, maxBytes: 5000, headerReserveBytes: 2000 } });
    expect(verified.posts.map((p) => p.id)).toEqual([1]);
    expect(verified.skipped).toHaveLength(1);
    expect(verified.skipped[0]!.reason).toMatch(/^the build refuses it: is \d+ bytes in the feed, more than one feed page holds/);
    expect(isoUtc(verified.posts[0]!.date)).toBe("2026-01-02T09:00:00Z");
  });
});
