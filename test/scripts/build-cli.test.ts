/**
 * The real build (`tsx scripts/build.ts`, what `npm run build` runs) in throw-away project copies:
 * - the example site: Eleventy writes every page and exactly the XML lib/ renders, the XML reads
 *   back as valid feeds, every HTML page exists and advertises the feed;
 * - bad input: exit code != 0, stderr names every bad file with its reason, nothing is written (no
 *   _site, or the previous _site byte for byte), and no staging folder is left behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildSiteInMemory, fixedDate, listYaml, person, postMarkdown, profileYaml, projectContent, type SiteContent } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { readSiteSources } from "../../lib/site-build/site-source.ts";
import { SITE_CONFIG_PATH } from "../../scripts/build.ts";
import { entriesStartingWith, readTree, runBuildCli } from "../support/cli.ts";
import { walkChain } from "../support/feed-checks.ts";

const TIMEOUT = 60_000;
const copies: ProjectCopy[] = [];
function copy(content?: SiteContent, parentDir?: string): ProjectCopy {
  const project = createProjectCopy(content ? projectContent(content) : {}, parentDir);
  copies.push(project);
  return project;
}
afterAll(() => {
  for (const project of copies) project.cleanup();
});

const PROFILE = profileYaml({ full_name: "Ada", public_blocks: true });
const GOOD_POSTS = [
  { name: "a.md", date: fixedDate(0), body: "First.\n" },
  { name: "b.md", date: fixedDate(1), body: "Second.\n" },
];

function expectNoLeftovers(root: string): void {
  expect(entriesStartingWith(root, "_site.")).toEqual([]);
}

describe("building the example site with the CLI", () => {
  it("writes every page, and exactly the XML lib/ renders; the XML reads back as valid feeds", { timeout: TIMEOUT }, async () => {
    const project = copy();
    const result = await runBuildCli(project.root);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const postFiles = readdirSync(path.join(REPO_ROOT, "posts")).filter((name) => name.endsWith(".md"));
    expect(result.stdout).toContain(`Skein built ${postFiles.length} posts`);

    const site = readTree(path.join(project.root, "_site"));
    const expected = buildSiteInMemory(readSiteSources(project.root));
    const { model } = expected;
    const profile = parseYaml(readFileSync(path.join(REPO_ROOT, "site/_data/profile.yaml"), "utf8")) as { url: string; public_blocks?: boolean };
    expect(model.urls.base).toBe(profile.url);

    // The XML Eleventy wrote is what lib/ renders, file for file.
    const writtenXml = [...site.keys()]
      .filter((file) => file.endsWith(".xml"))
      .map((file) => `/${file}`)
      .sort();
    // The Open Microblog feeds, the list feeds, and the Atom alternate feed (lib/publish/feed/atom-feed.ts).
    const expectedXml = new Map([...expected.xml, ...model.atomFiles.map((file) => [file.permalink, file.render()] as const)]);
    expect(model.atomFiles.length).toBe(model.feedFiles.length);
    expect(writtenXml).toEqual([...expectedXml.keys()].sort());
    for (const [permalink, xml] of expectedXml) expect(site.get(permalink.slice(1))!.toString("utf8"), permalink).toBe(xml);

    const files = new Map([...site].filter(([file]) => file.endsWith(".xml")).map(([file, bytes]) => [`/${file}`, bytes.toString("utf8")]));
    const feed = walkChain(files, profile.url, "/feed.xml", /^\/feed\/(\d+)\.xml$/, "main");
    expect(feed.pages.flatMap((page) => page.items)).toHaveLength(postFiles.length);
    walkChain(files, profile.url, "/follows.xml", /^\/follows\/(\d+)\.xml$/, "list");
    expect(files.has("/blocks.xml")).toBe(profile.public_blocks === true);
    if (profile.public_blocks) walkChain(files, profile.url, "/blocks.xml", /^\/blocks\/(\d+)\.xml$/, "list");

    // Every HTML page exists and carries the feed discovery link and its language.
    const htmlPages = ["index.html", "404.html", "follows/index.html", ...model.posts.map((post) => `posts/${post.guid}/index.html`)];
    if (profile.public_blocks) htmlPages.push("blocks/index.html");
    const discovery = `<link rel="alternate" type="application/rss+xml" title="${model.profile.full_name} (@${model.profile.username})" href="${profile.url}/feed.xml">`;
    for (const page of htmlPages) {
      const html = site.get(page)?.toString("utf8");
      expect(html, `${page} exists`).toBeDefined();
      expect(html!.startsWith("<!doctype html>\n"), page).toBe(true);
      expect(html, page).toContain(discovery);
      expect(html, page).toContain(
        `<link rel="alternate" type="application/atom+xml" title="${model.profile.full_name} (@${model.profile.username}), Atom" href="${profile.url}/atom.xml">`,
      );
      expect(html, page).toMatch(/<html lang="[a-z]{2}(-[A-Za-z0-9]+)*">/);
    }
    for (const post of model.posts) {
      const html = site.get(`posts/${post.guid}/index.html`)!.toString("utf8");
      expect(html).toContain(`<html lang="${post.language ?? model.profile.language}">`);
      expect(html).toContain(post.html);
    }
    // The pages that must never change are exactly what lib/publish/html/site-pages.ts renders without Eleventy.
    for (const [permalink, html] of expected.stableHtml) expect(site.get(`${permalink.slice(1)}index.html`)!.toString("utf8"), permalink).toBe(html);

    // Static files and the Worker's view of the site.
    for (const file of ["assets/style.css", "_headers"]) expect(site.has(file), file).toBe(true);
    // The public site's pages allow no script (issue: no page we serve runs a script we did not write).
    expect(site.get("_headers")?.toString()).toMatch(/^\s+Content-Security-Policy: default-src 'self'; script-src 'none';/m);
    // Webmention §3.1.2, Micropub §5.3, IndieAuth §4.1: the endpoints as an HTTP Link header on every page, besides the <link> elements.
    expect(site.get("_headers")?.toString()).toMatch(
      /^\/\*\n {2}Link: <https?:\/\/[^>]+\/api\/webmention>; rel="webmention", <https?:\/\/[^>]+\/api\/micropub>; rel="micropub", <[^>]+\/\.well-known\/oauth-authorization-server>; rel="indieauth-metadata", <[^>]+\/api\/indieauth\/auth>; rel="authorization_endpoint", <[^>]+\/api\/indieauth\/token>; rel="token_endpoint"\n/m,
    );
    // The public site and its feeds never point at the owner's pages.
    const linkingOwner = [...site].filter(([, bytes]) => bytes.toString("utf8").includes("/owner/")).map(([file]) => file);
    expect(linkingOwner).toEqual([]);
    const config = JSON.parse(readFileSync(path.join(project.root, SITE_CONFIG_PATH), "utf8")) as { post_ids: [number, number][]; owner: { feed_url: string } };
    expect(config.owner.feed_url).toBe(`${profile.url}/feed.xml`);
    expect(config.post_ids.reduce((n, [first, last]) => n + last - first + 1, 0)).toBe(postFiles.length);
    expectNoLeftovers(project.root);
  });
});

describe("where the project lives", () => {
  it("a folder whose path has spaces and non-ASCII letters builds like any other", { timeout: TIMEOUT }, async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), "skein dir é-"));
    try {
      const project = copy({ profile: PROFILE, posts: GOOD_POSTS }, parent);
      const result = await runBuildCli(project.root);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Skein built 2 posts for @ada");
      expect(existsSync(path.join(project.root, "_site", "feed.xml"))).toBe(true);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe("the CLI on bad input", () => {
  it("several bad files: exit 1, every file named with its reason, nothing written, no staging folder", { timeout: TIMEOUT }, async () => {
    const project = copy({
      profile: profileYaml({ username: "ada-lovelace" }),
      follows: listYaml([person(0, { user_link: "nope" })]),
      posts: GOOD_POSTS,
    });
    project.write("posts/no-zone.md", postMarkdown({ date: "2026-02-03T10:00:00", body: "x\n" }));
    project.write("posts/bell.md", "---\ndate: 2026-01-01T00:00:00Z\n---\nding \u0007\n");
    project.write("posts/dup.md", postMarkdown({ date: fixedDate(5), id: 0, body: "x\n" }));
    const result = await runBuildCli(project.root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("Build failed, nothing was written.");
    expect(result.stderr).toContain("5 problems in the site's files:");
    for (const line of [
      "  posts/bell.md: line 4, column 6: character U+0007 cannot be carried by XML 1.0 (feeds would be broken); remove it",
      '  posts/no-zone.md: date: "2026-02-03T10:00:00" is not an ISO 8601 date with a time and a zone, e.g. 2026-03-01T09:30:00Z',
      "  posts/dup.md: has the same `id: 0` as posts/a.md; give the one you just added another id (the next free id is 2): a published post that changes its id breaks the replies that point at it",
      "  site/_data/follows.yaml: entry 1 (friend_0): user_link: must be an absolute http:// or https:// URL",
      "  site/_data/profile.yaml: username: must be 1-25 letters (A-Z, a-z), digits or underscores",
    ])
      expect(result.stderr).toContain(line);
    expect(existsSync(path.join(project.root, "_site"))).toBe(false);
    expect(existsSync(path.join(project.root, SITE_CONFIG_PATH))).toBe(false);
    expectNoLeftovers(project.root);
  });

  it("after a good build, a bad post fails the build and leaves the previous _site byte for byte", { timeout: TIMEOUT }, async () => {
    const project = copy({ profile: PROFILE, posts: GOOD_POSTS });
    const first = await runBuildCli(project.root);
    expect(first.code).toBe(0);
    const before = readTree(path.join(project.root, "_site"));
    const configBefore = readFileSync(path.join(project.root, SITE_CONFIG_PATH));
    expect(before.has("feed.xml")).toBe(true);

    project.write("posts/c.md", "---\ndate: 2026-01-05T10:00:00Z\nreply_to:\n  user_id: u1\n  user_link: bob.example\n  status_id: 1\n---\nHi\n");
    project.write("posts/d.md", new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xe9, 0x0a]));
    const second = await runBuildCli(project.root);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("  posts/c.md: reply_to.user_link: must be an absolute http:// or https:// URL");
    expect(second.stderr).toContain("  posts/d.md: is not valid UTF-8 text");
    const after = readTree(path.join(project.root, "_site"));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [file, bytes] of before) expect(after.get(file)!.equals(bytes), file).toBe(true);
    expect(readFileSync(path.join(project.root, SITE_CONFIG_PATH)).equals(configBefore)).toBe(true);
    expectNoLeftovers(project.root);

    // Fixed: the next build (here mirroring into the existing folder, as `npm start` does) publishes.
    project.remove("posts/c.md");
    project.remove("posts/d.md");
    project.write("posts/e.md", postMarkdown({ date: fixedDate(4), id: 2, body: "Third.\n" }));
    const third = await runBuildCli(project.root, ["--sync"]);
    expect(third.stderr).toBe("");
    expect(third.code).toBe(0);
    const synced = readTree(path.join(project.root, "_site"));
    const expected = buildSiteInMemory(readSiteSources(project.root));
    for (const [permalink, xml] of expected.xml) expect(synced.get(permalink.slice(1))?.toString("utf8"), permalink).toBe(xml);
    expect(synced.has("posts/2/index.html")).toBe(true);
    expect(synced.get("posts/0/index.html")!.equals(before.get("posts/0/index.html")!)).toBe(true);
    expectNoLeftovers(project.root);
  });

  it("a post too large for one page under the limits from SKEIN_FEED_* fails, naming the post", { timeout: TIMEOUT }, async () => {
    const project = copy({ profile: PROFILE, posts: [...GOOD_POSTS, { name: "huge.md", date: fixedDate(2), body: `${"long words ".repeat(400)}\n` }] });
    const env = { SKEIN_FEED_MAX_ITEMS: "10", SKEIN_FEED_MAX_BYTES: "5000", SKEIN_FEED_HEADER_RESERVE_BYTES: "2000" };
    const result = await runBuildCli(project.root, ["--out", "public"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      / {2}posts\/huge\.md: is \d+ bytes in the feed, more than one feed page holds \(3000 bytes for items\); split it into several posts/,
    );
    expect(existsSync(path.join(project.root, "public"))).toBe(false);
    expect(entriesStartingWith(project.root, "public.")).toEqual([]);
  });

  it("a limit that is not a positive integer is refused before anything is written", { timeout: TIMEOUT }, async () => {
    const project = copy({ profile: PROFILE, posts: GOOD_POSTS });
    const result = await runBuildCli(project.root, [], { SKEIN_FEED_MAX_ITEMS: "many" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('SKEIN_FEED_MAX_ITEMS must be a positive integer, got "many"');
    expect(existsSync(path.join(project.root, "_site"))).toBe(false);
    expectNoLeftovers(project.root);
  });
});
