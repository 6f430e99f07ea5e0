/**
 * The Atom alternate feed (lib/publish/feed/atom-feed.ts, atom-ids.ts): every page passes the W3C
 * feed validator's Atom rules (test/support/atom-checks.ts, over a real parser), pages are cut where
 * the RSS chain is cut and archives never change, RFC 5005 and WebSub links sit where they belong,
 * entry ids survive a move to another domain, replies and reposts say what they answer or copy, and
 * the profile's `hubs:` reach both feeds' head pages and nothing else.
 */
import { describe, expect, it } from "vitest";
import {
  buildSiteInMemory,
  FULL_PROFILE,
  fixedDate,
  OWNER_ID,
  type PostSpec,
  profileYaml,
  type SiteContent,
  siteSources,
} from "../../../lib/harness/factories.ts";
import { atomEntryId, atomFeedId, OPEN_MICROBLOG_ITEM_NAMESPACE, uuidV5 } from "../../../lib/publish/feed/atom-ids.ts";
import { buildSite, SiteBuildError, type SiteModel } from "../../../lib/publish/site.ts";
import { Budget } from "../../../lib/shared/budget.ts";
import { createPageLoader } from "../../../lib/validate/page-loader.ts";
import { validateFeed } from "../../../lib/validate/validate-feed.ts";
import { atomChildren, atomLinks, atomProblems, atomText, expanded, FEED_HISTORY, parseAtom, THREAD } from "../../support/atom-checks.ts";
import { serveFeeds } from "../../validate/support/serve.ts";
import { GOLDEN_CONTENT, GOLDEN_OPTIONS } from "./golden-fixture.ts";

function atomFiles(model: SiteModel): Map<string, string> {
  return new Map(model.atomFiles.map((file) => [file.permalink, file.render()]));
}

function rssGuids(xml: string): string[] {
  return [...xml.matchAll(/<guid isPermaLink="false">(\d+)<\/guid>/g)].map((m) => m[1]!);
}

function entryIds(xml: string): string[] {
  return atomChildren(parseAtom(xml), "entry").map((entry) => atomText(entry, "id")!);
}

const golden = buildSiteInMemory(GOLDEN_CONTENT, GOLDEN_OPTIONS);
const goldenAtom = atomFiles(golden.model);
const base = golden.model.urls.base;

describe("atom ids", () => {
  it("uuidV5 is RFC 9562 version 5 (the RFC's DNS example)", () => {
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
    expect(OPEN_MICROBLOG_ITEM_NAMESPACE).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("depend on user_id and guid only: case of a UUID does not matter, everything else does", () => {
    const id = atomEntryId(OWNER_ID, 7);
    expect(id).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(atomEntryId(OWNER_ID.toUpperCase(), "7")).toBe(id);
    expect(atomEntryId(OWNER_ID, 8)).not.toBe(id);
    expect(atomEntryId("3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f11", 7)).not.toBe(id);
    // Not UUIDs: compared as written.
    expect(atomEntryId("Bob", 1)).not.toBe(atomEntryId("bob", 1));
    expect(atomFeedId(OWNER_ID)).not.toBe(id);
  });
});

describe("W3C feed validator rules", () => {
  it("every page of the golden site's Atom chain is valid, with rel=self naming where it is served", () => {
    expect(goldenAtom.size).toBeGreaterThanOrEqual(3);
    // One post is raw owner HTML with a <script> on purpose (golden-fixture.ts): the validator only warns about it.
    const warnedOnly = (problem: string) => problem.startsWith("ContainsScript:");
    for (const [permalink, xml] of goldenAtom)
      expect(
        atomProblems(xml, { location: `${base}${permalink}` }).filter((p) => !warnedOnly(p)),
        permalink,
      ).toEqual([]);
    expect([...goldenAtom.values()].flatMap((xml) => atomProblems(xml)).filter(warnedOnly)).toHaveLength(1);
  });

  it("a site without posts, and one with the smallest profile, are valid too", () => {
    for (const content of [{}, { posts: [{ date: fixedDate(0), body: "One.\n" }] }] as SiteContent[]) {
      const model = buildSiteInMemory(content).model;
      for (const [permalink, xml] of atomFiles(model)) expect(atomProblems(xml, { location: `${model.urls.base}${permalink}` }), permalink).toEqual([]);
    }
  });

  it("the checker catches what the validator would: it is not a rubber stamp", () => {
    const head = goldenAtom.get("/atom.xml")!;
    const broken: [string, RegExp][] = [
      [head.replace(/<updated>[^<]*<\/updated>/, "<updated>Fri, 09 Jan 2026 09:00:00 +0000</updated>"), /InvalidRFC3339Date/],
      [head.replace(/<id>urn:uuid:[^<]*<\/id>/, "<id>posts/1</id>"), /InvalidIRI/],
      [head.replace('rel="alternate" type="text/html" href="https://ada.example/"', 'rel="alternate" type="text/html" href="/"'), /InvalidFullLink/],
      [head.replace("</generator>", '</generator>\n  <link rel="alternate" type="text/html" href="https://ada.example/x"/>'), /DuplicateAtomLink/],
      [
        head.replace(/(<entry>\s*<id>[^<]*<\/id>)([\s\S]*?<entry>\s*)<id>[^<]*<\/id>/, (_m, a: string, b: string) => `${a}${b}${a.replace(/^<entry>\s*/, "")}`),
        /DuplicateEntries/,
      ],
      [head.replace(/<link rel="self"[^>]*\/>/, ""), /MissingSelf/],
      [head.replace(/<author>[\s\S]*?<\/author>/, ""), /MissingAuthor/],
      [head.replace("<title>", "<title>").replace(/<title>[^<]*<\/title>/, ""), /MissingElement: <feed> has no <title>/],
      [head.replace("<feed ", "<fed ").replace("</feed>", "</fed>"), /UndefinedElement/],
      [head.replace("</feed>", ""), /NotWellFormed/],
    ];
    const threaded = [...goldenAtom.values()].find((xml) => xml.includes("<thr:in-reply-to"))!;
    broken.push([threaded.replace(' xmlns:thr="http://purl.org/syndication/thread/1.0"', ""), /UnboundPrefix/]);
    broken.push([threaded.replace(/ ref="[^"]*"/, ' ref="17"'), /InvalidIRI/]);
    for (const [xml, rule] of broken) expect(atomProblems(xml).join("\n")).toMatch(rule);
    expect(atomProblems(head, { location: `${base}/feed.xml` }).join("\n")).toMatch(/SelfDoesntMatchLocation/);
  });
});

describe("pages and archives", () => {
  it("page k of the Atom chain holds the posts of page k of the RSS chain, newest first", () => {
    const { model, xml } = golden;
    expect(model.atomFiles.length).toBe(model.feedFiles.length);
    model.feedFiles.forEach((rssFile, i) => {
      const atomFile = model.atomFiles[i]!;
      expect(atomFile.permalink).toBe(rssFile.permalink.replace(/^\/feed/, "/atom"));
      const guids = rssGuids(xml.get(rssFile.permalink)!);
      expect(entryIds(goldenAtom.get(atomFile.permalink)!)).toEqual(guids.map((guid) => atomEntryId(OWNER_ID, guid)));
    });
  });

  it("archives never change when posts are added, and a rebuild gives the same bytes", () => {
    const posts = (n: number): PostSpec[] =>
      Array.from({ length: n }, (_, i) => ({ id: i, date: fixedDate(i), body: `Post ${i}, ${"long ".repeat(i % 7)}\n` }));
    const options = { feedLimits: { maxItems: 3, maxBytes: 4000, headerReserveBytes: 1500 } };
    const before = atomFiles(buildSite(siteSources({ posts: posts(10) }), options));
    const again = atomFiles(buildSite(siteSources({ posts: posts(10) }), options));
    const after = atomFiles(buildSite(siteSources({ posts: posts(17) }), options));
    expect([...again]).toEqual([...before]);
    const archives = [...before.keys()].filter((permalink) => permalink !== "/atom.xml");
    expect(archives.length).toBeGreaterThanOrEqual(2);
    for (const permalink of archives) expect(after.get(permalink), permalink).toBe(before.get(permalink));
    expect(after.get("/atom.xml")).not.toBe(before.get("/atom.xml"));
  });

  it("RFC 5005: the head links its newest archive; archives say fh:archive, name the head as current and the one before", () => {
    const pages = golden.model.atomFiles.map((file) => file.permalink);
    const count = pages.length;
    for (const [permalink, xml] of goldenAtom) {
      const feed = parseAtom(xml);
      const archive = feed.children.filter((child) => expanded(child).ns === FEED_HISTORY && expanded(child).local === "archive");
      expect(atomLinks(feed, "self")).toEqual([`${base}${permalink}`]);
      expect(atomLinks(feed, "alternate")).toEqual([`${base}/`]);
      if (permalink === "/atom.xml") {
        expect(archive).toHaveLength(0);
        expect(atomLinks(feed, "current")).toEqual([]);
        expect(atomLinks(feed, "prev-archive")).toEqual([`${base}/atom/${count - 1}.xml`]);
      } else {
        const k = Number(/\/atom\/(\d+)\.xml$/.exec(permalink)![1]);
        expect(archive).toHaveLength(1);
        expect(atomLinks(feed, "current")).toEqual([`${base}/atom.xml`]);
        expect(atomLinks(feed, "prev-archive")).toEqual(k > 1 ? [`${base}/atom/${k - 1}.xml`] : []);
        expect(atomLinks(feed, "next-archive")).toEqual([]);
      }
      // One logical feed: the same id on every page.
      expect(atomText(feed, "id")).toBe(atomFeedId(OWNER_ID));
    }
  });
});

describe("entries", () => {
  const entries = [...goldenAtom.values()].flatMap((xml) => atomChildren(parseAtom(xml), "entry"));
  const byPost = (guid: number) => entries.find((entry) => atomText(entry, "id") === atomEntryId(OWNER_ID, guid))!;

  it("ids stay the same when the site moves to another domain (not derived from the URL)", () => {
    const moved = atomFiles(
      buildSiteInMemory({ ...GOLDEN_CONTENT, profile: profileYaml({ ...FULL_PROFILE, url: "https://elsewhere.example/ada/" }) }, GOLDEN_OPTIONS).model,
    );
    const ids = (files: Map<string, string>) => [...files.values()].flatMap(entryIds);
    expect(ids(moved)).toEqual(ids(goldenAtom));
    expect(new Set(ids(goldenAtom)).size).toBe(golden.model.posts.length);
    for (const id of ids(goldenAtom)) expect(id).not.toContain("ada.example");
  });

  it("published and updated are the post's date in RFC 3339 UTC; the page's updated is its newest entry's", () => {
    for (const post of golden.model.posts) {
      const entry = byPost(post.guid);
      expect(atomText(entry, "published")).toBe(new Date(post.date).toISOString().replace(".000Z", "Z"));
      expect(atomText(entry, "updated")).toBe(atomText(entry, "published"));
    }
    for (const xml of goldenAtom.values()) {
      const feed = parseAtom(xml);
      const newest = atomChildren(feed, "entry").map((entry) => Date.parse(atomText(entry, "updated")!));
      expect(Date.parse(atomText(feed, "updated")!)).toBe(Math.max(...newest));
    }
  });

  it("content is the post's HTML as type html (the same text as the RSS description), with a link to the post page", () => {
    for (const post of golden.model.posts) {
      const entry = byPost(post.guid);
      const content = atomChildren(entry, "content")[0]!;
      expect(content.attributes.type).toBe("html");
      expect(content.text).toBe(post.html);
      expect(atomLinks(entry, "alternate")).toEqual([`${base}/posts/${post.guid}/`]);
      expect(atomText(entry, "title")).toBe(post.summary);
    }
  });

  it("a reply names what it answers (RFC 4685 thr:in-reply-to ref + href, and the design's via title=reply)", () => {
    const reply = golden.model.posts.find((post) => post.replyTo)!;
    const entry = byPost(reply.guid);
    const inReplyTo = entry.children.filter((child) => expanded(child).ns === THREAD && expanded(child).local === "in-reply-to");
    expect(inReplyTo).toHaveLength(1);
    expect(inReplyTo[0]!.attributes.ref).toBe(atomEntryId(reply.replyTo!.user_id, reply.replyTo!.status_id));
    expect(inReplyTo[0]!.attributes.href).toBe(reply.replyTo!.user_link);
    const via = atomChildren(entry, "link").filter((link) => link.attributes.rel === "via");
    expect(via.map((link) => [link.attributes.title, link.attributes.href])).toEqual([["reply", reply.replyTo!.user_link]]);
  });

  it("a reply to another Skein site names the id that site's own Atom feed gives the item", () => {
    const theirs = "5b8f3a2c-9d41-4e06-8a7b-2c1d0e9f8a64";
    const theirSite = atomFiles(
      buildSite(
        siteSources({
          profile: profileYaml({ username: "juniper", user_id: theirs, url: "https://juniper.example" }),
          posts: [{ id: 4, date: fixedDate(0), body: "Hi.\n" }],
        }),
      ),
    );
    const ours = atomFiles(
      buildSite(
        siteSources({
          posts: [{ id: 0, date: fixedDate(1), body: "Hello.\n", replyTo: { user_id: theirs, user_link: "https://juniper.example/feed.xml", status_id: 4 } }],
        }),
      ),
    );
    const ref = /<thr:in-reply-to[^>]* ref="([^"]+)"/.exec(ours.get("/atom.xml")!)![1];
    expect(entryIds(theirSite.get("/atom.xml")!)).toEqual([ref]);
  });

  it("a repost links the original's feed (via title=repost) and carries no thread element", () => {
    const reposts = golden.model.posts.filter((post) => post.repost);
    expect(reposts.length).toBeGreaterThanOrEqual(2);
    for (const post of reposts) {
      const entry = byPost(post.guid);
      expect(
        atomChildren(entry, "link")
          .filter((link) => link.attributes.rel === "via")
          .map((link) => [link.attributes.title, link.attributes.href]),
      ).toEqual([["repost", post.repost!.user_link]]);
      expect(entry.children.some((child) => expanded(child).ns === THREAD)).toBe(false);
    }
  });

  it("a post in another language than the feed says so with xml:lang", () => {
    const french = golden.model.posts.find((post) => post.language === "fr")!;
    expect(byPost(french.guid).attributes["xml:lang"]).toBe("fr");
    const english = golden.model.posts.find((post) => post.language === "en")!;
    expect(byPost(english.guid).attributes["xml:lang"]).toBeUndefined();
    expect(parseAtom(goldenAtom.get("/atom.xml")!).attributes["xml:lang"]).toBe("en");
  });

  it("the author is the profile: its name and profile page; title, subtitle, icon and logo come from it too", () => {
    const feed = parseAtom(goldenAtom.get("/atom.xml")!);
    const author = atomChildren(feed, "author")[0]!;
    expect(atomText(author, "name")).toBe("Ada &amp; Co. (Q&A;) <ok>");
    expect(atomText(author, "uri")).toBe(`${base}/`);
    expect(atomText(feed, "title")).toBe("Ada &amp; Co. (Q&A;) <ok> (@ada)");
    expect(atomText(feed, "subtitle")).toBe(FULL_PROFILE.bio);
    expect(atomText(feed, "icon")).toBe(`${base}/assets/portrait.svg`);
    expect(atomText(feed, "logo")).toBe(FULL_PROFILE.header);
    const plain = parseAtom(atomFiles(buildSiteInMemory({}).model).get("/atom.xml")!);
    expect(atomText(atomChildren(plain, "author")[0]!, "name")).toBe("ada");
  });
});

describe("hubs (profile `hubs:`)", () => {
  const posts: PostSpec[] = Array.from({ length: 5 }, (_, i) => ({ id: i, date: fixedDate(i), body: `Post ${i}.\n` }));
  const options = { feedLimits: { maxItems: 2, maxBytes: 50_000, headerReserveBytes: 4000 } };
  const withHubs = (hubs: unknown, extra: Record<string, unknown> = {}) => buildSiteInMemory({ profile: profileYaml({ hubs, ...extra }), posts }, options);

  it("both head pages declare every hub and rel=self; no archive does; `self` is our own hub on the functions' host", () => {
    const site = withHubs(["self", "https://hub.example/"], { functions_url: "https://fn.ada.example" });
    const hubs = ["https://fn.ada.example/api/websub/hub", "https://hub.example/"];
    const atom = atomFiles(site.model);
    expect(atomLinks(parseAtom(atom.get("/atom.xml")!), "hub")).toEqual(hubs);
    const rssHead = site.xml.get("/feed.xml")!;
    expect([...rssHead.matchAll(/<atom:link rel="hub" href="([^"]+)"\/>/g)].map((m) => m[1])).toEqual(hubs);
    expect(rssHead).toContain('<atom:link rel="self" type="application/rss+xml" href="https://ada.example/feed.xml"/>');
    expect(rssHead).toMatch(/<rss [^>]*xmlns:atom="http:\/\/www\.w3\.org\/2005\/Atom"/);
    for (const [permalink, xml] of [...atom, ...site.xml]) {
      if (permalink === "/atom.xml" || permalink === "/feed.xml") continue;
      expect(xml, permalink).not.toContain('rel="hub"');
    }
    for (const [permalink, xml] of atom) expect(atomProblems(xml, { location: `https://ada.example${permalink}` }), permalink).toEqual([]);
  });

  it("the Open Microblog chain with hub links is still valid for npm run validate (lib/validate), page by page and as a chain", async () => {
    const server = await serveFeeds();
    try {
      const site = buildSiteInMemory({ profile: profileYaml({ url: `${server.base}/ada`, hubs: ["self", "https://hub.example/"] }), posts }, options);
      expect(site.xml.get("/feed.xml")).toContain('rel="hub"');
      for (const [permalink, xml] of site.xml) server.routes.set(`/ada${permalink}`, xml);
      const loader = createPageLoader({
        fetch,
        allowLoopback: true,
        budget: new Budget({ subrequests: 100, bytes: 8 * 1024 * 1024, durationMs: 30_000 }, Date.now),
        maxPageBytes: 1024 * 1024,
        timeoutMs: 5000,
        maxRedirects: 3,
      });
      const report = await validateFeed(`${server.base}/ada/feed.xml`, { loader, maxPages: 20 });
      expect(report.problems).toEqual([]);
      expect(report.valid).toBe(true);
      expect(report.pages.filter((page) => page.kind === "main")).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it("archives are the same bytes with or without hubs", () => {
    const plain = withHubs([]);
    const hubbed = withHubs(["self"]);
    for (const [permalink, xml] of [...plain.xml, ...atomFiles(plain.model)]) {
      if (permalink === "/atom.xml" || permalink === "/feed.xml") continue;
      const other = hubbed.xml.get(permalink) ?? atomFiles(hubbed.model).get(permalink);
      expect(other, permalink).toBe(xml);
    }
  });

  it("the profile check: `self` or https URLs (http only on this machine), no duplicates, at most five", () => {
    const problems = (hubs: unknown): string => {
      try {
        withHubs(hubs);
        return "";
      } catch (error) {
        if (error instanceof SiteBuildError) return error.message;
        throw error;
      }
    };
    expect(problems(["self", "https://hub.example/", "http://127.0.0.1:8919/hub", "http://localhost/hub"])).toBe("");
    expect(problems(["http://hub.example/"])).toMatch(/hubs\.0.*https/);
    expect(problems(["ftp://hub.example/"])).toMatch(/hubs\.0/);
    expect(problems(["selfish"])).toMatch(/hubs\.0/);
    expect(problems(["self", "self"])).toMatch(/same hub twice/);
    expect(problems(Array.from({ length: 6 }, (_, i) => `https://hub${i}.example/`))).toMatch(/at most 5 hubs/);
    expect(problems("self")).toMatch(/hubs/);
  });
});
