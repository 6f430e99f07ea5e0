/**
 * npm run timeline as a user runs it, against a loopback server answering like a Skein Worker: a
 * readable table of posts (name, @username, time, plain text, link) in which strangers' control and
 * direction-override characters are harmless, the flags sent as the API's query, --json exact and
 * terminal-safe, `status` with each feed's errors and moves, and one-line errors.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import type { ListPage, TimelineFollows, TimelineItem } from "../../lib/shared/api-types.ts";
import { timelineLines } from "../../scripts/timeline.ts";
import { runScript } from "../support/cli.ts";

const TOKEN = "timeline-cli-token";
const HOSTILE = "evil\u202e\u0007name\u200f\u2066";
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

const ITEMS: TimelineItem[] = [
  {
    id: 2,
    user_id: "u-bob",
    username: "bob",
    name: `Bob ${HOSTILE}`,
    user_link: "https://bob.example/feed.xml",
    guid: "12",
    date: "2026-03-01T11:45:30Z",
    received_at: "2026-03-01T11:50:00Z",
    html: "<p>Hi @ada</p>",
    text: `Hi @ada, look:\n\u001b[31mred\u001b[0m ${HOSTILE} done`,
    link: "https://bob.example/posts/12/",
    in_reply_to: { user_id: "3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10", status_id: "3" },
    mention: true,
  },
  {
    id: 1,
    user_id: "u-carl",
    username: "carl",
    name: null,
    user_link: "https://carl.example/feed.xml",
    guid: "7",
    date: "2026-03-01T09:00:00Z",
    received_at: "2026-03-01T09:05:00Z",
    html: "",
    text: "",
    link: null,
    repost: { user_id: "u-dana", status_id: "4" },
    mention: false,
  },
];

const FOLLOWS: TimelineFollows = {
  last_run_at: "2026-03-01T12:00:00Z",
  follows: [
    {
      user_id: "u-bob",
      username: "bob",
      name: "Bob",
      user_link: "https://bob.example/feed.xml",
      feed_url: "https://bob.example/feed.xml",
      state: "ok",
      moved_to: null,
      last_poll_at: "2026-03-01T11:55:00Z",
      last_error: null,
      failures: 0,
      next_poll_at: "2026-03-01T12:00:00Z",
      poll_every_minutes: 5,
      newest_post_at: "2026-03-01T11:45:30Z",
      items: 12,
    },
    {
      user_id: "u-dana",
      username: "dana",
      name: null,
      user_link: "https://old.example/feed.xml",
      feed_url: "https://new.example/feed.xml",
      state: "moved",
      moved_to: "https://new.example/feed.xml",
      last_poll_at: "2026-03-01T10:00:00Z",
      last_error: null,
      failures: 0,
      next_poll_at: null,
      poll_every_minutes: 240,
      newest_post_at: null,
      items: 0,
    },
    {
      user_id: "u-eve",
      username: "eve",
      name: null,
      user_link: "https://eve.example/feed.xml",
      feed_url: "https://eve.example/feed.xml",
      state: "failing",
      moved_to: null,
      last_poll_at: "2026-03-01T11:00:00Z",
      last_error: `https://eve.example/feed.xml answered HTTP 503 ${HOSTILE}`,
      failures: 3,
      next_poll_at: "2026-03-01T11:20:00Z",
      poll_every_minutes: 240,
      newest_post_at: null,
      items: 4,
    },
  ],
};

let server: http.Server;
let base = "";
let project: ProjectCopy;
const queries: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "Content-Type": type });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return json(401, { type: "about:blank", title: "Unauthorized", status: 401, detail: "the owner token does not match" }, "application/problem+json");
    }
    if (url.pathname === "/api/timeline") {
      queries.push(url.search);
      if (url.searchParams.get("cursor") === "bad") {
        return json(
          400,
          { type: "about:blank", title: "Bad Request", status: 400, detail: "cursor: not a cursor of the timeline" },
          "application/problem+json",
        );
      }
      const page: ListPage<TimelineItem> = { items: ITEMS, next_cursor: "dDoxNzcyMzY1NjAwMDAwOjE" };
      return json(200, page);
    }
    if (url.pathname === "/api/timeline/follows") return json(200, FOLLOWS);
    json(404, { type: "about:blank", title: "Not Found", status: 404, detail: "nothing here" }, "application/problem+json");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  project = createProjectCopy({ posts: {} });
});

afterAll(async () => {
  project?.cleanup();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const timeline = (...args: string[]) => runScript(project.root, "scripts/timeline.ts", ["--url", base, "--token", TOKEN, ...args]);

describe("npm run timeline", { timeout: 30_000 }, () => {
  it("prints a table of posts: time, name, @username, plain text, and the link under it", async () => {
    const result = await timeline();
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.split("\n");
    const row = (...cells: string[]) => [cells[0]!.padEnd(16), cells[1]!.padEnd(18), cells[2]!.padEnd(16), cells[3]].join("  ");
    expect(lines[0]).toBe(row("TIME (UTC)", "NAME", "@USERNAME", "POST"));
    expect(lines[1]).toBe(row("2026-03-01 11:45", "Bob evil name", "@bob", "* [reply] Hi @ada, look: [31mred [0m evil name done"));
    expect(lines[2]).toBe(`${" ".repeat(18)}https://bob.example/posts/12/`);
    expect(lines[3]).toBe(row("2026-03-01 09:00", "carl", "@carl", "[repost] (no text)"));
    expect(lines).toContain("  more: npm run timeline -- --cursor dDoxNzcyMzY1NjAwMDAwOjE");
    expect(lines).toContain("* = mentions you.");
    for (const line of lines) expect(line).not.toMatch(UNSAFE);
  });

  it("sends --user, --mentions, --limit and --cursor as the API's query", async () => {
    const result = await timeline("--user", "@bob", "--mentions", "--limit", "5", "--cursor", "abc");
    expect(result.code).toBe(0);
    expect(queries.at(-1)).toBe("?user=%40bob&mentions=1&limit=5&cursor=abc");
    expect(result.stdout).toContain('  more: npm run timeline -- --user "@bob" --mentions --limit 5 --cursor dDoxNzcyMzY1NjAwMDAwOjE');
  });

  it("--json is the API's answer, exact once parsed, with nothing a terminal would act on", async () => {
    const result = await timeline("--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ items: ITEMS, next_cursor: "dDoxNzcyMzY1NjAwMDAwOjE" });
    expect(result.stdout).not.toMatch(UNSAFE);
  });

  it("status lists each followed feed, with its error and where it moved", async () => {
    const result = await timeline("status");
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Followed feeds: 3 (last poller run 2026-03-01 12:00 UTC)");
    expect(lines[1]).toMatch(/^@USERNAME +STATE +LAST POLL +NEXT POLL +EVERY +POSTS$/);
    expect(lines[2]).toMatch(/^@bob +ok +2026-03-01 11:55 +2026-03-01 12:00 +5 min +12$/);
    expect(lines[3]).toMatch(/^@dana +moved +2026-03-01 10:00 +next run +240 min +0$/);
    expect(lines[4]).toBe("    moved to https://new.example/feed.xml: update follows.yaml with npm run follow -- https://new.example/feed.xml");
    expect(lines[5]).toMatch(/^@eve +failing /);
    expect(lines[6]).toBe("    error (3 in a row): https://eve.example/feed.xml answered HTTP 503 evil name");
    for (const line of lines) expect(line).not.toMatch(UNSAFE);
    expect(JSON.parse((await timeline("status", "--json")).stdout)).toEqual(FOLLOWS);
  });

  it("answers bad flags with the usage (exit 2) and server refusals in one line (exit 1)", async () => {
    for (const args of [["--limit", "0"], ["--limit", "x"], ["status", "--user", "bob"], ["unknown"], ["--nope"]]) {
      const result = await timeline(...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^npm run timeline: .*\n\nUsage: npm run timeline/);
    }
    const refused = await runScript(project.root, "scripts/timeline.ts", ["--url", base, "--token", "wrong"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("npm run timeline: the owner token was refused: the owner token does not match\n");
    const bad = await timeline("--cursor", "bad");
    expect(bad.stderr).toBe("npm run timeline: GET /api/timeline?limit=20&cursor=bad answered 400: cursor: not a cursor of the timeline\n");
  });
});

describe("an empty page says what was asked for", () => {
  it("no posts at all, none from an account, none that mention you", () => {
    expect(timelineLines([])).toEqual(["  (no posts)"]);
    expect(timelineLines([], { mentions: true })).toEqual(["  (no posts that mention you)"]);
    expect(timelineLines([], { user: "nobody" })).toEqual(["  (no posts from @nobody: npm run timeline -- status lists the accounts you follow)"]);
    expect(timelineLines([], { user: "@fern", mentions: true })[0]).toMatch(/^ {2}\(no posts from @fern that mention you: /);
  });
});
