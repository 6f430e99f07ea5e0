/**
 * npm run outbox (scripts/outbox.ts): the list as a table (why each one is not sent, when it is
 * tried next), --json, paging, retry, and one-line errors. Real processes against a real loopback
 * HTTP server that answers as the Worker does.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import type { OutboxItem, WebmentionSendItem } from "../../lib/shared/api-types.ts";
import { outboxTable, parseArgs } from "../../scripts/outbox.ts";
import { runScript } from "../support/cli.ts";

const TOKEN = "outbox-test-token";
const HOSTILE = "evil\u202e\u0085";

function item(fields: Partial<OutboxItem>): OutboxItem {
  return {
    id: 1,
    kind: "reply",
    post_id: 3,
    status_id: "7",
    user_id: "u",
    username: "bob",
    user_link: "https://bob.example/feed.xml",
    message: null,
    date: null,
    target_url: "https://bob.example/api/posts/7/reply",
    state: "sent",
    attempts: 1,
    http_status: 201,
    next_attempt_at: null,
    last_error: null,
    message_id: null,
    created_at: "2026-03-01T12:00:00Z",
    updated_at: "2026-03-01T12:00:30Z",
    sent_at: "2026-03-01T12:00:30Z",
    ...fields,
  };
}

const ITEMS = [
  item({
    id: 4,
    kind: "message",
    post_id: null,
    status_id: null,
    message: `hi ${HOSTILE}`,
    state: "refused",
    http_status: 403,
    last_error: "answered 403 Forbidden",
  }),
  item({ id: 3, kind: "mention", status_id: "", state: "queued", attempts: 2, next_attempt_at: "2026-03-01T12:30:00Z", last_error: "answered 503" }),
  item({ id: 2, state: "sent" }),
];

function sendItem(fields: Partial<WebmentionSendItem>): WebmentionSendItem {
  return {
    id: 1,
    post_id: 3,
    source: "https://ada.example/posts/3/",
    target: "https://indie.example/notes/1",
    reason: "new",
    state: "sent",
    endpoint: "https://indie.example/webmention",
    http_status: 202,
    attempts: 1,
    next_attempt_at: null,
    detail: null,
    created_at: "2026-03-01T12:00:00Z",
    updated_at: "2026-03-01T12:00:30Z",
    sent_at: "2026-03-01T12:00:30Z",
    ...fields,
  };
}

const SENDS = [
  sendItem({
    id: 6,
    target: `https://x.example/${HOSTILE}`,
    state: "queued",
    attempts: 1,
    next_attempt_at: "2026-03-01T12:10:00Z",
    detail: "the endpoint answered 503",
  }),
  sendItem({ id: 5, reason: "updated", state: "no-endpoint", endpoint: null, http_status: null, detail: "advertises no Webmention endpoint" }),
];

let server: http.Server;
let base: string;
let project: ProjectCopy;
const paths: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    const json = (status: number, value: unknown, type = "application/json") => {
      res.writeHead(status, { "Content-Type": type });
      res.end(JSON.stringify(value));
    };
    const url = new URL(req.url ?? "/", "http://x");
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return json(401, { status: 401, detail: "the owner token does not match" }, "application/problem+json");
    if (url.pathname === "/api/outbox/webmentions") return json(200, { items: SENDS, next_cursor: null });
    if (url.pathname === "/api/outbox/webmentions/5/retry") return res.writeHead(204).end();
    if (url.pathname === "/api/outbox/webmentions/6/retry")
      return json(409, { status: 409, detail: "webmention 6 is not failed or without an endpoint" }, "application/problem+json");
    if (url.pathname === "/api/outbox") return json(200, { items: ITEMS, next_cursor: url.searchParams.get("cursor") ? null : "b3V0Ym94OjI" });
    if (url.pathname === "/api/outbox/4/retry") return json(200, { ...ITEMS[0], state: "queued", attempts: 0 });
    if (url.pathname === "/api/outbox/2/retry")
      return json(409, { status: 409, detail: "outbox item 2 is sent; only a refused or failed one can be retried" }, "application/problem+json");
    json(404, { status: 404, detail: "there is no outbox item 9" }, "application/problem+json");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  project = createProjectCopy({ posts: {}, follows: null, blocks: null });
});

afterAll(async () => {
  project?.cleanup();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const outbox = (...args: string[]) => runScript(project.root, "scripts/outbox.ts", [...args, "--url", base, "--token", TOKEN]);

describe("npm run outbox", { timeout: 60_000 }, () => {
  it("lists each notification and message with its state and tries; why one is not sent, and when it is tried next", async () => {
    const result = await outbox();
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe("Outbox: newest first");
    expect(lines[1]).toMatch(/^\s+ID\s+KIND\s+TO\s+STATE\s+TRIES\s+UPDATED \(UTC\)\s+ABOUT$/);
    expect(lines[2]).toMatch(/^\s+4\s+message\s+@bob\s+refused\s+1\s+2026-03-01 12:00\s+"hi evil"$/);
    expect(lines[3]).toBe("       answered 403 Forbidden");
    expect(lines[4]).toMatch(/^\s+3\s+mention\s+@bob\s+queued\s+2\s+.*post 3$/);
    expect(lines[5]).toBe("       answered 503");
    expect(lines[6]).toBe("       next try: 2026-03-01 12:30 UTC");
    expect(lines[7]).toMatch(/^\s+2\s+reply\s+@bob\s+sent\s+1\s+.*post 3 -> their 7$/);
    expect(result.stdout).toContain("more: npm run outbox -- list --cursor b3V0Ym94OjI");
    expect(result.stdout).not.toMatch(/[\u0080-\u009f\u202e]/);
  });

  it("--json: the API's page, terminal-safe and exact", async () => {
    const result = await outbox("--json");
    expect(result.stdout).toContain("\\u202e");
    expect(JSON.parse(result.stdout).items[0].message).toBe(`hi ${HOSTILE}`);
  });

  it("--state, --limit and --cursor go to the API", async () => {
    await outbox("list", "--state", "failed", "--limit", "5", "--cursor", "abc");
    expect(paths.at(-1)).toBe("GET /api/outbox?state=failed&limit=5&cursor=abc");
    expect(() => parseArgs(["--state", "lost"])).toThrow("--state must be one of queued, sent, refused, failed, cancelled, got lost");
  });

  it("retry <id>: one line either way", async () => {
    expect((await outbox("retry", "4")).stdout).toMatch(/^queued outbox item 4 again; the Worker sends it within a minute/);
    expect(paths.at(-1)).toBe("POST /api/outbox/4/retry");
    expect(await outbox("retry", "2")).toMatchObject({
      code: 1,
      stderr: "npm run outbox: outbox item 2 is sent; only a refused or failed one can be retried\n",
    });
    expect(await outbox("retry", "9")).toMatchObject({ code: 1, stderr: "npm run outbox: there is no outbox item 9\n" });
    const bad = await outbox("retry", "x");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^npm run outbox: not an id: x\n\nUsage: npm run outbox/);
  });

  it("webmentions: what each post sends, why one is not sent and when it is tried next; --json; retry-webmention", async () => {
    const result = await outbox("webmentions", "--post", "3");
    expect(paths.at(-1)).toBe("GET /api/outbox/webmentions?post=3");
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe("Webmentions your posts send (post 3): newest first");
    expect(lines[1]).toMatch(/^\s+ID\s+POST\s+WHY\s+STATE\s+TRIES\s+UPDATED \(UTC\)\s+TARGET$/);
    expect(lines[2]).toMatch(/^\s+6\s+3\s+new\s+queued\s+1\s+2026-03-01 12:00\s+https:\/\/x\.example\/evil/);
    expect(lines[3]).toBe("       the endpoint answered 503");
    expect(lines[4]).toBe("       next try: 2026-03-01 12:10 UTC");
    expect(lines[5]).toMatch(/^\s+5\s+3\s+updated\s+no-endpoint\s+1\s/);
    expect(result.stdout).not.toMatch(/[\u0080-\u009f\u202e]/);
    expect(JSON.parse((await outbox("webmentions", "--json")).stdout).items[1].state).toBe("no-endpoint");
    expect((await outbox("retry-webmention", "5")).stdout).toMatch(/^queued webmention 5 again/);
    expect(await outbox("retry-webmention", "6")).toMatchObject({ code: 1, stderr: "npm run outbox: webmention 6 is not failed or without an endpoint\n" });
  });

  it("an empty outbox says so", () => {
    expect(outboxTable([])).toEqual(["  (nothing sent yet)"]);
    expect(outboxTable([], "failed")).toEqual(["  (nothing failed)"]);
  });
});
