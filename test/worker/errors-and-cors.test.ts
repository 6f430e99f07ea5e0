// CORS for browser-based clients, unknown routes, static files, and D1 failing (503 with Retry-After,
// nothing stored, no internals).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { d1Unavailable } from "../../lib/worker/app.ts";
import { messageFrom, owner, problemOf, send, testApp, testEnv } from "./support/inbox.ts";
import { STRANGER } from "./support/people.ts";

const app = testApp();
const ORIGIN = { Origin: "https://client.example" };

describe("CORS", () => {
  it("answers a preflight with 204 and the allowed methods and headers", async () => {
    const response = await app.request(
      "/api/message",
      {
        method: "OPTIONS",
        headers: { ...ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
      },
      testEnv(),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Access-Control-Allow-Methods")).toBe("GET,POST,DELETE,OPTIONS");
    expect(response.headers.get("Access-Control-Allow-Headers")).toBe("Content-Type,Authorization");
  });

  it("preflights the owner API without a token (browsers send none)", async () => {
    const response = await app.request("/api/inbox/messages", { method: "OPTIONS", headers: { ...ORIGIN, "Access-Control-Request-Method": "GET" } }, testEnv());
    expect(response.status).toBe(204);
  });

  it.each([
    ["201", messageFrom(STRANGER, "cors"), 201],
    ["400", { nope: true }, 400],
    ["403", messageFrom({ user_id: "00000000-0000-4000-8000-00000000b10c", username: "mallory", user_link: "https://mallory.example/feed.xml" }), 403],
  ])("lets the browser read a %s and its Retry-After", async (_, body, status) => {
    const { response } = await send(app, "/api/message", body, { headers: ORIGIN });
    expect(response.status).toBe(status);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Access-Control-Expose-Headers")).toBe("Retry-After");
  });

  it("on a 429 too", async () => {
    const limited = testEnv({}, true);
    for (let i = 0; i < 30; i++) await send(app, "/api/message", messageFrom(STRANGER, `first ${i}`), { env: limited, ip: "192.0.2.99" });
    const { response } = await send(app, "/api/message", messageFrom(STRANGER, "second"), { env: limited, ip: "192.0.2.99", headers: ORIGIN });
    expect(response.status).toBe(429);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
  });
});

describe("routes", () => {
  it.each(["/api", "/api/messages", "/api/posts/3", "/api/posts/3/reply/x", "/api/posts/abc/reply"])("404 problem for %s", async (path) => {
    const response = await app.request(path, {}, testEnv());
    expect(response.status).toBe(404);
    expect((await problemOf(response)).title).toBe("Not Found");
  });

  it("asks for the owner token before telling what the owner API has", async () => {
    expect((await app.request("/api/inbox/nothing", {}, testEnv())).status).toBe(401);
    const withToken = await owner(app, "/api/inbox/nothing/here/either");
    expect(withToken.status).toBe(404);
    expect((await problemOf(withToken)).title).toBe("Not Found");
  });

  it("hands anything outside /api and /owner to the static site (deployed, those never reach the Worker)", async () => {
    const response = await app.request("/", {}, testEnv());
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Skein test site");
  });

  it("without a static site (the API-only deploy), those paths are a 404 problem too", async () => {
    const { ASSETS: _, ...apiOnly } = testEnv();
    const response = await app.request("/feed.xml", {}, apiOnly);
    expect(response.status).toBe(404);
    expect((await problemOf(response)).detail).toBe("nothing at GET /feed.xml");
  });
});

describe("D1 failing", () => {
  it("is a 503 problem with Retry-After and no internals, stores nothing, and the next request works again", async () => {
    // A real D1 failure: the table is gone (D1 storage is per test file, so this stays here). The
    // free plan's exhausted daily limits fail queries the same way until 00:00 UTC.
    await env.DB.prepare("ALTER TABLE messages RENAME TO messages_away").run();
    try {
      const { response } = await send(app, "/api/message", messageFrom(STRANGER, "lost?"));
      expect(response.status).toBe(503);
      expect(response.headers.get("Retry-After")).toMatch(/^[1-9]\d*$/);
      const problem = await problemOf(response);
      expect(problem).toEqual({
        type: "about:blank",
        title: "Service Unavailable",
        status: 503,
        detail: "the site's database is unavailable; nothing was stored, try again shortly",
      });
      const listed = await owner(app, "/api/inbox/messages");
      expect(listed.status).toBe(503);
      expect(await listed.text()).not.toMatch(/messages_away|SQLITE|D1_/);
      const away = await env.DB.prepare("SELECT COUNT(*) AS n FROM messages_away WHERE body = 'lost?'").first<{ n: number }>();
      expect(away?.n).toBe(0);
    } finally {
      await env.DB.prepare("ALTER TABLE messages_away RENAME TO messages").run();
    }
    const { response } = await send(app, "/api/message", messageFrom(STRANGER, "back"));
    expect(response.status).toBe(201);
  });
});

describe("D1 over its daily limits", () => {
  it("says to come back after 00:00 UTC, when the free plan's limits reset", async () => {
    const noon = Date.UTC(2026, 2, 1, 12, 0, 0);
    const exhausted = d1Unavailable(new Error("D1_ERROR: Exceeded maximum daily rows written"), noon);
    expect(exhausted.status).toBe(503);
    expect(exhausted.headers.get("Retry-After")).toBe(String(12 * 3600));
    expect((await problemOf(exhausted)).detail).toBe("the site's database has reached its daily limit; nothing was stored, try again after 00:00 UTC");
    const busy = d1Unavailable(new Error("D1_ERROR: Network connection lost."), noon);
    expect(busy.headers.get("Retry-After")).toBe("30");
  });
});
