/**
 * `npm run import` (scripts/import.ts) on every kind of old feed, served on loopback or read from a
 * file, and on bad input:
 * - the spec's sample layout (filled in): ids, reply and repost data, the sample's spellings; the
 *   lists appended; the profile printed, and written with --profile (comments kept);
 * - plain RSS 2.0 (content:encoded, titles, RFC 5005 prev-archive, an item without a date skipped,
 *   hostile markup cleaned) and Atom (html, xhtml and text content, xml:lang, prev-archive);
 * - every encoding XML requires: UTF-16 (LE and BE, with a BOM) and a declared ISO-8859-1, over HTTP
 *   and from a file; a chain of local files, and a saved Skein build read from its folder;
 * - bad input -- unreachable, not a feed, a gigantic page, a site that does not build -- is one line
 *   on stderr, exit 1, and posts/ exactly as it was; a loop in next_node or a later page that 404s:
 *   the pages read are imported and the one line says what was not (test/scripts/import-partial.test.ts);
 * - --dry-run writes nothing.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSiteFiles, buildSiteInMemory, fixedDate, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import type { ParsedPost } from "../../lib/publish/posts.ts";
import { readSiteSources } from "../../lib/site-build/site-source.ts";
import { atomPages, latin1, plainRssPages, utf16 } from "../move/support/feeds.ts";
import { type CliResult, readTree, runScript } from "../support/cli.ts";
import { type FeedServer, serveFeeds } from "../validate/support/serve.ts";
import { specShapedSite } from "../validate/support/spec-shaped.ts";

const TIMEOUT = 120_000;
let server: FeedServer;
const copies: ProjectCopy[] = [];

beforeAll(async () => {
  server = await serveFeeds();
  for (const [route, xml] of Object.entries(specShapedSite(`${server.base}/spec`))) server.routes.set(`/spec${route}`, xml);
  for (const [route, xml] of Object.entries(plainRssPages(server.base))) server.routes.set(route, xml);
  for (const [route, xml] of Object.entries(atomPages(server.base))) server.routes.set(route, xml);
});
afterAll(async () => {
  for (const copy of copies) copy.cleanup();
  await server.close();
});

function emptySite(): ProjectCopy {
  const copy = createProjectCopy({ posts: {} });
  copies.push(copy);
  return copy;
}

const importing = (copy: ProjectCopy, ...args: string[]): Promise<CliResult> => runScript(copy.root, "scripts/import.ts", [...args, "--quiet"]);

function posts(copy: ProjectCopy): ParsedPost[] {
  return buildSiteInMemory(readSiteSources(copy.root)).model.posts;
}

/** What an import may touch: posts/ and site/_data/ (not node_modules, which is shared and changing). */
function content(copy: ProjectCopy): Map<string, Buffer> {
  const tree = new Map<string, Buffer>();
  for (const dir of ["posts", "site/_data"]) for (const [file, bytes] of readTree(path.join(copy.root, dir))) tree.set(`${dir}/${file}`, bytes);
  return tree;
}

function fileText(copy: ProjectCopy, relative: string): string {
  return readFileSync(path.join(copy.root, relative), "utf8");
}

describe("the spec's sample layout", () => {
  it("posts with their ids, reply and repost data and language; lists appended; profile printed, then written with --profile", {
    timeout: TIMEOUT,
  }, async () => {
    const copy = emptySite();
    const profileBefore = fileText(copy, "site/_data/profile.yaml");
    const result = await importing(copy, `${server.base}/spec/feed.xml`);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Posts: 4 posts imported into posts/ (4 kept the old guid as id, 0 got the next free id), 0 already imported, 0 skipped.");
    expect(result.stdout).toContain("Follows: 2 accounts added to site/_data/follows.yaml, 0 already there, 0 skipped.");
    expect(result.stdout).toContain("Blocks: 1 account added to site/_data/blocks.yaml, 0 already there, 0 skipped.");
    expect(result.stdout).toContain("  username   sonic");
    expect(fileText(copy, "site/_data/profile.yaml")).toBe(profileBefore);

    const imported = posts(copy);
    expect(imported.map((p) => [p.id, new Date(p.date).toISOString(), p.html, p.language])).toEqual([
      [0, "2015-05-13T09:00:00.000Z", '<p>Hello <a href="http://openmicroblog.com">world</a>.</p>\n', undefined],
      [1, "2015-05-14T09:00:00.000Z", "<p>Bonjour &amp; bienvenue.</p>\n", "fr"],
      [2, "2015-05-15T10:00:00.000Z", "<p>@bob Anyone out there?</p>\n", undefined],
      [3, "2015-05-16T21:32:15.000Z", "<p>Reposting this, <em>so</em> true.</p>\n", undefined],
    ]);
    expect(imported[2]!.replyTo).toEqual({ user_id: "bob-1", user_link: "http://bob.example/feed.xml", status_id: "76" });
    expect(imported[3]!.repost).toMatchObject({
      user_id: "bob-1",
      user_link: "http://bob.example/feed.xml",
      status_id: "77",
      pubdate: Date.UTC(2015, 4, 15, 8),
    });
    const follows = fileText(copy, "site/_data/follows.yaml");
    expect(follows.startsWith("# Accounts you follow. Add new ones at the END")).toBe(true);
    // Appended after the example's entries, oldest first: a list feed is written newest first.
    expect(follows).toMatch(
      /since: 2026-02-11T08:15:00Z\n- user_id: 9a3e5c71-2d4b-4f86-a1c9-7e5d3b2f1a08\n {2}username: fern\n {2}user_link: http:\/\/fern\.example\/feed\.xml\n- user_id: bob-1\n {2}username: bob_2015\n {2}user_link: http:\/\/bob2015\.example\/feed\.xml\n$/,
    );

    const adopt = await importing(copy, `${server.base}/spec/feed.xml`, "--profile");
    expect(adopt.code).toBe(0);
    expect(adopt.stdout).toContain("Posts: 0 posts imported");
    expect(adopt.stdout).toContain("Profile written into site/_data/profile.yaml:");
    const profile = fileText(copy, "site/_data/profile.yaml");
    expect(profile).toContain("# Your profile: the one file that makes this Skein site yours.");
    expect(profile).toContain("username: sonic\n");
    expect(profile).toContain("user_id: 6f1c1a7e-5b2d-4b7e-9a63-1d2e3f4a5b6c\n");
    expect(profile).toContain("full_name: Sonic Example\n");
    expect(profile).toContain("  Writes Open Microblog by hand, since 2015.\n");
    const model = buildSiteInMemory(readSiteSources(copy.root)).model;
    expect(model.profile).toMatchObject({ username: "sonic", user_id: "6f1c1a7e-5b2d-4b7e-9a63-1d2e3f4a5b6c", portrait: `${server.base}/spec/portrait.png` });
  });
});

describe("plain RSS 2.0 and Atom", () => {
  it("RSS: the whole post from content:encoded, the title first, prev-archive followed, no date skipped, hostile markup gone", {
    timeout: TIMEOUT,
  }, async () => {
    const copy = emptySite();
    const result = await importing(copy, `${server.base}/blog/feed.xml`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Read 2 pages of ${server.base}/blog/feed.xml (an RSS 2.0 feed, 4 items).`);
    expect(result.stdout).toContain("Posts: 3 posts imported into posts/ (1 kept the old guid as id, 2 got the next free id), 0 already imported, 1 skipped.");
    expect(result.stdout).toMatch(/Skipped:\n {2}http:\/\/127\.0\.0\.1:\d+\/blog\/feed\.xml line 24: no date/);
    const imported = posts(copy);
    expect(imported.map((p) => [p.id, p.language, new Date(p.date).toISOString()])).toEqual([
      [7, "en-GB", "2020-05-01T12:00:00.000Z"],
      [8, "en-GB", "2020-06-01T06:30:00.000Z"],
      [9, "en-GB", "2020-06-02T10:00:00.000Z"],
    ]);
    expect(imported[0]!.html).toBe("<p><strong>The beginning</strong></p>\n<p>It all <strong>started</strong> here.</p>\n");
    expect(imported[1]!.html).toBe("<p>Short note without a link</p>\n");
    const long = readFileSync(path.join(copy.root, "posts", readdirSync(path.join(copy.root, "posts")).find((n) => n.includes("long-read"))!), "utf8");
    expect(long).toContain(
      "**[Long read](https://ada.example/blog/long)**\n\nThe *full* text, with a [link](https://ada.example/x).\n\nbad link ![A picture](https://img.example/a.png)",
    );
    expect(long).toContain("<table><tbody><tr><td>1</td><td>2</td></tr></tbody></table>");
    expect(long).not.toMatch(/script|javascript:|onerror|alert/);
  });

  it("Atom: html, xhtml and text content, a title alone, xml:lang, prev-archive", { timeout: TIMEOUT }, async () => {
    const copy = emptySite();
    const result = await importing(copy, `${server.base}/atom/feed.xml`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("(an Atom feed, 5 items)");
    expect(result.stdout).toContain("Posts: 5 posts imported into posts/ (0 kept the old guid as id, 5 got the next free id), 0 already imported, 0 skipped.");
    expect(result.stdout).toContain("  full_name  Ada Atom");
    expect(result.stdout).toContain("  bio        Atom & bio");
    expect(posts(copy).map((p) => [p.id, p.language, p.html])).toEqual([
      [0, undefined, "<p><strong>Older</strong></p>\n<p>The oldest entry.</p>\n"],
      [1, undefined, '<p><strong><a href="https://ada.example/1">Hello</a></strong></p>\n<p>Hello, <strong>Atom</strong> world.</p>\n'],
      [2, "de", "<p><strong>Zwei</strong></p>\n<p>Zwei <em>Teile</em> &amp; mehr</p>\n"],
      [3, undefined, "<p>Only a title here</p>\n"],
      [4, undefined, "<p><strong>Math</strong></p>\n<p>Math: 1 &lt; 2 &amp; 3 &gt; 2</p>\n"],
    ]);
    // RFC 4685 replies to web pages: the plain-URL in_reply_to (the href read and found to be HTML; a ref that is a URL).
    expect(posts(copy).map((p) => p.inReplyTo)).toEqual([undefined, `${server.base}/atom/carol.html`, undefined, undefined, "https://dave.example/notes/9"]);
  });
});

describe("encodings and local files", () => {
  const oldFeed = () =>
    buildSiteFiles({
      profile: profileYaml({ username: "latin", url: `${server.base}/enc` }),
      posts: [
        { date: fixedDate(0), id: 3, body: "Café crème, naïve façade.\n" },
        { date: fixedDate(1), id: 4, language: "fr", body: "Ça va très bien.\n" },
      ],
    }).get("/feed.xml")!;

  it("UTF-16 LE and BE with a BOM, and a declared ISO-8859-1, read the same text", { timeout: TIMEOUT }, async () => {
    const xml = oldFeed();
    server.routes.set("/enc/utf16le.xml", { headers: { "Content-Type": "application/rss+xml" }, body: utf16(xml, false) });
    server.routes.set("/enc/utf16be.xml", { headers: { "Content-Type": "application/xml" }, body: utf16(xml, true) });
    server.routes.set("/enc/latin1.xml", { headers: { "Content-Type": "text/xml" }, body: latin1(xml) });
    for (const route of ["/enc/utf16le.xml", "/enc/utf16be.xml", "/enc/latin1.xml"]) {
      const copy = emptySite();
      const result = await importing(copy, `${server.base}${route}`);
      expect(result.code, `${route}: ${result.stderr}`).toBe(0);
      expect(
        posts(copy).map((p) => [p.id, p.html]),
        route,
      ).toEqual([
        [3, "<p>Café crème, naïve façade.</p>\n"],
        [4, "<p>Ça va très bien.</p>\n"],
      ]);
    }
  });

  it("from files: a UTF-16 file, a chain of files linked by relative URLs, a saved Skein build read from its folder", { timeout: TIMEOUT }, async () => {
    const copy = emptySite();
    const saved = path.join(copy.root, "saved");
    mkdirSync(path.join(saved, "blog"), { recursive: true });
    writeFileSync(path.join(saved, "old.xml"), utf16(oldFeed(), false));
    for (const [route, xml] of Object.entries(plainRssPages(server.base, "archive-1.xml"))) writeFileSync(path.join(saved, route), xml);
    const fromFile = await importing(copy, "saved/old.xml");
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain("Read 1 page of saved/old.xml");
    const chain = await importing(copy, "saved/blog/feed.xml");
    expect(chain.code, chain.stderr).toBe(0);
    expect(chain.stdout).toContain("Read 2 pages of saved/blog/feed.xml (an RSS 2.0 feed, 4 items).");
    expect(posts(copy)).toHaveLength(5);

    // A Skein build saved to disk: its pages link each other by public URLs, read from the folder.
    const build = path.join(copy.root, "old-site");
    const files = buildSiteFiles(
      {
        profile: profileYaml({ url: "https://gone.example" }),
        posts: Array.from({ length: 5 }, (_, i) => ({ date: fixedDate(40 + i), id: 100 + i, body: `Saved ${i}\n` })),
      },
      { feedLimits: { maxItems: 2, maxBytes: 50_000, headerReserveBytes: 4000 } },
    );
    for (const [permalink, xml] of files) {
      mkdirSync(path.dirname(path.join(build, permalink)), { recursive: true });
      writeFileSync(path.join(build, permalink), xml);
    }
    const site = await importing(copy, "old-site");
    expect(site.code, site.stderr).toBe(0);
    expect(site.stdout).toContain("Read 3 pages of old-site");
    expect(
      posts(copy)
        .map((p) => p.id)
        .slice(-5),
    ).toEqual([100, 101, 102, 103, 104]);
  });
});

describe("bad input: one line, exit 1, posts/ exactly as it was", () => {
  it("unreachable, not a feed, a gigantic page, no such file", { timeout: TIMEOUT }, async () => {
    const copy = createProjectCopy();
    copies.push(copy);
    server.routes.set("/bad/page.html", { headers: { "Content-Type": "text/html" }, body: "<!doctype html><html><body><p>Hello</p></body></html>" });
    const looping = (name: string, next: string) =>
      buildSiteFiles({ profile: profileYaml({ url: `${server.base}/loop` }), posts: [{ date: fixedDate(0), id: 0, body: name }] })
        .get("/feed.xml")!
        .replace("</link>", `</link>\n    <microblog:next_node>${server.base}/loop/${next}</microblog:next_node>`);
    server.routes.set("/loop/a.xml", looping("A", "b.xml"));
    server.routes.set("/loop/b.xml", looping("B", "a.xml"));
    server.routes.set(
      "/missing-page/feed.xml",
      looping("A", "nowhere.xml").replaceAll(`${server.base}/loop/nowhere.xml`, `${server.base}/missing-page/nowhere.xml`),
    );
    server.routes.set("/huge.xml", { body: '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>', endless: 9 * 1024 * 1024 });
    const before = content(copy);

    const cases: [string[], RegExp][] = [
      [
        ["http://127.0.0.1:1/feed.xml"],
        /^npm run import: nothing was imported: http:\/\/127\.0\.0\.1:1\/feed\.xml could not be fetched \(fetch failed: bad port\)/,
      ],
      [[`${server.base}/bad/page.html`], /^npm run import: nothing was imported: .*\/bad\/page\.html is a web page, not a feed: give the URL of its feed$/],
      [[`${server.base}/huge.xml`], /^npm run import: nothing was imported: .*\/huge\.xml is larger than 8388608 bytes$/],
      [["no/such/feed.xml"], /^npm run import: no\/such\/feed\.xml: no such file$/],
    ];
    for (const [args, message] of cases) {
      const result = await importing(copy, ...args);
      expect(result.code, args[0]).toBe(1);
      expect(result.stdout, args[0]).toBe("");
      expect(result.stderr.trim().split("\n"), args[0]).toHaveLength(1);
      expect(result.stderr.trim(), args[0]).toMatch(message);
    }
    const after = content(copy);
    expect([...after.keys()].filter((file) => !before.has(file))).toEqual([]);
    for (const [file, bytes] of before) expect(after.get(file)?.equals(bytes), file).toBe(true);
  });

  it("a loop or a page that 404s after the head: the pages read are imported, exit 1, one line saying what was not read", {
    timeout: TIMEOUT,
  }, async () => {
    for (const [start, message, posts] of [
      [
        `${server.base}/loop/a.xml`,
        /^npm run import: not everything was imported: the feed has a loop: .*\/loop\/b\.xml links back to .*\/loop\/a\.xml \(page 1\), so it never ends$/,
        1, // both pages hold guid 0: the second is skipped as the same guid
      ],
      [
        `${server.base}/missing-page/feed.xml`,
        /^npm run import: not everything was imported: page 2 of the feed \(.*nowhere\.xml, linked from .*\) cannot be read: .* answered HTTP 404 \(the rest: npm run import -- .*\/missing-page\/nowhere\.xml\)$/,
        1,
      ],
    ] as const) {
      const copy = emptySite();
      const result = await importing(copy, start);
      expect(result.code, start).toBe(1);
      expect(result.stderr.trim().split("\n"), start).toHaveLength(1);
      expect(result.stderr.trim(), start).toMatch(message);
      expect(result.stdout, start).toContain(`Posts: ${posts} post${posts === 1 ? "" : "s"} imported into posts/`);
      expect(readdirSync(path.join(copy.root, "posts")), start).toHaveLength(posts);
    }
  });

  it("a site that does not build as it is (a post without an id) imports nothing and says why", { timeout: TIMEOUT }, async () => {
    const copy = createProjectCopy({ posts: { "old.md": "---\ndate: 2026-01-01T00:00:00Z\n---\nNo id.\n" } });
    copies.push(copy);
    const result = await importing(copy, `${server.base}/spec/feed.xml`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("npm run import: nothing was imported: the site does not build as it is");
    expect(result.stderr).toContain("posts/old.md: has no `id:`");
    expect(readdirSync(path.join(copy.root, "posts"))).toEqual(["old.md"]);
  });

  it("--dry-run reads and checks everything and writes nothing", { timeout: TIMEOUT }, async () => {
    const copy = emptySite();
    const before = content(copy);
    const result = await importing(copy, `${server.base}/spec/feed.xml`, "--dry-run", "--profile");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Dry run: nothing was written.");
    expect(result.stdout).toContain("Posts: 4 posts would be imported into posts/");
    const after = content(copy);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [file, bytes] of before) expect(after.get(file)!.equals(bytes), file).toBe(true);
  });
});
