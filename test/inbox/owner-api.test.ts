// The owner API under /api/inbox: bearer auth, counts, newest-first pages with a stable cursor,
// the unread filter, mark read, delete.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { InboxMessage as MessageItem } from "../../lib/shared/api-types.ts";
import { idCursor, idFromCursor } from "../../lib/worker-kit/cursor.ts";
import { clearInbox, countRows, messageFrom, OWNER_TOKEN, owner, problemOf, replyFrom, replyPath, send, testApp, testEnv } from "../worker/support/inbox.ts";
import { FOLLOWED, type Person, STRANGER } from "../worker/support/people.ts";

beforeEach(clearInbox);

const app = testApp();

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

async function postMessages(count: number, from: Person = FOLLOWED, prefix = "m"): Promise<void> {
  for (let i = 0; i < count; i++) expect((await send(app, "/api/message", messageFrom(from, `${prefix}${i}`))).response.status).toBe(201);
}

async function list<T = MessageItem>(path: string): Promise<Page<T>> {
  const response = await owner(app, path);
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  return (await response.json()) as Page<T>;
}

describe("authentication", () => {
  const paths: [string, RequestInit][] = [
    ["/api/inbox", {}],
    ["/api/inbox/messages", {}],
    ["/api/inbox/replies?unread=1", {}],
    ["/api/inbox/messages/1/read", { method: "POST" }],
    ["/api/inbox/replies/1", { method: "DELETE" }],
    ["/api/inbox/nothing-here", {}],
  ];

  it.each(paths)("401 without a token: %s", async (path, init) => {
    const response = await owner(app, path, init, null);
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="skein"');
    expect((await problemOf(response)).detail).toBe("send the owner token as Authorization: Bearer <token>");
  });

  it.each([
    ["a wrong token", { Authorization: "Bearer not-the-token" }],
    ["the token with one character more", { Authorization: `Bearer ${OWNER_TOKEN}x` }],
    ["a prefix of the token", { Authorization: `Bearer ${OWNER_TOKEN.slice(0, -1)}` }],
    ["another scheme", { Authorization: `Basic ${btoa(`owner:${OWNER_TOKEN}`)}` }],
    ["the bare token", { Authorization: OWNER_TOKEN }],
  ])("401 for %s, and nothing changes", async (_, headers) => {
    await postMessages(1);
    const read = await app.request("/api/inbox/messages/1/read", { method: "POST", headers }, testEnv());
    const list = await app.request("/api/inbox/messages", { headers }, testEnv());
    expect([read.status, list.status]).toEqual([401, 401]);
    expect(await list.text()).not.toContain("m0");
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM messages WHERE read_at IS NULL").first<{ n: number }>())?.n).toBe(1);
  });

  it("accepts the scheme in any case", async () => {
    const response = await app.request("/api/inbox", { headers: { Authorization: `bearer ${OWNER_TOKEN}` } }, testEnv());
    expect(response.status).toBe(200);
  });

  it.each([
    ["not set", undefined],
    ["empty", ""],
    ["blank", "   "],
  ])("401 for every request when OWNER_TOKEN is %s, saying so", async (_, token) => {
    const response = await owner(app, "/api/inbox", {}, "", testEnv({ OWNER_TOKEN: token }));
    expect(response.status).toBe(401);
    expect((await problemOf(response)).detail).toMatch(/^the owner token is not set/);
    const withAnyToken = await owner(app, "/api/inbox", {}, "anything", testEnv({ OWNER_TOKEN: token }));
    expect(withAnyToken.status).toBe(401);
  });
});

describe("GET /api/inbox", () => {
  it("counts messages and replies, total and unread, and replies by verification", async () => {
    await postMessages(3);
    // STRANGER's feed cannot be reached from the tests: its verification ends "unreachable".
    await (await send(app, replyPath(3), replyFrom(STRANGER, "1"))).settled();
    const [newest] = (await list("/api/inbox/messages")).items;
    await owner(app, `/api/inbox/messages/${newest!.id}/read`, { method: "POST" });
    const response = await owner(app, "/api/inbox");
    expect(await response.json()).toEqual({
      messages: { total: 3, unread: 2 },
      replies: { total: 1, unread: 1, pending: 0, verified: 0, rejected: 0, unreachable: 1 },
    });
  });
});

describe("GET /api/inbox/messages", () => {
  it("lists newest first with every field", async () => {
    await postMessages(3);
    const page = await list("/api/inbox/messages");
    expect(page.items.map((item) => item.message)).toEqual(["m2", "m1", "m0"]);
    expect(page.next_cursor).toBeNull();
    expect(page.items[0]).toEqual({
      id: expect.any(Number),
      direction: "received",
      user_id: FOLLOWED.user_id,
      username: FOLLOWED.username,
      user_link: FOLLOWED.user_link,
      message: "m2",
      date: "Sat, 16 May 2015 21:32:15 +0000",
      date_iso: "2015-05-16T21:32:15Z",
      received_at: "2026-03-01T12:00:30Z",
      read_at: null,
      // Unsigned: who sent it is claimed, not proven (docs/signing.md); the sender's fields are text.
      proof: "not_proven",
      signed_by: null,
      lookalike: null,
      untrusted: ["user_id", "username", "user_link", "message", "date"],
      suspicious: [],
    });
  });

  it("pages with next_cursor until null, each item once, default 50 per page", async () => {
    await postMessages(57);
    const first = await list("/api/inbox/messages");
    expect(first.items).toHaveLength(50);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await list(`/api/inbox/messages?cursor=${first.next_cursor}`);
    expect(second.items).toHaveLength(7);
    expect(second.next_cursor).toBeNull();
    const all = [...first.items, ...second.items].map((item) => item.message);
    expect(all).toEqual(Array.from({ length: 57 }, (_, i) => `m${56 - i}`));
  });

  it("stays stable while new messages arrive and old ones are deleted between pages", async () => {
    await postMessages(10, FOLLOWED, "old");
    const first = await list("/api/inbox/messages?limit=4");
    expect(first.items.map((item) => item.message)).toEqual(["old9", "old8", "old7", "old6"]);
    await postMessages(5, STRANGER, "new");
    await owner(app, `/api/inbox/messages/${first.items[3]!.id - 1}`, { method: "DELETE" }); // old5
    const seen = first.items.map((item) => item.message);
    let cursor = first.next_cursor;
    while (cursor) {
      const page = await list(`/api/inbox/messages?limit=4&cursor=${cursor}`);
      seen.push(...page.items.map((item) => item.message));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(["old9", "old8", "old7", "old6", "old4", "old3", "old2", "old1", "old0"]);
  });

  it("filters unread with ?unread=1", async () => {
    await postMessages(4);
    const ids = (await list("/api/inbox/messages")).items.map((item) => item.id);
    await owner(app, `/api/inbox/messages/${ids[0]}/read`, { method: "POST" });
    await owner(app, `/api/inbox/messages/${ids[2]}/read`, { method: "POST" });
    const unread = await list("/api/inbox/messages?unread=1");
    expect(unread.items.map((item) => item.message)).toEqual(["m2", "m0"]);
    expect((await list("/api/inbox/messages?unread=0")).items).toHaveLength(4);
  });

  it.each([
    ["limit=0", "limit: must be an integer from 1 to 100"],
    ["limit=101", "limit: must be an integer from 1 to 100"],
    ["limit=ten", "limit: must be an integer from 1 to 100"],
    ["unread=maybe", "unread: must be 1 or 0"],
    ["cursor=%%%", "cursor: not a cursor of this list; use next_cursor from the previous page of messages"],
    [`cursor=${idCursor("replies", 5)}`, "cursor: not a cursor of this list; use next_cursor from the previous page of messages"],
  ])("400 for ?%s", async (query, detail) => {
    const response = await owner(app, `/api/inbox/messages?${query}`);
    expect(response.status).toBe(400);
    expect((await problemOf(response)).detail).toBe(detail);
  });

  it("accepts limit=1 and limit=100", async () => {
    await postMessages(2);
    expect((await list("/api/inbox/messages?limit=1")).items).toHaveLength(1);
    expect((await list("/api/inbox/messages?limit=100")).items).toHaveLength(2);
  });

  it("cursors are opaque but round-trip", () => {
    const cursor = idCursor("messages", 42);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(idFromCursor("messages", cursor)).toBe(42);
    expect(idFromCursor("replies", cursor)).toBeUndefined();
    expect(idFromCursor("messages", "bm90LWEtY3Vyc29y")).toBeUndefined();
  });
});

describe("GET /api/inbox/replies", () => {
  it("lists replies newest first with their verification", async () => {
    await send(app, replyPath(3), replyFrom(STRANGER, "a"));
    await send(app, replyPath(4), replyFrom(FOLLOWED, "b"));
    const page = await list<Record<string, unknown>>("/api/inbox/replies");
    expect(page.items.map((item) => [item.post_id, item.status_id])).toEqual([
      [4, "b"],
      [3, "a"],
    ]);
    expect(Object.keys(page.items[0]!).sort()).toEqual(
      [
        "id",
        "post_id",
        "user_id",
        "username",
        "user_link",
        "status_id",
        "received_at",
        "verification",
        "verification_detail",
        "verified_at",
        "attempts",
        "next_check_at",
        "item_html",
        "item_link",
        "item_date",
        "moderation",
        "moderated_at",
        "read_at",
        "proof",
        "signed_by",
        "lookalike",
        "untrusted",
        "suspicious",
      ].sort(),
    );
  });
});

describe("mark read and delete", () => {
  it("POST .../read answers 204, is idempotent and keeps the first read time", async () => {
    let now = Date.UTC(2026, 2, 2, 8, 0, 0);
    const clocked = testApp(undefined, { now: () => now });
    await postMessages(1);
    const [item] = (await list("/api/inbox/messages")).items;
    const first = await owner(clocked, `/api/inbox/messages/${item!.id}/read`, { method: "POST" });
    now += 3_600_000;
    const second = await owner(clocked, `/api/inbox/messages/${item!.id}/read`, { method: "POST" });
    expect([first.status, second.status]).toEqual([204, 204]);
    expect(await first.text()).toBe("");
    expect((await list("/api/inbox/messages")).items[0]!.read_at).toBe("2026-03-02T08:00:00Z");
  });

  it("marks replies read too", async () => {
    await send(app, replyPath(3), replyFrom(STRANGER, "a"));
    const [item] = (await list<{ id: number; read_at: string | null }>("/api/inbox/replies")).items;
    expect((await owner(app, `/api/inbox/replies/${item!.id}/read`, { method: "POST" })).status).toBe(204);
    expect((await list<{ read_at: string | null }>("/api/inbox/replies")).items[0]!.read_at).toBe("2026-03-01T12:00:30Z");
  });

  it("DELETE answers 204 and the item is gone; deleting again is a 404", async () => {
    await postMessages(2);
    const [newest] = (await list("/api/inbox/messages")).items;
    const deleted = await owner(app, `/api/inbox/messages/${newest!.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(await countRows("messages")).toBe(1);
    expect((await owner(app, `/api/inbox/messages/${newest!.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("deletes replies", async () => {
    await send(app, replyPath(3), replyFrom(STRANGER, "a"));
    const [item] = (await list<{ id: number }>("/api/inbox/replies")).items;
    expect((await owner(app, `/api/inbox/replies/${item!.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await countRows("replies")).toBe(0);
  });

  it.each([
    ["an unknown message", "/api/inbox/messages/999999/read", "POST", "there is no message 999999"],
    ["an unknown reply", "/api/inbox/replies/999999", "DELETE", "there is no reply 999999"],
    ["id 0", "/api/inbox/messages/0", "DELETE", undefined],
    ["a non-numeric id", "/api/inbox/messages/abc", "DELETE", undefined],
    ["an unknown kind", "/api/inbox/letters/1", "DELETE", undefined],
  ])("404 for %s", async (_, path, method, detail) => {
    const response = await owner(app, path, { method });
    expect(response.status).toBe(404);
    const problem = await problemOf(response);
    if (detail) expect(problem.detail).toBe(detail);
  });

  it.each([
    ["/api/inbox", "POST", "GET"],
    ["/api/inbox/messages", "DELETE", "GET"],
    ["/api/inbox/messages/1/read", "GET", "POST"],
    ["/api/inbox/messages/1", "GET", "DELETE"],
  ])("405 for %s with %s", async (path, method, allow) => {
    const response = await owner(app, path, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe(`${allow}, OPTIONS`);
  });
});
