// Webmentions in the owner's pages (lib/owner/webmention-*.tsx) inside workerd with the real local D1:
// the received ones beside the inbox with their kind and Approve / Hide, a stranger's markup shown as
// text, and what our posts send beside the outbox.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { FIXED_NOW, OWNER_TOKEN, testApp } from "../worker/support/worker.ts";

const ORIGIN = "http://owner.test";
const app = testApp();

function request(path: string, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(app.request(`${ORIGIN}${path}`, { redirect: "manual", ...init }, { ...env, OWNER_TOKEN }));
}

function post(path: string, fields: Record<string, string>, cookie = ""): Promise<Response> {
  return request(path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
}

async function signIn(): Promise<string> {
  const response = await post("/owner/sign-in", { token: OWNER_TOKEN });
  return response.headers.get("Set-Cookie")!.split(";")[0]!;
}

const at = new Date(FIXED_NOW).toISOString();

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM webmentions"), env.DB.prepare("DELETE FROM webmention_sends"), env.DB.prepare("DELETE FROM owner_sessions")]);
  await env.DB.prepare(
    `INSERT INTO webmentions (id, source, target, post_id, source_host, state, detail, kind, author_name, author_url, content, url, received_at)
     VALUES (5, 'https://indie.example/notes/1', 'https://ada.example/posts/3/', 3, 'indie.example', 'verified', 'ok', 'like',
             '<img src=x onerror=alert(1)>Mallory', 'javascript:alert(2)', '<script>alert(3)</script> nice', 'https://indie.example/notes/1', ?1)`,
  )
    .bind(at)
    .run();
  await env.DB.prepare(
    `INSERT INTO webmention_sends (post_id, source, target, fingerprint, state, detail, attempts, created_at, updated_at)
     VALUES (4, 'https://ada.example/posts/4/', 'https://other.example/<b>x</b>', 'f', 'failed', 'the endpoint answered 400', 1, ?1, ?1)`,
  )
    .bind(at)
    .run();
});

describe("webmentions in the owner's pages", () => {
  it("received: kind, author and words as text (no markup, no script URL), Approve and Hide set the moderation", async () => {
    const cookie = await signIn();
    const inbox = await (await request("/owner/inbox", { headers: { Cookie: cookie } })).text();
    expect(inbox).toContain('<a href="/owner/inbox/webmentions">Webmentions received</a>');
    const response = await request("/owner/inbox/webmentions", { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;Mallory</span> liked your post #3");
    expect(html).toContain("&lt;script&gt;alert(3)&lt;/script&gt; nice");
    expect(html).not.toMatch(/<script|<img src=x|href="javascript:/);
    const approved = await post("/owner/inbox/webmentions/5/moderation/approved", { return_to: "/owner/inbox/webmentions" }, cookie);
    expect(approved.status).toBe(303);
    expect(approved.headers.get("Location")).toBe("/owner/inbox/webmentions?notice=approved");
    expect(await env.DB.prepare("SELECT moderation, read FROM webmentions WHERE id = 5").first()).toEqual({ moderation: "approved", read: 1 });
    expect((await post("/owner/inbox/webmentions/5/moderation/hidden", {}, cookie)).status).toBe(303);
    expect((await env.DB.prepare("SELECT moderation FROM webmentions WHERE id = 5").first())?.moderation).toBe("hidden");
    expect((await post("/owner/inbox/webmentions/99/moderation/hidden", {}, cookie)).status).toBe(404);
    // A form these pages never make (an over-long return_to) gets the owner's 400 page and changes nothing.
    const foreign = await post("/owner/inbox/webmentions/5/moderation/approved", { return_to: `/owner/${"x".repeat(2001)}` }, cookie);
    expect(foreign.status).toBe(400);
    expect(await foreign.text()).toContain("That form was not one of these pages");
    expect((await env.DB.prepare("SELECT moderation FROM webmentions WHERE id = 5").first())?.moderation).toBe("hidden");
  });

  it("sent: each target with its state and why, beside the outbox; nothing without a session", async () => {
    expect((await request("/owner/outbox/webmentions")).status).toBe(303);
    expect((await post("/owner/inbox/webmentions/5/moderation/approved", {})).status).toBe(401);
    expect((await env.DB.prepare("SELECT moderation FROM webmentions WHERE id = 5").first())?.moderation).toBeNull();
    const html = await (await request("/owner/outbox/webmentions", { headers: { Cookie: await signIn() } })).text();
    expect(html).toContain("Post #4 to");
    expect(html).toContain("https://other.example/&lt;b&gt;x&lt;/b&gt;");
    expect(html).toContain("the endpoint answered 400");
  });
});
