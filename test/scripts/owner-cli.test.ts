/**
 * What every owner command (npm run inbox, tick, ...) shares (lib/cli/): it finds the server
 * `npm start` really started (.wrangler/skein-server.json), says in one line what is wrong when the
 * address answers something that is not Skein's API, never prints a stack trace, and its --json is as
 * terminal-safe as its tables. Real processes against a real loopback HTTP server.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeServerState } from "../../lib/cli/local-server.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { runScript } from "../support/cli.ts";

const TOKEN = "cli-test-token";
const HOSTILE = "evil \u202e\u0085name\u200f";

/** Answers like a Skein Worker under /api/inbox (and like other things elsewhere). */
function fakeWorker(): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname.startsWith("/html/")) {
      res.writeHead(200, { "Content-Type": "text/html" });
      return res.end("<!doctype html><p>a login page</p>");
    }
    if (url.pathname.startsWith("/broken/")) {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end("{not json");
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { "Content-Type": "application/problem+json" });
      return res.end(JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401, detail: "the owner token does not match" }));
    }
    if (url.pathname === "/api/inbox/messages") {
      res.writeHead(200, { "Content-Type": "application/json" });
      const item = {
        id: 1,
        direction: "received",
        user_id: "u",
        username: HOSTILE,
        user_link: "https://x.example/feed.xml",
        message: `hi ${HOSTILE}`,
        date: "d",
        date_iso: "2026-01-01T00:00:00Z",
        received_at: "2026-01-01T00:00:00Z",
        read_at: null,
      };
      return res.end(JSON.stringify({ items: [item], next_cursor: null }));
    }
    if (url.pathname === "/api/webmentions") {
      res.writeHead(200, { "Content-Type": "application/json" });
      const item = {
        id: 7,
        source: "https://indie.example/notes/1",
        target: "https://ada.example/posts/3/",
        post_id: 3,
        state: "verified",
        detail: "the source links to the target (reply)",
        kind: "reply",
        author_name: `Carol ${HOSTILE}`,
        author_url: "https://indie.example/",
        author_photo: null,
        content: `<script>alert(1)</script> ${HOSTILE}`,
        published: null,
        url: null,
        received_at: "2026-01-01T00:00:00Z",
        checked_at: "2026-01-01T00:01:00Z",
        read: 0,
        moderation: null,
      };
      return res.end(JSON.stringify({ items: [item], next: null, state: url.searchParams.get("state") }));
    }
    if (url.pathname === "/api/inbox") {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify({ messages: { total: 1, unread: 1 }, replies: { total: 0, unread: 0 } }));
    }
    res.writeHead(404, { "Content-Type": "application/problem+json" });
    res.end(JSON.stringify({ type: "about:blank", title: "Not Found", status: 404, detail: `nothing at ${url.pathname}` }));
  });
}

let server: http.Server;
let base: string;
let project: ProjectCopy;

beforeAll(async () => {
  server = fakeWorker();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  project = createProjectCopy();
  project.write(".dev.vars", `OWNER_TOKEN=${TOKEN}\n`);
});

afterAll(async () => {
  project?.cleanup();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at |Error:|node:internal/);

describe("finding the server", () => {
  it("uses the server npm start wrote down, whatever its port", async () => {
    writeServerState(project.root, { url: base, pid: process.pid, started_at: "2026-01-01T00:00:00Z" });
    const result = await runScript(project.root, "scripts/inbox.ts", ["list", "messages"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Messages: 1 (1 unread)");
  });

  it("says there is no running server when npm start is gone (a stale file)", async () => {
    writeServerState(project.root, { url: base, pid: 2 ** 22 + 12345, started_at: "2026-01-01T00:00:00Z" });
    const result = await runScript(project.root, "scripts/inbox.ts", ["list"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^npm run inbox: no running Skein server found here .*npm start/);
  });
});

describe("answers that are not Skein's API", () => {
  it.each([
    ["an HTML page", "/html", /with something that is not Skein's API \(HTTP 200, text\/html\): is .* the address of a Skein Worker\?/],
    ["broken JSON", "/broken", /with broken JSON \(HTTP 200\)/],
  ])("%s: one clear line, exit 1, no stack trace", async (_, prefix, message) => {
    const result = await runScript(project.root, "scripts/inbox.ts", ["list", "--url", `${base}${prefix}`, "--token", TOKEN]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    noStack(result.stderr);
  });

  it("nobody listening: one line that says to start the site", async () => {
    const result = await runScript(project.root, "scripts/tick.ts", ["--url", "http://127.0.0.1:9", "--token", TOKEN]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^npm run tick: could not reach http:\/\/127\.0\.0\.1:9 .*Locally: npm start\n$/);
  });

  it("a wrong token: one line", async () => {
    const result = await runScript(project.root, "scripts/inbox.ts", ["list", "--url", base, "--token", "nope"]);
    expect(result.stderr).toBe("npm run inbox: the owner token was refused: the owner token does not match\n");
  });
});

describe("strangers' text on the terminal", () => {
  it("the table and --json both neutralize controls and direction overrides; --json still parses to the exact text", async () => {
    const table = await runScript(project.root, "scripts/inbox.ts", ["list", "messages", "--url", base, "--token", TOKEN]);
    const json = await runScript(project.root, "scripts/inbox.ts", ["list", "messages", "--json", "--url", base, "--token", TOKEN]);
    for (const output of [table.stdout, json.stdout]) expect(output).not.toMatch(/[\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(json.stdout).toContain("\\u202e");
    expect(JSON.parse(json.stdout).items[0].username).toBe(HOSTILE);
  });

  it("list webmentions: who, which post, what kind, the check and what it says, as text; --json exact", async () => {
    const table = await runScript(project.root, "scripts/inbox.ts", ["list", "webmentions", "--state", "verified", "--url", base, "--token", TOKEN]);
    const lines = table.stdout.split("\n");
    expect(lines[0]).toBe("Webmentions (verified): newest first");
    expect(lines[2]).toMatch(/^\s+w7\*\s+2026-01-01 00:00\s+Carol evil name\s+reply\s+#3\s+verified\s+<script>alert\(1\)<\/scr/);
    expect(lines[3]).toBe("        https://indie.example/notes/1");
    const json = await runScript(project.root, "scripts/inbox.ts", ["list", "webmentions", "--json", "--url", base, "--token", TOKEN]);
    for (const output of [table.stdout, json.stdout]) expect(output).not.toMatch(/[\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(json.stdout).items[0].content).toBe(`<script>alert(1)</script> ${HOSTILE}`);
  });

  it("bad arguments: the reason and the usage, exit 2", async () => {
    const result = await runScript(project.root, "scripts/inbox.ts", ["list", "--limit", "500", "--url", base]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^npm run inbox: --limit must be a number from 1 to 100, got 500\n\nUsage: npm run inbox/);
    const unknown = await runScript(project.root, "scripts/tick.ts", ["--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^npm run tick: Unknown option '--bogus'/);
  });
});
