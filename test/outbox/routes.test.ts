// The outbox's owner API (lib/outbox/routes.ts): the list newest first with a cursor and a state
// filter, retry of a refused or failed item only, and the answers to requests that are wrong.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ListPage, OutboxItem } from "../../lib/shared/api-types.ts";
import { owner, problemOf, testApp } from "../worker/support/worker.ts";
import { clearOutbox, outboxEnv } from "./support.ts";

const NOW = Date.UTC(2026, 2, 1, 12, 0, 30);
const app = testApp(undefined, { now: () => NOW });
const get = (path: string, init: RequestInit = {}) => owner(app, path, init, undefined, outboxEnv());

/** Seven rows, ids 1-7: a sent and a failed message, then notifications in every state. */
beforeAll(async () => {
  await clearOutbox();
  const states = ["sent", "failed", "queued", "refused", "cancelled", "sent", "failed"];
  await env.DB.batch(
    states.map((state, i) =>
      env.DB.prepare(
        `INSERT INTO outbox (id, kind, post_id, status_id, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, state, attempts,
           next_attempt_at, last_error, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'u', 'bob', 'https://bob.example/feed.xml', 'bob.example/feed.xml', ?5, ?6, 1, ?7, ?8, '2026-03-01T11:00:00Z', '2026-03-01T11:00:00Z')`,
      ).bind(
        i + 1,
        i < 2 ? "message" : "reply",
        i < 2 ? null : i,
        i < 2 ? null : "7",
        i < 2 ? `text ${i}` : null,
        state,
        state === "queued" ? "2026-03-01T12:00:00Z" : null,
        state === "failed" ? "example.org answered 404" : null,
      ),
    ),
  );
});

describe("GET /api/outbox", () => {
  it("lists newest first, a page at a time", async () => {
    const first = (await (await get("/api/outbox?limit=3")).json()) as ListPage<OutboxItem>;
    expect(first.items.map((item) => item.id)).toEqual([7, 6, 5]);
    expect(first.next_cursor).not.toBeNull();
    const second = (await (await get(`/api/outbox?limit=3&cursor=${first.next_cursor}`)).json()) as ListPage<OutboxItem>;
    expect(second.items.map((item) => item.id)).toEqual([4, 3, 2]);
    const third = (await (await get(`/api/outbox?limit=3&cursor=${second.next_cursor}`)).json()) as ListPage<OutboxItem>;
    expect(third).toEqual({ items: [expect.objectContaining({ id: 1, kind: "message", message: "text 0", state: "sent" })], next_cursor: null });
  });

  it("filters by state", async () => {
    const failed = (await (await get("/api/outbox?state=failed")).json()) as ListPage<OutboxItem>;
    expect(failed.items.map((item) => [item.id, item.last_error])).toEqual([
      [7, "example.org answered 404"],
      [2, "example.org answered 404"],
    ]);
  });

  it("refuses a bad query, a foreign cursor and a missing token", async () => {
    expect((await problemOf(await get("/api/outbox?state=lost"))).detail).toBe("state: must be one of queued, sent, refused, failed, cancelled");
    expect((await problemOf(await get("/api/outbox?limit=0"))).detail).toBe("limit: must be an integer from 1 to 100");
    const foreign = btoa("messages:5");
    expect((await problemOf(await get(`/api/outbox?cursor=${foreign}`))).detail).toBe(
      "cursor: not a cursor of the outbox; use next_cursor from the previous page",
    );
    expect((await owner(app, "/api/outbox", {}, null, outboxEnv())).status).toBe(401);
  });
});

describe("POST /api/outbox/:id/retry", () => {
  it("puts a failed or refused item back in the queue, due now, with fresh attempts", async () => {
    const response = await get("/api/outbox/7/retry", { method: "POST" });
    expect(response.status).toBe(200);
    expect((await response.json()) as OutboxItem).toMatchObject({
      id: 7,
      state: "queued",
      attempts: 0,
      next_attempt_at: "2026-03-01T12:00:30Z",
      last_error: "queued again by the owner; last time: example.org answered 404",
    });
    expect((await get("/api/outbox/4/retry", { method: "POST" })).status).toBe(200);
  });

  it("refuses what cannot be retried: 409 for sent, queued and cancelled, 404 for nothing", async () => {
    for (const id of [1, 3, 5]) {
      const response = await get(`/api/outbox/${id}/retry`, { method: "POST" });
      expect(response.status).toBe(409);
      expect((await problemOf(response)).detail).toMatch(
        new RegExp(`^outbox item ${id} is (sent|queued|cancelled); only a refused or failed one can be retried$`),
      );
    }
    expect((await problemOf(await get("/api/outbox/99/retry", { method: "POST" }))).detail).toBe("there is no outbox item 99");
    expect((await get("/api/outbox/abc/retry", { method: "POST" })).status).toBe(404);
  });

  it("answers other methods with 405 and Allow", async () => {
    const response = await get("/api/outbox/7/retry");
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    expect((await get("/api/outbox", { method: "DELETE" })).headers.get("Allow")).toBe("GET, OPTIONS");
    expect((await get("/api/outbox/messages")).status).toBe(405);
  });
});
