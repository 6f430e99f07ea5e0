// The real Pages entry, functions/[[path]].ts: handle(app) over the build's generated config,
// called the way Cloudflare Pages calls it (an EventContext with env, params and waitUntil).
import { createPagesEventContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { onRequest } from "../../functions/[[path]].ts";
import generated from "../../functions/_generated/inbox-config.json";
import type { InboxConfig } from "../../lib/shared/site-config.ts";
import { OWNER_TOKEN } from "./support/inbox.ts";

const config = generated as InboxConfig;

async function call(path: string, init: RequestInit = {}) {
  const request = new Request(`https://site.example${path}`, init) as Request<unknown, IncomingRequestCfProperties>;
  const context = createPagesEventContext<PagesFunction<Env>>({ request, params: { path: path.split("/").filter(Boolean) }, data: {} });
  context.env.OWNER_TOKEN = OWNER_TOKEN;
  // Hono's adapter declares its own EventContext type (with `props`); the runtime object is the same.
  const response = await onRequest(context as unknown as Parameters<typeof onRequest>[0]);
  await waitOnExecutionContext(context);
  return response;
}

describe("functions/[[path]].ts", () => {
  it("serves the message endpoint as the generated config says", async () => {
    const sender = { user_id: `pages-test-${Date.UTC(2026, 0, 1)}`, username: "pagestest", user_link: "https://pages-test.example/feed.xml" };
    const response = await call("/api/message", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...sender, message: "via Pages", date: "2026-01-01T00:00:00Z" }),
    });
    const expected = config.accept === "everyone" ? 201 : config.accept === "off" ? 404 : 403;
    expect(response.status).toBe(expected);
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM messages WHERE sender_user_id = ?1").bind(sender.user_id).first<{ n: number }>();
    expect(stored?.n).toBe(expected === 201 ? 1 : 0);
  });

  it("guards the owner API with the env's token", async () => {
    expect((await call("/api/inbox")).status).toBe(401);
    expect((await call("/api/inbox", { headers: { Authorization: `Bearer ${OWNER_TOKEN}` } })).status).toBe(200);
  });

  it("answers unknown paths under /api with a 404 problem", async () => {
    const response = await call("/api/nothing");
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  });
});
