/**
 * Golden files for the feeds of a small fixture site (test/publish/feed/golden-fixture.ts): every feature
 * a feed can express, rendered with tiny limits so the main feed and both list feeds have archives.
 *
 * Each file is compared byte for byte with test/feed/golden/<permalink>, and also parsed with a real
 * XML parser and checked against the decisions Skein made about Open Microblog 0.5 (namespaces,
 * element names, guid and date formats, no empty text elements, next_node and RFC 5005 links,
 * counts, CDATA content), so a golden file that was updated by mistake still cannot pass.
 *
 * After an INTENDED change to the feed output, rewrite the golden files and review the diff:
 *
 *   UPDATE_GOLDEN=1 npx vitest run --project core test/publish/feed/golden.test.ts
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildSiteInMemory, FULL_PROFILE } from "../../../lib/harness/factories.ts";
import { childNamed, expectArchivesFull, type FeedPageInfo, MICROBLOG, textOf, walkChain } from "../../support/feed-checks.ts";
import { GOLDEN_CONTENT, GOLDEN_OPTIONS, GOLDEN_POSTS } from "./golden-fixture.ts";

const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "golden");
const site = buildSiteInMemory(GOLDEN_CONTENT, GOLDEN_OPTIONS);
const { model } = site;
const base = model.urls.base;
const goldenFile = (permalink: string) => path.join(GOLDEN_DIR, ...permalink.slice(1).split("/"));

function goldenPermalinks(dir = GOLDEN_DIR, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? goldenPermalinks(path.join(dir, entry.name), `${prefix}/${entry.name}`)
      : entry.name.endsWith(".xml")
        ? [`${prefix}/${entry.name}`]
        : [],
  );
}

if (process.env.UPDATE_GOLDEN) {
  rmSync(GOLDEN_DIR, { recursive: true, force: true });
  for (const [permalink, xml] of site.xml) {
    mkdirSync(path.dirname(goldenFile(permalink)), { recursive: true });
    writeFileSync(goldenFile(permalink), xml);
  }
}

const follows = parseYaml(String(GOLDEN_CONTENT.follows)) as { user_id: string; username: string; user_link: string; since?: string }[];
const blocks = parseYaml(String(GOLDEN_CONTENT.blocks)) as typeof follows;
// Walked (and so parsed and checked) lazily, inside the first test that needs them: a broken page
// fails that test with its message instead of failing the whole file at import time.
const chains = memo(() => ({
  feed: walkChain(site.xml, base, "/feed.xml", /^\/feed\/(\d+)\.xml$/, "main"),
  follows: walkChain(site.xml, base, "/follows.xml", /^\/follows\/(\d+)\.xml$/, "list"),
  blocks: walkChain(site.xml, base, "/blocks.xml", /^\/blocks\/(\d+)\.xml$/, "list"),
}));

describe("golden feeds", () => {
  it("every file parses and follows the feed decisions, and next_node reaches every page", () => {
    const { feed, follows: f, blocks: b } = chains();
    expect(feed.pages.length + f.pages.length + b.pages.length).toBe(site.xml.size);
  });

  it("the fixture exercises pagination: >= 3 feed pages and >= 2 pages for each list", () => {
    const { feed: feedChain, follows: followsChain, blocks: blocksChain } = chains();
    expect(feedChain.pages.length).toBeGreaterThanOrEqual(3);
    expect(followsChain.pages.length).toBeGreaterThanOrEqual(2);
    expect(blocksChain.pages.length).toBeGreaterThanOrEqual(2);
    expect(site.xml.size).toBe(feedChain.pages.length + followsChain.pages.length + blocksChain.pages.length);
  });

  it("every rendered file equals its golden file byte for byte, and there is no stale golden file", () => {
    expect(goldenPermalinks().sort()).toEqual([...site.xml.keys()].sort());
    for (const [permalink, xml] of site.xml) {
      const golden = readFileSync(goldenFile(permalink));
      expect(Buffer.from(xml, "utf8").equals(golden), `${permalink} differs from its golden file (UPDATE_GOLDEN=1 after an intended change)`).toBe(true);
    }
  });

  it("every page stays within its limits (UTF-8 bytes of the whole file, items)", () => {
    const { feed: feedChain, follows: followsChain, blocks: blocksChain } = chains();
    for (const page of feedChain.pages) {
      expect(page.bytes, page.label).toBeLessThanOrEqual(GOLDEN_OPTIONS.feedLimits!.maxBytes);
      expect(page.items.length, page.label).toBeLessThanOrEqual(GOLDEN_OPTIONS.feedLimits!.maxItems);
    }
    for (const page of [...followsChain.pages, ...blocksChain.pages]) {
      expect(page.bytes, page.label).toBeLessThanOrEqual(GOLDEN_OPTIONS.listLimits!.maxBytes);
      expect(page.items.length, page.label).toBeLessThanOrEqual(GOLDEN_OPTIONS.listLimits!.maxItems);
    }
  });

  it("the prefix is exactly `microblog`, bound once on <rss> and again on every <item>", () => {
    for (const [permalink, xml] of site.xml) {
      expect(xml.match(/xmlns:microblog="http:\/\/openmicroblog\.com\/"/g)?.length, permalink).toBe((xml.match(/<item[ >]/g)?.length ?? 0) + 1);
      expect(xml, permalink).not.toMatch(/xmlns:(?!microblog=|atom=|fh=)/);
      expect(xml, permalink).not.toMatch(/<\/?(?!microblog:|atom:|fh:)[a-z]+:/i);
    }
    const all: FeedPageInfo[] = Object.values(chains()).flatMap((chain) => chain.pages);
    for (const page of all) expect(page.root.attributes["xmlns:microblog"]).toBe(MICROBLOG);
  });
});

describe("golden main feed", () => {
  const feed = () => chains().feed;

  it("next_node walks from the head through every archive, newest to oldest, each post exactly once", () => {
    const [head, ...archives] = feed().pages;
    const guids = feed().pages.flatMap((page) => page.items.map((item) => item.guid));
    expect(guids).toEqual(model.posts.map((post) => post.guid).reverse());
    expect(new Set(guids).size).toBe(GOLDEN_POSTS.length);
    expect(archives.at(-1)!.nextNode).toBeUndefined();
    expect(head!.nextNode).toBe(`${base}/feed/${archives.length}.xml`);
  });

  it("guids count from 0 in date order; an explicit id keeps its number and moves the counter past it", () => {
    const byFile = new Map(model.posts.map((post) => [post.file.replace("posts/", ""), post.guid]));
    expect(Object.fromEntries(byFile)).toEqual({
      "01-hello.md": 0,
      "02-reply.md": 1,
      "03-repost.md": 2,
      "04-repost-comment.md": 3,
      "05-francais.md": 4,
      "06-markup.md": 5,
      "07-emoji.md": 6,
      "08-imported.md": 100,
      "09-after-import.md": 101,
    });
  });

  it("pages are cut from the oldest post: every archive is full (by items or by bytes)", () => {
    expectArchivesFull(site.xml, chains().feed, GOLDEN_OPTIONS.feedLimits!);
    expectArchivesFull(site.xml, chains().follows, GOLDEN_OPTIONS.listLimits!);
    // The byte limit, not only the item limit, closes at least one page of this fixture.
    expect(feed().pages.some((page) => page.archive && page.items.length < GOLDEN_OPTIONS.feedLimits!.maxItems)).toBe(true);
  });

  it("each page carries the full channel header; relocate only on the head; archives date from their newest item", () => {
    for (const page of feed().pages) {
      const { channel } = page;
      expect(textOf(channel, "title")).toBe(`Ada &amp; Co. (Q&A;) <ok> (@ada)`);
      expect(textOf(channel, "microblog:user_full_name")).toBe("Ada &amp; Co. (Q&A;) <ok>");
      expect(textOf(channel, "microblog:username")).toBe(FULL_PROFILE.username);
      expect(textOf(channel, "microblog:user_id")).toBe(FULL_PROFILE.user_id);
      // The bio holds "]]>": escaped text, so readers of the first CDATA section only still get it whole.
      expect(childNamed(channel, "description")!.cdata).toEqual([]);
      expect(textOf(channel, "description")).toBe(FULL_PROFILE.bio);
      expect(textOf(channel, "microblog:portrait")).toBe(`${base}${FULL_PROFILE.portrait}`);
      expect(textOf(channel, "microblog:header")).toBe(FULL_PROFILE.header);
      expect(textOf(channel, "microblog:profile")).toBe(`${base}/`);
      expect(textOf(channel, "link")).toBe(`${base}/feed.xml`);
      expect(textOf(channel, "docs")).toBe(FULL_PROFILE.docs);
      expect(textOf(channel, "language")).toBe("en");
      const message = childNamed(channel, "microblog:message")!;
      expect(message.attributes).toEqual({ accept: "selected" });
      expect(message.text).toBe(`${FULL_PROFILE.functions_url}/api/message`);
      const followsElement = childNamed(channel, "microblog:follows")!;
      expect(followsElement.attributes).toEqual({ count: String(follows.length) });
      expect(followsElement.text).toBe(`${base}/follows.xml`);
      const blocksElement = childNamed(channel, "microblog:blocks")!;
      expect(blocksElement.attributes).toEqual({ count: String(blocks.length) });
      expect(blocksElement.text).toBe(`${base}/blocks.xml`);
      expect(textOf(channel, "microblog:relocate")).toBe(page.archive ? undefined : FULL_PROFILE.relocate);
      expect(page.lastBuildDate).toBe(page.items[0]!.pubDate);
    }
    expect(feed().pages[0]!.lastBuildDate).toBe(Math.max(...model.posts.map((post) => post.date)));
  });

  it("every item says what its post says; the description is exactly the post's HTML, in one CDATA section unless it holds ']]>'", () => {
    const items = new Map(feed().pages.flatMap((page) => page.items.map((item) => [item.guid, item.element] as const)));
    for (const post of model.posts) {
      const spec = GOLDEN_POSTS.find((p) => `posts/${p.name}` === post.file)!;
      const item = items.get(post.guid)!;
      const where = post.file;
      expect(childNamed(item, "description")!.text, where).toBe(post.html);
      expect(childNamed(item, "description")!.cdata, where).toEqual(post.html.includes("]]>") ? [] : [post.html]);
      expect(Date.parse(textOf(item, "pubDate")!), where).toBe(post.date);
      expect(textOf(item, "link"), where).toBe(`${base}/posts/${post.guid}/`);
      expect(textOf(item, "microblog:reply"), where).toBe(`${FULL_PROFILE.functions_url}/api/posts/${post.guid}/reply`);
      // Item language only when it differs from the feed's.
      expect(textOf(item, "microblog:language"), where).toBe(spec.language && spec.language !== "en" ? spec.language : undefined);
      expect(textOf(item, "microblog:in_reply_to_status_id"), where).toBe(spec.replyTo ? String(spec.replyTo.status_id) : undefined);
      expect(textOf(item, "microblog:in_reply_to_user_id"), where).toBe(spec.replyTo?.user_id);
      expect(textOf(item, "microblog:in_reply_to_user_link"), where).toBe(spec.replyTo?.user_link);
      expect(textOf(item, "microblog:reposted_status_id"), where).toBe(spec.repost ? String(spec.repost.status_id) : undefined);
      expect(textOf(item, "microblog:reposted_status_user_id"), where).toBe(spec.repost?.user_id);
      expect(textOf(item, "microblog:reposted_user_link"), where).toBe(spec.repost?.user_link);
      const repostDate = textOf(item, "microblog:reposted_status_pubdate");
      expect(repostDate === undefined ? undefined : Date.parse(repostDate), where).toBe(spec.repost ? post.repost!.pubdate : undefined);
      expect(childNamed(item, "microblog:reposted_status_user_link"), `${where}: the repost link element is reposted_user_link`).toBeUndefined();
    }
  });

  it("reposts carry the original text; a repost with a comment quotes it below the comment", () => {
    const plain = model.posts.find((post) => post.file === "posts/03-repost.md")!;
    expect(plain.html).toBe("<p>The first swifts are back over the river.</p>\n");
    const comment = model.posts.find((post) => post.file === "posts/04-repost-comment.md")!;
    expect(comment.html).toBe("<p>So true, and <em>so</em> early this year.</p>\n<blockquote>\n<p>Swifts sleep on the wing.</p>\n</blockquote>\n");
    // 2026-01-03T23:30:00+01:00 is 22:30 UTC.
    const item = feed()
      .pages.flatMap((page) => page.items)
      .find((i) => i.guid === comment.guid)!;
    expect(textOf(item.element, "microblog:reposted_status_pubdate")).toBe("Sat, 03 Jan 2026 22:30:00 +0000");
  });

  it("']]>', '<script>' and '&' survive the round trip; a description holding ']]>' is escaped text, read whole by every consumer", () => {
    const post = model.posts.find((p) => p.file === "posts/06-markup.md")!;
    expect(post.html.split("]]>").length - 1).toBe(2);
    expect(post.html).toContain("<script>alert(&quot;x &amp; y&quot;)</script>");
    const pageXml = site.xml.get(feed().permalinks.find((_permalink, i) => feed().pages[i]!.items.some((item) => item.guid === post.guid))!)!;
    expect(pageXml).toContain('&lt;div class="raw"&gt;A raw ]]&gt; block, &amp;amp; another ]]&gt; end.&lt;/div&gt;');
    const item = feed()
      .pages.flatMap((page) => page.items)
      .find((i) => i.guid === post.guid)!;
    const description = childNamed(item.element, "description")!;
    expect(description.cdata).toEqual([]);
    expect(description.text).toBe(post.html);
    // Every other description is one CDATA section.
    for (const other of feed()
      .pages.flatMap((page) => page.items)
      .filter((i) => i.guid !== post.guid)) {
      expect(childNamed(other.element, "description")!.cdata).toHaveLength(1);
    }
  });

  it("astral characters and combining marks come back unchanged", () => {
    const post = model.posts.find((p) => p.file === "posts/07-emoji.md")!;
    const item = feed()
      .pages.flatMap((page) => page.items)
      .find((i) => i.guid === post.guid)!;
    expect(childNamed(item.element, "description")!.text).toBe("<p>Birds 🐦🦜, music 𝄞, flags 🇫🇷 and combining é (e\u0301).</p>\n");
  });
});

describe("golden list feeds", () => {
  for (const [kind, entries] of [
    ["follows", follows],
    ["blocks", blocks],
  ] as const) {
    const chain = () => chains()[kind];
    it(`${kind}: next_node reaches every entry once, newest first, with user_id, user_name and user_link as written`, () => {
      const items = chain().pages.flatMap((page) => page.items);
      expect(items.map((item) => item.guid)).toEqual(entries.map((_, i) => i).reverse());
      for (const item of items) {
        const entry = entries[item.guid]!;
        expect(textOf(item.element, "microblog:user_id")).toBe(entry.user_id);
        expect(textOf(item.element, "microblog:user_name")).toBe(entry.username);
        expect(textOf(item.element, "microblog:user_link")).toBe(entry.user_link);
        expect(childNamed(item.element, "microblog:username"), "items use user_name, not username").toBeUndefined();
      }
    });

    it(`${kind}: each page names its owner, has no count attribute, and dates itself by the newest 'since' on it or an older page`, () => {
      let newestSince: number | undefined;
      for (const page of [...chain().pages].reverse()) {
        expect(textOf(page.channel, "microblog:username")).toBe("ada");
        expect(textOf(page.channel, "microblog:user_id")).toBe(FULL_PROFILE.user_id);
        // Interop: the count lives on the main feed's microblog:follows / microblog:blocks, not on the list's <channel>.
        expect(page.channel.attributes).toEqual({});
        for (const item of page.items) {
          const since = entries[item.guid]!.since;
          if (since !== undefined) newestSince = Math.max(newestSince ?? 0, Date.parse(since));
        }
        expect(page.lastBuildDate, `${page.label} lastBuildDate`).toBe(newestSince ?? 0);
      }
    });
  }
});

function memo<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}
