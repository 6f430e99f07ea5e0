/**
 * `npm run new -- --reply-to / --repost <feed URL>#<guid>` (scripts/new-post.ts, lib/cli/their-item.ts)
 * in throw-away project copies, their item read from another Skein site's real feed served on
 * loopback: the front matter is filled from their feed, the file builds, their hostile words stay
 * text on our pages, and every refusal (no such guid, an unreachable feed, not a feed, an unknown
 * timeline id) is one clear line that writes nothing.
 */

import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSiteFiles, fixedDate, postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { readTree, runBuildCli, runScript } from "../support/cli.ts";

const TIMEOUT = 90_000;
const BOB_ID = "7d1e2f3a-4b5c-4d6e-8f70-1a2b3c4d5e6f";
const HOSTILE = '`<img src=x onerror="alert(1)">` & <script>alert(2)</script>hello';

let server: http.Server;
let feedUrl: string;
const copies: ProjectCopy[] = [];

let pagedUrl: string;
/** Bob's paged site: one item a page, posts 0-6 (0 is on the 7th page). */
let paged = new Map<string, string>();

beforeAll(async () => {
  const files = buildSiteFiles({
    profile: profileYaml({ username: "bob", user_id: BOB_ID, url: "http://127.0.0.1:1" }),
    posts: [
      { date: fixedDate(1), id: 7, body: `${HOSTILE}\n` },
      { date: fixedDate(2), id: 8, body: "Plain words.\n" },
    ],
  });
  server = http.createServer((req, res) => {
    const where = new URL(req.url ?? "/", "http://x").pathname;
    if (where === "/feed.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" });
      return res.end(files.get("/feed.xml"));
    }
    const page = where.startsWith("/paged/") ? paged.get(where.slice("/paged".length)) : undefined;
    if (page !== undefined) {
      res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" });
      return res.end(page);
    }
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<!doctype html><p>not a feed</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  feedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`;
  const pagedSite = feedUrl.replace("/feed.xml", "/paged");
  pagedUrl = `${pagedSite}/feed.xml`;
  paged = buildSiteFiles(
    {
      profile: profileYaml({ username: "bob", user_id: BOB_ID, url: pagedSite }),
      posts: Array.from({ length: 7 }, (_, id) => ({ date: fixedDate(id + 1), id, body: `Paged post ${id}.\n` })),
    },
    { feedLimits: { maxItems: 1, maxBytes: 500_000, headerReserveBytes: 16_384 } },
  );
});
afterAll(async () => {
  for (const project of copies) project.cleanup();
  await new Promise((resolve) => server.close(resolve));
});

function site(): ProjectCopy {
  const project = createProjectCopy({ posts: { "a.md": postMarkdown({ date: fixedDate(0), id: 3, body: "First.\n" }) } });
  copies.push(project);
  return project;
}

const postFiles = (project: ProjectCopy) => readdirSync(path.join(project.root, "posts")).sort();
const newPost = (project: ProjectCopy, args: string[]) => runScript(project.root, "scripts/new-post.ts", args);

function created(project: ProjectCopy, stdout: string, id: number): string {
  const file = new RegExp(`Created (posts/\\S+\\.md) \\(id ${id}\\)`).exec(stdout)?.[1];
  expect(file, stdout).toBeDefined();
  return readFileSync(path.join(project.root, file!), "utf8");
}

describe("npm run new -- --reply-to / --repost <feed URL>#<guid>", () => {
  it("writes a reply and a repost from their feed that build, their words staying text", { timeout: TIMEOUT }, async () => {
    const project = site();
    const reply = await newPost(project, ["--reply-to", `${feedUrl}#8`, "Agreed, @bob"]);
    expect(reply.stderr).toBe("");
    expect(reply.code).toBe(0);
    const replyFile = created(project, reply.stdout, 4);
    expect(replyFile).toContain(
      `reply_to:\n  user_id: "${BOB_ID}"\n  username: "bob"\n  user_link: "${feedUrl}"\n  status_id: "8"\n  link: "http://127.0.0.1:1/posts/8/"\n---\nAgreed, @bob\n`,
    );

    const repost = await newPost(project, ["--repost", `${feedUrl}#7`]);
    expect(repost.stderr).toBe("");
    expect(repost.code).toBe(0);
    const repostFile = created(project, repost.stdout, 5);
    expect(repostFile).toContain(
      `repost:\n  user_id: "${BOB_ID}"\n  username: "bob"\n  user_link: "${feedUrl}"\n  status_id: "7"\n  link: "http://127.0.0.1:1/posts/7/"\n  pubdate: 2026-01-02T09:00:00Z\n`,
    );
    expect(repostFile).toContain('<img src=x onerror=\\"alert(1)\\">');

    const build = await runBuildCli(project.root);
    expect(build.stderr).toBe("");
    expect(build.code).toBe(0);
    const pages = [...readTree(path.join(project.root, "_site")).entries()].filter(([name]) => name.endsWith(".html"));
    const quoted = pages.filter(([, bytes]) => bytes.toString("utf8").includes("onerror"));
    expect(quoted.length).toBeGreaterThan(0);
    for (const [name, bytes] of quoted) {
      const html = bytes.toString("utf8");
      expect(html, name).not.toMatch(/<img[^>]*onerror/i);
      expect(html, name).not.toContain("<script>alert");
      expect(html, name).toContain("&lt;img src=x onerror=");
    }
    const feed = readFileSync(path.join(project.root, "_site", "feed.xml"), "utf8");
    expect(feed).toContain(`<microblog:reposted_status_id>7</microblog:reposted_status_id>`);
    expect(feed).toContain(`<microblog:in_reply_to_status_id>8</microblog:in_reply_to_status_id>`);
  });

  it("finds their item on an older page by next_node, up to 5 pages, and says how far it looked", { timeout: TIMEOUT }, async () => {
    const project = site();
    const reply = await newPost(project, ["--reply-to", `${pagedUrl}#2`, "Found you"]);
    expect(reply.stderr).toBe("");
    expect(created(project, reply.stdout, 4)).toContain(
      `  user_link: "${pagedUrl}"\n  status_id: "2"\n  link: "${pagedUrl.replace("feed.xml", "posts/2/")}"\n`,
    );
    const tooDeep = await newPost(project, ["--reply-to", `${pagedUrl}#0`, "Too far"]);
    expect(tooDeep.code).toBe(1);
    expect(tooDeep.stderr.trim()).toBe(`npm run new: ${pagedUrl} has no item with guid "0" in its 5 newest pages`);
    expect(postFiles(project)).toHaveLength(2);
  });

  it("refuses a guid not in the feed, an unreachable feed, a page that is no feed and an unknown timeline id, writing nothing", {
    timeout: TIMEOUT,
  }, async () => {
    const project = site();
    const closed = `http://127.0.0.1:${await freePort()}/feed.xml#1`;
    const notFeed = feedUrl.replace("/feed.xml", "/page.html#1");
    for (const [args, message] of [
      [["--reply-to", `${feedUrl}#99`, "Hi"], `has no item with guid "99"`],
      [["--repost", closed], "could not read http://127.0.0.1:"],
      [["--reply-to", notFeed, "Hi"], "could not read"],
      [["--reply-to", "42", "Hi"], "npm run new: "],
      [["--reply-to", "not a url", "Hi"], "--reply-to takes a timeline id, a permalink or <feed URL>#<guid>"],
      [["--reply-to", `${feedUrl}#8`], "write the reply text in quotes"],
      [["--reply-to", `${feedUrl}#8`, "--repost", `${feedUrl}#7`, "Hi"], "a reply or a repost, not both"],
    ] as const) {
      const result = await newPost(project, [...args]);
      expect(result.code, args.join(" ")).not.toBe(0);
      const lines = result.stderr.trim().split("\n");
      expect(lines[0], args.join(" ")).toContain(message);
      expect(result.stderr, args.join(" ")).not.toMatch(/\n\s+at /);
      expect(postFiles(project)).toEqual(["a.md"]);
    }
  });

  it("names their item by timeline id or permalink through the owner API (GET /api/timeline, paged)", { timeout: TIMEOUT }, async () => {
    const item = (id: number, guid: string, text: string) => ({
      id,
      user_id: BOB_ID,
      username: "bob",
      name: null,
      user_link: feedUrl,
      guid,
      date: "2026-01-03T10:00:00Z",
      received_at: "2026-01-03T10:01:00Z",
      html: "",
      text,
      link: `https://bob.example/posts/${guid}/`,
      mention: false,
    });
    const pages: Record<string, object> = {
      "": { items: [item(12, "12", "newest")], next_cursor: "p2" },
      p2: { items: [item(11, "11", HOSTILE)], next_cursor: null },
    };
    const api = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const ok = url.pathname === "/api/timeline" && req.headers.authorization === "Bearer sesame";
      res.writeHead(ok ? 200 : 401, { "Content-Type": "application/json" });
      res.end(JSON.stringify(ok ? pages[url.searchParams.get("cursor") ?? ""] : { detail: "no" }));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    try {
      const project = site();
      const owner = ["--url", apiUrl, "--token", "sesame"];
      const reply = await newPost(project, ["--reply-to", "11", "Yes", ...owner]);
      expect(reply.stderr).toBe("");
      expect(created(project, reply.stdout, 4)).toContain(
        `reply_to:\n  user_id: "${BOB_ID}"\n  username: "bob"\n  user_link: "${feedUrl}"\n  status_id: "11"\n  link: "https://bob.example/posts/11/"\n`,
      );
      const repost = await newPost(project, ["--repost", "https://bob.example/posts/12/", "So true", ...owner]);
      expect(repost.stderr).toBe("");
      expect(created(project, repost.stdout, 5)).toContain(
        '  status_id: "12"\n  link: "https://bob.example/posts/12/"\n  pubdate: 2026-01-03T10:00:00Z\n  text: "newest"\n---\nSo true\n',
      );
      const unknown = await newPost(project, ["--reply-to", "99", "Hi", ...owner]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim()).toBe(
        "npm run new: timeline id 99 is not in your timeline (npm run timeline -- --json lists it); name it as <feed URL>#<guid> instead",
      );
      expect(postFiles(project)).toHaveLength(3);
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
