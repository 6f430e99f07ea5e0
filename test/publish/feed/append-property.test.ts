/**
 * Property: publishing is append-only. For several seeds, posts (or list entries) are appended one at
 * a time, the site is rebuilt in memory after each append, and after EVERY step:
 *
 * - no archive page (feed /feed/k.xml, lists /follows/k.xml and /blocks/k.xml, HTML /page/k/ and
 *   post pages /posts/g/) ever changes a byte once it exists, and none disappears;
 * - next_node from the head reaches every post (entry) exactly once and ends;
 * - no page exceeds its limits (whole-file UTF-8 bytes, items), and every archive is full;
 * - guids never change; items are newest first within pages.
 *
 * Sizes are varied (multi-byte text, replies, reposts, raw HTML with "]]>") and the limits small, so
 * both the item limit and the byte limit close pages. The seed is in each test's name.
 */
import { describe, expect, it } from "vitest";
import {
  buildSiteInMemory,
  FULL_PROFILE,
  fixedDate,
  listYaml,
  type PersonFields,
  type PostSpec,
  person,
  profileYaml,
  type SeededRandom,
  seededRandom,
} from "../../../lib/harness/factories.ts";
import type { PageLimits } from "../../../lib/publish/feed/paginate.ts";
import type { BuildOptions } from "../../../lib/publish/site.ts";
import { type Chain, expectArchivesFull, readFeedPage, walkChain } from "../../support/feed-checks.ts";

const SEEDS = [1, 7, 42, 2026, 90210];
const POSTS_PER_SEED = 36;
const ENTRIES_PER_SEED = 24;
const BASE = "https://ada.example";

/** Text pieces of 1, 2, 3 and 4 UTF-8 bytes per character, so byte and character counts differ. */
const PIECES = ["word ", "a & b ", "<tag> ", "café ", "naïve ", "中文 ", "🐦 ", "𝄞 ", "**bold** "];

function randomBody(rng: SeededRandom, maxBytes: number): string {
  // Mostly short posts (pages fill up by count), now and then a long one (pages fill up by bytes).
  const target = rng.chance(0.85) ? rng.int(5, 100) : rng.int(100, maxBytes);
  let body = "";
  while (Buffer.byteLength(body) < target) body += rng.pick(PIECES);
  if (rng.chance(0.15)) body += "\n\n<div>raw ]]> inside</div>\n";
  return `${body.trim()}\n`;
}

function randomPost(rng: SeededRandom, index: number, bodyMaxBytes: number, nextGuid: number): PostSpec {
  // Each post is newer than all before it: 1-30 hours later, at a random minute.
  const spec: PostSpec = {
    name: `p${String(index).padStart(3, "0")}.md`,
    date: fixedDate(0, index * 30) + rng.int(0, 29 * 60) * 60_000,
    body: randomBody(rng, bodyMaxBytes),
  };
  const kind = rng.int(0, 9);
  const other = person(rng.int(0, 5));
  if (kind === 0) spec.replyTo = { user_id: other.user_id, user_link: other.user_link, status_id: rng.int(0, 10_000), username: other.username };
  if (kind === 1) {
    spec.repost = {
      user_id: other.user_id,
      user_link: other.user_link,
      status_id: String(rng.int(0, 10_000)),
      pubdate: fixedDate(-1),
      text: randomBody(rng, 200),
    };
    if (rng.chance(0.5)) delete spec.body;
  }
  if (kind === 2) spec.language = rng.pick(["fr", "de", "en"]);
  // Now and then an imported post with an explicit id, past every guid in use.
  if (kind === 3 && rng.chance(0.5)) spec.id = nextGuid + rng.int(0, 7);
  return spec;
}

interface Stable {
  /** permalink -> bytes, for every page that must never change once it exists. */
  pages: Map<string, string>;
}

function expectUnchanged(stable: Stable, current: ReadonlyMap<string, string>, isStable: (permalink: string) => boolean, step: number): void {
  for (const [permalink, text] of stable.pages) {
    if (!isStable(permalink)) continue;
    expect(current.has(permalink), `step ${step}: ${permalink} disappeared`).toBe(true);
    expect(current.get(permalink) === text, `step ${step}: ${permalink} changed after it was archived`).toBe(true);
  }
  for (const [permalink, text] of current) if (isStable(permalink) && !stable.pages.has(permalink)) stable.pages.set(permalink, text);
}

function expectWithinLimits(chain: Chain, limits: PageLimits, step: number): void {
  for (const page of chain.pages) {
    expect(page.bytes, `step ${step}: ${page.label} bytes`).toBeLessThanOrEqual(limits.maxBytes);
    expect(page.items.length, `step ${step}: ${page.label} items`).toBeLessThanOrEqual(limits.maxItems);
  }
}

const isFeedArchive = (p: string) => /^\/feed\/\d+\.xml$/.test(p);

describe("appending posts one at a time", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: archives and older pages never change, the chain reaches every post once, limits hold, guids stay`, { timeout: 60_000 }, () => {
      const rng = seededRandom(seed);
      // A short item takes 350-450 bytes: the byte budget fits a full page of short posts, not of long ones.
      const maxItems = rng.int(4, 7);
      const feedLimits: PageLimits = { maxItems, maxBytes: 1500 + maxItems * rng.int(550, 700), headerReserveBytes: 1500 };
      const options: BuildOptions = { feedLimits, htmlPageSize: rng.int(3, 5) };
      // Room for the item's own markup (up to ~700 bytes with a repost) and for markdown's escapes.
      const bodyMaxBytes = Math.floor((feedLimits.maxBytes - feedLimits.headerReserveBytes - 700) / 1.7);
      const profile = profileYaml({ full_name: "Ada", bio: "Short bio.", relocate: FULL_PROFILE.relocate, public_blocks: true });
      const follows = listYaml([person(0), person(1)]);
      const blocks = listYaml([person(9)]);

      const posts: PostSpec[] = [];
      const feedPages: Stable = { pages: new Map() };
      const htmlPages: Stable = { pages: new Map() };
      const guids = new Map<string, number>();
      let sawItemCut = false;
      let sawByteCut = false;

      for (let step = 1; step <= POSTS_PER_SEED; step++) {
        const nextGuid = Math.max(-1, ...guids.values()) + 1;
        posts.push(randomPost(rng, step, bodyMaxBytes, nextGuid));
        const site = buildSiteInMemory({ profile, follows, blocks, posts }, options);

        // Archives never change.
        expectUnchanged(feedPages, site.xml, isFeedArchive, step);
        expectUnchanged(htmlPages, site.stableHtml, () => true, step);

        // next_node reaches every post exactly once, newest first.
        const chain = walkChain(site.xml, BASE, "/feed.xml", /^\/feed\/(\d+)\.xml$/, "main");
        const reached = chain.pages.flatMap((page) => page.items.map((item) => item.guid));
        expect(reached, `step ${step}: posts reached by next_node`).toEqual(site.model.posts.map((post) => post.guid).reverse());
        expect(reached).toHaveLength(step);

        expectWithinLimits(chain, feedLimits, step);
        expectArchivesFull(site.xml, chain, feedLimits);
        for (const page of chain.pages.slice(1)) {
          if (page.items.length === feedLimits.maxItems) sawItemCut = true;
          else sawByteCut = true;
        }

        // guids never change once given.
        for (const post of site.model.posts) {
          const before = guids.get(post.file);
          if (before !== undefined) expect(post.guid, `step ${step}: guid of ${post.file}`).toBe(before);
          guids.set(post.file, post.guid);
        }

        // HTML: full older-post pages from the oldest, and home + older pages reach every post.
        const size = options.htmlPageSize!;
        expect(site.model.htmlPages).toHaveLength(Math.floor(step / size));
        for (const page of site.model.htmlPages) expect(page.posts, `step ${step}: ${page.permalink}`).toHaveLength(size);
        const shown = new Set(site.model.home.posts.map((post) => post.guid));
        for (let older = site.model.home.olderPermalink; older; ) {
          const page = site.model.htmlPages.find((p) => p.permalink === older)!;
          expect(page, `step ${step}: ${older} exists`).toBeDefined();
          for (const post of page.posts) shown.add(post.guid);
          older = page.olderPermalink;
        }
        expect(shown.size, `step ${step}: home and older pages show every post`).toBe(step);
      }
      // The sizes were varied enough for both limits to close pages.
      expect(sawItemCut, "some page was closed by the item limit").toBe(true);
      expect(sawByteCut, "some page was closed by the byte limit").toBe(true);
      expect(feedPages.pages.size).toBeGreaterThanOrEqual(3);
      expect([...htmlPages.pages.keys()].some((p) => p.startsWith("/page/"))).toBe(true);
    });
  }
});

function randomPerson(rng: SeededRandom, i: number): PersonFields {
  // Long or short names and links, so the byte limit closes some list pages too.
  const entry = person(i, {
    username: `${rng.pick(["a", "bo", "carmen", "dmitri_k", "evangeline.x"])}${i}`.slice(0, 25),
    user_link: `https://friend${i}.example/feed.xml${rng.chance(0.5) ? `?tag=${"x".repeat(rng.int(200, 400))}&v=1` : ""}`,
  });
  if (rng.chance(0.3)) delete entry.since;
  return entry;
}

describe("appending list entries one at a time", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: follows and blocks archives never change, each chain reaches every entry once, limits hold`, { timeout: 60_000 }, () => {
      const rng = seededRandom(seed * 31 + 5);
      // A plain entry takes about 330 bytes, one with a long link up to about 750.
      const maxItems = rng.int(2, 4);
      const listLimits: PageLimits = { maxItems, maxBytes: 1100 + maxItems * rng.int(450, 550), headerReserveBytes: 1100 };
      const options: BuildOptions = { listLimits };
      const profile = profileYaml(FULL_PROFILE);
      const lists = { follows: [] as PersonFields[], blocks: [] as PersonFields[] };
      const archives: Stable = { pages: new Map() };
      const isListArchive = (p: string) => /^\/(follows|blocks)\/\d+\.xml$/.test(p);
      let sawItemCut = false;
      let sawByteCut = false;

      for (let step = 1; step <= ENTRIES_PER_SEED; step++) {
        const kind = rng.chance(0.6) ? "follows" : "blocks";
        lists[kind].push(randomPerson(rng, step));
        const site = buildSiteInMemory(
          { profile, follows: listYaml(lists.follows), blocks: listYaml(lists.blocks), posts: [{ date: fixedDate(0), body: "hi\n" }] },
          options,
        );
        expectUnchanged(archives, site.xml, isListArchive, step);
        const headFeed = readFeedPage(site.xml.get("/feed.xml")!, "main", "/feed.xml");
        for (const name of ["follows", "blocks"] as const) {
          const chain = walkChain(site.xml, BASE, `/${name}.xml`, new RegExp(`^/${name}/(\\d+)\\.xml$`), "list");
          const reached = chain.pages.flatMap((page) => page.items.map((item) => item.guid));
          expect(reached, `step ${step}: ${name} entries reached by next_node`).toEqual(lists[name].map((_, i) => i).reverse());
          chain.pages
            .flatMap((page) => page.items)
            .forEach((item) => {
              const entry = lists[name][item.guid]!;
              expect(item.element.elements.find((e) => e.name === "microblog:user_link")?.text).toBe(entry.user_link);
            });
          expectWithinLimits(chain, listLimits, step);
          expectArchivesFull(site.xml, chain, listLimits);
          // The count is on the main feed's microblog:follows / microblog:blocks (list channels carry none).
          const counted = headFeed.channel.elements.find((e) => e.name === `microblog:${name}`);
          expect(counted?.attributes.count, `step ${step}: ${name} count in the main feed`).toBe(String(lists[name].length));
          for (const page of chain.pages.slice(1)) {
            if (page.items.length === listLimits.maxItems) sawItemCut = true;
            else sawByteCut = true;
          }
        }
      }
      expect(sawItemCut, "some list page was closed by the item limit").toBe(true);
      expect(sawByteCut, "some list page was closed by the byte limit").toBe(true);
      expect(archives.pages.size).toBeGreaterThanOrEqual(3);
    });
  }
});
