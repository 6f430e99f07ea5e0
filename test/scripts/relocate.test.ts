/**
 * Leaving (spec "Relocation"): `npm run relocate` (scripts/relocate.ts) in throw-away project copies,
 * then the real build. The new feed is a real Skein feed served on loopback.
 * - set: profile.yaml gets `relocate` (comments kept); the build puts microblog:relocate on the head
 *   feed page only, a notice on the profile page, and every other page stays byte for byte;
 * - --undo and `relocate: null` take it away; the feed is then byte for byte what it was;
 * - refused: a URL that is no feed (unless --force), this site's own feed, a non-URL.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildSiteFiles, fixedDate, type PostSpec, profileYaml, projectContent } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { withRelocate } from "../../scripts/relocate.ts";
import { readTree, runBuildCli, runScript } from "../support/cli.ts";
import { readFeedPage } from "../support/feed-checks.ts";

const TIMEOUT = 90_000;
const LIMITS = { SKEIN_FEED_MAX_ITEMS: "2" };
const POSTS: PostSpec[] = Array.from({ length: 5 }, (_, i) => ({ name: `p${i}.md`, date: fixedDate(i), body: `Post ${i}.\n` }));
const PROFILE = `# My profile, with comments that must survive.\n${profileYaml({ full_name: "Ada" })}# relocate: https://example.org/feed.xml   # a commented-out line stays\n`;

let server: http.Server;
let newFeed: string;
const copies: ProjectCopy[] = [];

beforeAll(async () => {
  // The new home: another Skein site with the same user_id, on loopback.
  const files = buildSiteFiles({
    profile: profileYaml({ username: "ada_new", url: "http://127.0.0.1:1/new" }),
    posts: [{ date: fixedDate(9), body: "Moved!\n" }],
  });
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/new/feed.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" });
      return res.end(files.get("/feed.xml"));
    }
    res.writeHead(path === "/html" ? 200 : 404, { "Content-Type": "text/html" });
    res.end("<!doctype html><p>not a feed</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  newFeed = `http://127.0.0.1:${(server.address() as AddressInfo).port}/new/feed.xml`;
});
afterAll(async () => {
  for (const project of copies) project.cleanup();
  await new Promise((resolve) => server.close(resolve));
});

function project(profile = PROFILE): ProjectCopy {
  const copy = createProjectCopy({ ...projectContent({ posts: POSTS }), profile });
  copies.push(copy);
  return copy;
}

const profileText = (copy: ProjectCopy) => readFileSync(path.join(copy.root, "site/_data/profile.yaml"), "utf8");

async function build(copy: ProjectCopy, out: string): Promise<Map<string, Buffer>> {
  const result = await runBuildCli(copy.root, ["--out", out], LIMITS);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return readTree(path.join(copy.root, out));
}

describe("npm run relocate", () => {
  it("sets relocate (comments kept); the head feed carries it, archives do not, the profile page says so; --undo restores every byte", {
    timeout: TIMEOUT,
  }, async () => {
    const copy = project();
    const before = await build(copy, "before");
    expect((await runScript(copy.root, "scripts/relocate.ts")).stdout).toContain("relocate is not set");

    const set = await runScript(copy.root, "scripts/relocate.ts", [newFeed]);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`Set relocate: ${newFeed}`);
    expect(set.stdout).toContain("at least 24 hours");
    const text = profileText(copy);
    expect(text).toContain("# My profile, with comments that must survive.");
    expect(text).toContain("# relocate: https://example.org/feed.xml   # a commented-out line stays");
    expect(text).toContain(`relocate: ${newFeed}`);
    expect((await runScript(copy.root, "scripts/relocate.ts")).stdout).toContain(`relocate is set: followers are sent to ${newFeed}`);

    const moved = await build(copy, "moved");
    const head = readFeedPage(moved.get("feed.xml")!.toString("utf8"), "main", "feed.xml");
    expect(head.channel.elements.find((e) => e.name === "microblog:relocate")?.text).toBe(newFeed);
    const archives = [...moved.keys()].filter((file) => /^feed\/\d+\.xml$/.test(file));
    expect(archives.length).toBeGreaterThanOrEqual(2);
    for (const archive of archives) {
      expect(moved.get(archive)!.toString("utf8"), archive).not.toContain("relocate");
      // The old feed stays published as it was: archives are untouched.
      expect(moved.get(archive)!.equals(before.get(archive)!), archive).toBe(true);
    }
    expect(moved.get("index.html")!.toString("utf8")).toContain(
      `<p class="notice" role="note">This account has moved. Follow the new feed: <a href="${newFeed}">`,
    );
    // Everything is still published: the same files, and only the head feed and the profile page differ.
    expect([...moved.keys()]).toEqual([...before.keys()]);
    const changed = [...moved].filter(([file, bytes]) => !before.get(file)!.equals(bytes)).map(([file]) => file);
    expect(changed.sort()).toEqual(["feed.xml", "index.html"]);

    const undo = await runScript(copy.root, "scripts/relocate.ts", ["--undo"]);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain(`Removed relocate (was ${newFeed})`);
    expect(profileText(copy)).toBe(PROFILE);
    const back = await build(copy, "back");
    for (const [file, bytes] of before) expect(back.get(file)!.equals(bytes), file).toBe(true);
    expect((await runScript(copy.root, "scripts/relocate.ts", ["--undo"])).stdout).toContain("nothing to undo");
  });

  it("`relocate: null` in profile.yaml builds as not moving", { timeout: TIMEOUT }, async () => {
    const copy = project(`${profileYaml()}relocate: null\n`);
    const site = await build(copy, "_site");
    expect(site.get("feed.xml")!.toString("utf8")).not.toContain("relocate");
    expect(site.get("index.html")!.toString("utf8")).not.toContain("has moved");
  });

  it("refuses what is not a feed (unless --force), this site's own feed, and what is not a URL; nothing changes", { timeout: TIMEOUT }, async () => {
    const copy = project();
    const notFeed = newFeed.replace("/new/feed.xml", "/html");
    const refused = await runScript(copy.root, "scripts/relocate.ts", [notFeed]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^npm run relocate: nothing changed: .*is not a readable RSS feed.*--force/);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    const missing = await runScript(copy.root, "scripts/relocate.ts", [newFeed.replace("/new/", "/gone/")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("answered HTTP 404");
    expect(profileText(copy)).toBe(PROFILE);

    const own = await runScript(copy.root, "scripts/relocate.ts", ["https://ada.example/feed.xml"]);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain("is this site itself");
    const notUrl = await runScript(copy.root, "scripts/relocate.ts", ["new.example/feed.xml"]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain("must be an absolute URL");
    expect(profileText(copy)).toBe(PROFILE);

    const forced = await runScript(copy.root, "scripts/relocate.ts", [notFeed, "--force"]);
    expect(forced.code).toBe(0);
    expect(profileText(copy)).toContain(`relocate: ${notFeed}`);
  });
});

describe("withRelocate (the profile.yaml edit)", () => {
  it("replaces a one-line relocate in place, appends one when there is none, removes only its line", () => {
    expect(withRelocate("a: 1\nrelocate: null\nb: 2\n", "https://n.example/f.xml")).toBe("a: 1\nrelocate: https://n.example/f.xml\nb: 2\n");
    expect(withRelocate("a: 1\r\nb: 2", "https://n.example/f.xml")).toBe("a: 1\r\nb: 2\r\nrelocate: https://n.example/f.xml\r\n");
    expect(withRelocate("a: 1\n# relocate: x\n", "https://n.example/f.xml")).toBe("a: 1\n# relocate: x\nrelocate: https://n.example/f.xml\n");
    expect(withRelocate("a: 1\nrelocate: https://n.example/f.xml # moved\nb: 2\n", undefined)).toBe("a: 1\nb: 2\n");
    expect(withRelocate("a: 1\n", undefined)).toBe("a: 1\n");
  });

  it("a value over several lines goes through the YAML model", () => {
    const edited = withRelocate("a: 1\nrelocate: >-\n  https://old.example/f.xml\nb: 2\n", "https://n.example/f.xml");
    expect(parseYaml(edited)).toEqual({ a: 1, relocate: "https://n.example/f.xml", b: 2 });
    expect(parseYaml(withRelocate(edited, undefined))).toEqual({ a: 1, b: 2 });
  });
});
