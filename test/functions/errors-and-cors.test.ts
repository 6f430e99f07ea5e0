// CORS for browser-based clients, unknown routes, and errors that are ours (500 without internals).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { STRANGER } from "./support/people.ts";
import { messageFrom, owner, problemOf, send, testApp, testEnv } from "./support/inbox.ts";

const app = testApp();
const ORIGIN = { Origin: "https://client.example" };

describe("CORS", () => {
  it("answers a preflight with 204 and the allowed methods and headers", async () => {
    const response = await app.request("/api/message", {
      method: "OPTIONS",
      headers: { ...ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    }, testEnv());
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
    const limited = testEnv({ RATE_LIMIT_PER_IP: "1" });
    await send(app, "/api/message", messageFrom(STRANGER, "first"), { env: limited, ip: "192.0.2.99" });
    const { response } = await send(app, "/api/message", messageFrom(STRANGER, "second"), { env: limited, ip: "192.0.2.99", headers: ORIGIN });
    expect(response.status).toBe(429);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
  });
});

describe("routes", () => {
  it.each(["/", "/api", "/api/messages", "/api/posts/3", "/api/posts/3/reply/x", "/feed.xml"])("404 problem for %s", async (path) => {
    const response = await app.request(path, {}, testEnv());
    expect(response.status).toBe(404);
    expect((await problemOf(response)).title).toBe("Not Found");
  });
});

describe("our own failures", () => {
  it("a database error is a 500 problem with no internals, and the next request works again", async () => {
    // A real D1 failure: the table is gone (D1 storage is per test file, so this stays here).
    await env.DB.prepare("ALTER TABLE messages RENAME TO messages_away").run();
    try {
      const { response } = await send(app, "/api/message", messageFrom(STRANGER, "lost?"));
      expect(response.status).toBe(500);
      const problem = await problemOf(response);
      expect(problem).toEqual({ type: "about:blank", title: "Internal Server Error", status: 500, detail: "an unexpected error on our side; please try again later" });
      const listed = await owner(app, "/api/inbox/messages");
      expect(listed.status).toBe(500);
      expect(await listed.text()).not.toMatch(/messages|SQLITE|D1_/);
    } finally {
      await env.DB.prepare("ALTER TABLE messages_away RENAME TO messages").run();
    }
    const { response } = await send(app, "/api/message", messageFrom(STRANGER, "back"));
    expect(response.status).toBe(201);
  });
});
