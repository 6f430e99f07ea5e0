/**
 * lib/publish/site.ts: the site model from valid sources (bad sources: test/publish/site-errors.test.ts). What
 * files exist under which options, what the channel header says, how HTML pages are cut.
 */
import { describe, expect, it } from "vitest";
import { buildSiteFiles, buildSiteInMemory, fixedDate, listYaml, type PostSpec, person, profileYaml, siteSources } from "../../lib/harness/factories.ts";
import { buildSite } from "../../lib/publish/site.ts";
import { childNamed, readFeedPage, textOf } from "../support/feed-checks.ts";

const posts = (n: number): PostSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `p${String(i).padStart(3, "0")}.md`, date: fixedDate(i), body: `Post ${i}.\n` }));

describe("feed files", () => {
  it("no posts yet: one head page without items or lastBuildDate, and a note", () => {
    const { model, xml } = buildSiteInMemory({ posts: [] });
    expect([...xml.keys()]).toEqual(["/feed.xml", "/follows.xml"]);
    const head = readFeedPage(xml.get("/feed.xml")!, "main", "/feed.xml");
    expect(head.items).toEqual([]);
    expect(head.lastBuildDate).toBeUndefined();
    expect(model.warnings).toEqual(["there are no posts yet: the feed has no lastBuildDate until the first post"]);
    expect(model.feedPageCount).toBe(1);
  });

  it("the blocks feed and the blocks element exist only when the blocks list is public", () => {
    const content = { follows: listYaml([person(0)]), blocks: listYaml([person(1), person(2)]), posts: posts(1) };
    const hidden = buildSiteInMemory({ ...content, profile: profileYaml() });
    expect([...hidden.xml.keys()].sort()).toEqual(["/feed.xml", "/follows.xml"]);
    expect(childNamed(readFeedPage(hidden.xml.get("/feed.xml")!, "main", "hidden").channel, "microblog:blocks")).toBeUndefined();
    const shown = buildSiteInMemory({ ...content, profile: profileYaml({ public_blocks: true }) });
    expect([...shown.xml.keys()].sort()).toEqual(["/blocks.xml", "/feed.xml", "/follows.xml"]);
    const blocks = childNamed(readFeedPage(shown.xml.get("/feed.xml")!, "main", "shown").channel, "microblog:blocks")!;
    expect(blocks.attributes.count).toBe("2");
    // Blocking works either way: the model always has the list (the inbox needs it).
    expect(hidden.model.blocks).toHaveLength(2);
  });

  it("accept: off removes the message element and the reply URLs", () => {
    const { xml } = buildSiteInMemory({ profile: profileYaml({ accept: "off" }), posts: posts(2) });
    const head = readFeedPage(xml.get("/feed.xml")!, "main", "off");
    expect(childNamed(head.channel, "microblog:message")).toBeUndefined();
    for (const item of head.items) expect(childNamed(item.element, "microblog:reply")).toBeUndefined();
  });

  it("urlOverride and functionsUrlOverride replace the profile's URLs everywhere", () => {
    const { model, xml } = buildSiteInMemory(
      { profile: profileYaml({ functions_url: "https://fn.example" }), posts: posts(1) },
      { urlOverride: "http://127.0.0.1:8788", functionsUrlOverride: "http://127.0.0.1:9999" },
    );
    expect(model.urls.feed).toBe("http://127.0.0.1:8788/feed.xml");
    const head = readFeedPage(xml.get("/feed.xml")!, "main", "override");
    expect(head.selfUrl).toBe("http://127.0.0.1:8788/feed.xml");
    expect(textOf(head.channel, "microblog:message")).toBe("http://127.0.0.1:9999/api/message");
    expect(textOf(head.items[0]!.element, "microblog:reply")).toBe("http://127.0.0.1:9999/api/posts/0/reply");
    expect(xml.get("/feed.xml")).not.toContain("ada.example");
  });

  it("list feeds use the feed limits unless given their own", () => {
    const follows = listYaml([person(0), person(1), person(2)]);
    const feedLimits = { maxItems: 2, maxBytes: 50_000, headerReserveBytes: 4000 };
    expect([...buildSiteFiles({ follows, posts: posts(3) }, { feedLimits }).keys()].sort()).toEqual([
      "/feed.xml",
      "/feed/1.xml",
      "/follows.xml",
      "/follows/1.xml",
    ]);
    expect([...buildSiteFiles({ follows, posts: posts(3) }, { feedLimits, listLimits: { ...feedLimits, maxItems: 5 } }).keys()].sort()).toEqual([
      "/feed.xml",
      "/feed/1.xml",
      "/follows.xml",
    ]);
  });

  it("a list page's lastBuildDate is the newest `since` on it or an older page, and the Unix epoch when none has one", () => {
    const dated = buildSiteInMemory({
      follows: listYaml([person(0, { since: "2026-03-01T00:00:00Z" }), person(1, { since: "2026-02-01T00:00:00Z" })]),
      posts: posts(1),
    });
    expect(readFeedPage(dated.xml.get("/follows.xml")!, "list", "dated").lastBuildDate).toBe(Date.UTC(2026, 2, 1));
    // Spec "Alternate Feed Layout" requires lastBuildDate; with no `since` anywhere, a fixed date that never changes.
    const undated = buildSiteInMemory({ follows: listYaml([person(0, { since: undefined })]), posts: posts(1) });
    expect(undated.xml.get("/follows.xml")).toContain("<lastBuildDate>Thu, 01 Jan 1970 00:00:00 +0000</lastBuildDate>");
    const empty = buildSiteInMemory({ follows: listYaml([]), posts: posts(1) });
    expect(readFeedPage(empty.xml.get("/follows.xml")!, "list", "empty").lastBuildDate).toBe(0);
    // Paginated: a page without dated entries takes the newest date of the older pages; later dates never reach back.
    const paged = buildSiteInMemory(
      {
        follows: listYaml([
          person(0, { since: "2026-01-05T00:00:00Z" }),
          person(1, { since: undefined }),
          person(2, { since: undefined }),
          person(3, { since: "2026-04-01T00:00:00Z" }),
        ]),
        posts: posts(1),
      },
      { listLimits: { maxItems: 1, maxBytes: 50_000, headerReserveBytes: 4000 } },
    );
    const dates = ["/follows/1.xml", "/follows/2.xml", "/follows/3.xml", "/follows.xml"].map((p) => readFeedPage(paged.xml.get(p)!, "list", p).lastBuildDate);
    expect(dates).toEqual([Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 5), Date.UTC(2026, 3, 1)]);
  });

  it("posts come out oldest first with their guids, whatever order the files are read in", () => {
    const sources = siteSources({ posts: posts(5) });
    const reversed = { ...sources, posts: [...sources.posts].reverse() };
    expect(buildSite(reversed).posts.map((p) => [p.file, p.guid])).toEqual(buildSite(sources).posts.map((p) => [p.file, p.guid]));
    expect(buildSite(sources).posts.map((p) => p.guid)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("HTML pages", () => {
  it("full older-post pages from the oldest; the home page shows the newest and links to the page before them", () => {
    for (let n = 0; n <= 13; n++) {
      const model = buildSite(siteSources({ posts: posts(n) }), { htmlPageSize: 3 });
      const guids = model.posts.map((p) => p.guid);
      expect(
        model.htmlPages.map((p) => p.number),
        `n=${n}`,
      ).toEqual(Array.from({ length: Math.floor(n / 3) }, (_, i) => i + 1));
      model.htmlPages.forEach((page, i) => {
        expect(page.permalink).toBe(`/page/${i + 1}/`);
        expect(
          page.posts.map((p) => p.guid),
          `n=${n} page ${i + 1}`,
        ).toEqual(guids.slice(i * 3, i * 3 + 3).reverse());
        expect(page.olderPermalink).toBe(i > 0 ? `/page/${i}/` : undefined);
      });
      expect(
        model.home.posts.map((p) => p.guid),
        `n=${n} home`,
      ).toEqual(guids.slice(-3).reverse());
      if (n <= 3) {
        expect(model.home.olderPermalink).toBeUndefined();
      } else {
        // The older page holds the newest post not on the home page.
        const older = model.htmlPages.find((p) => p.permalink === model.home.olderPermalink)!;
        expect(
          older.posts.map((p) => p.guid),
          `n=${n}`,
        ).toContain(guids[n - 4]);
      }
    }
  });
});
