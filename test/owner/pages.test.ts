// The owner's pages inside workerd with the real local D1 and Rate Limiting bindings: signing in
// and out, the session cookie and its expiry, the walls (CSP, no-store, Origin checks, no data without
// a session) and the inbox pages showing strangers' text inert. Browser behaviour: test/e2e/owner-pages.test.ts.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { SESSION_LIFETIME_MS } from "../../lib/owner/session.ts";
import type { WorkerApp, WorkerEnv } from "../../lib/worker-kit/env.ts";
import { clearInbox, FIXED_NOW, messageFrom, meteredEnv, OWNER_TOKEN, replyFrom, replyPath, send, testApp, testEnv } from "../worker/support/inbox.ts";
import { STRANGER } from "../worker/support/people.ts";
import { testConfig } from "../worker/support/worker.ts";

const ORIGIN = "http://owner.test";
let now = FIXED_NOW;
const app = testApp(undefined, { now: () => now });

beforeEach(async () => {
  now = FIXED_NOW;
  await clearInbox();
  await env.DB.prepare("DELETE FROM owner_sessions").run();
});

function page(path: string, init: RequestInit = {}, target: WorkerApp = app, bindings: WorkerEnv = testEnv()): Promise<Response> {
  return Promise.resolve(target.request(`${ORIGIN}${path}`, { redirect: "manual", ...init }, bindings));
}

function form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}, bindings?: WorkerEnv): Promise<Response> {
  return page(
    path,
    {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, ...headers },
      body: new URLSearchParams(fields).toString(),
    },
    app,
    bindings,
  );
}

/** Sign in and return the Cookie header value the browser would send back. */
async function signIn(): Promise<string> {
  const response = await form("/owner/sign-in", { token: OWNER_TOKEN });
  expect(response.status).toBe(303);
  const setCookie = response.headers.get("Set-Cookie")!;
  return setCookie.split(";")[0]!;
}

describe("without a session", () => {
  it.each(["/owner/", "/owner/inbox", "/owner/inbox/conversations/abc"])("GET %s redirects to sign-in and shows no data", async (path) => {
    await send(app, "/api/message", messageFrom(STRANGER, "a private message"));
    const response = await page(path);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/owner/sign-in");
    expect(await response.text()).not.toContain("private message");
  });

  it("a POST is a 401 page that changes nothing", async () => {
    await send(app, "/api/message", messageFrom(STRANGER, "keep me"));
    const [row] = (await env.DB.prepare("SELECT id FROM messages").all<{ id: number }>()).results;
    const response = await form(`/owner/inbox/messages/${row!.id}/delete`, { return_to: "/owner/inbox" });
    expect(response.status).toBe(401);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM messages").first<{ n: number }>())?.n).toBe(1);
  });
});

describe("the owner's stylesheet", () => {
  it("is the site's stylesheet and the owner's rules: through ASSETS, or from the site itself when this Worker has no ASSETS (api-only, npm start)", async () => {
    const withAssets = await (await page("/owner/style.css")).text();
    expect(withAssets).toContain(".owner-");

    const base = `http://127.0.0.1:${inject("feedServerPort")}`;
    const config = testConfig({ owner: { ...testConfig().owner, feed_url: `${base}/bob/feed.xml` } });
    const apiOnly = testEnv({ FETCH_ALLOW_LOOPBACK: "true" });
    delete apiOnly.ASSETS;
    const response = await page("/owner/style.css", {}, testApp(config, { now: () => now }), apiOnly);
    expect(response.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
    const css = await response.text();
    expect(css.startsWith("/* bob's site */ body { color: #123456; }")).toBe(true);
    expect(css).toContain(".owner-");
    // The site unreachable: the owner's rules alone, never an error page.
    const noLoopback = testEnv();
    delete noLoopback.ASSETS;
    const refused = await page("/owner/style.css", {}, testApp(config, { now: () => now }), noLoopback);
    expect(refused.status).toBe(200);
    expect(await refused.text()).not.toContain("bob's site");
  });
});

describe("every owner response", () => {
  it.each(["/owner/sign-in", "/owner/", "/owner/style.css"])("%s carries a strict CSP, no-store and no-referrer", async (path) => {
    const response = await page(path);
    const csp = response.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
  });
});

describe("signing in", () => {
  it("with the token: a __Host- session cookie (HttpOnly, Secure, SameSite=Strict, expiring), only its hash stored", async () => {
    const response = await form("/owner/sign-in", { token: OWNER_TOKEN });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/owner/");
    const cookie = response.headers.get("Set-Cookie")!;
    expect(cookie).toMatch(/^__Host-skein_session=[0-9a-f]{64}; /);
    for (const part of ["Path=/", "HttpOnly", "Secure", "SameSite=Strict", "Expires="]) expect(cookie).toContain(part);
    expect(cookie).not.toContain("Domain=");
    const id = cookie.slice("__Host-skein_session=".length, cookie.indexOf(";"));
    const rows = (await env.DB.prepare("SELECT id_hash, expires_at FROM owner_sessions").all<{ id_hash: string; expires_at: string }>()).results;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id_hash).not.toBe(id);
    expect(Date.parse(rows[0]!.expires_at)).toBe(FIXED_NOW + SESSION_LIFETIME_MS);
    // The Location and the page never carry the token or the session id.
    expect(response.headers.get("Location")).not.toContain(id);
  });

  it("a wrong token gets one generic answer, no cookie, and no D1 write", async () => {
    const { env: metered, usage } = meteredEnv();
    for (const token of ["nope", `${OWNER_TOKEN}x`, OWNER_TOKEN.slice(0, -1)]) {
      const response = await form("/owner/sign-in", { token }, {}, metered);
      expect(response.status).toBe(401);
      expect(response.headers.get("Set-Cookie")).toBeNull();
      expect(await response.text()).toContain("That did not work. Check the token and try again.");
    }
    expect(usage.rowsWritten).toBe(0);
  });

  it("failures are limited per network by the binding (10 a minute, shared with the owner API), writing nothing; the right token still signs in", async () => {
    const { env: limited, usage } = meteredEnv({}, true);
    const ip = { "CF-Connecting-IP": `198.51.100.${(Date.now() >> 10) % 200}` };
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await form("/owner/sign-in", { token: `wrong-${i}` }, ip, limited)).status);
    // A guess at the owner API from the same network counts too.
    const apiGuess = await app.request("/api/inbox", { headers: { Authorization: "Bearer wrong", ...ip } }, limited);
    statuses.push(apiGuess.status, (await form("/owner/sign-in", { token: "wrong" }, ip, limited)).status);
    expect(statuses).toEqual([...new Array(10).fill(401), 429, 429]);
    expect(usage.rowsWritten).toBe(0);
    // The owner, on the same network, is not locked out.
    const signedIn = await form("/owner/sign-in", { token: OWNER_TOKEN }, ip, limited);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("Set-Cookie")).toMatch(/__Host-skein_session=/);
  });

  it("the session ends after 14 days: the cookie then gets the sign-in page", async () => {
    const cookie = await signIn();
    now = FIXED_NOW + SESSION_LIFETIME_MS - 1000;
    expect((await page("/owner/", { headers: { Cookie: cookie } })).status).toBe(200);
    now = FIXED_NOW + SESSION_LIFETIME_MS + 1000;
    const expired = await page("/owner/", { headers: { Cookie: cookie } });
    expect(expired.status).toBe(303);
    expect(expired.headers.get("Location")).toBe("/owner/sign-in");
  });

  it("signing out deletes the session: the same cookie no longer opens anything", async () => {
    const cookie = await signIn();
    const out = await form("/owner/sign-out", {}, { Cookie: cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("Set-Cookie")).toMatch(/^__Host-skein_session=; .*Max-Age=0/);
    expect((await page("/owner/", { headers: { Cookie: cookie } })).status).toBe(303);
  });
});

describe("cross-site requests", () => {
  it("a form posted from another origin is refused, even with a valid session cookie", async () => {
    const cookie = await signIn();
    await send(app, "/api/message", messageFrom(STRANGER, "still here"));
    const [row] = (await env.DB.prepare("SELECT id FROM messages").all<{ id: number }>()).results;
    for (const headers of [{ Origin: "https://evil.example" }, { Origin: "null" }]) {
      const response = await form(`/owner/inbox/messages/${row!.id}/delete`, { return_to: "/owner/inbox" }, { Cookie: cookie, ...headers });
      expect(response.status).toBe(403);
    }
    const noOrigin = await page(`/owner/inbox/messages/${row!.id}/delete`, {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site" },
      body: "return_to=%2Fowner%2Finbox",
    });
    expect(noOrigin.status).toBe(403);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM messages").first<{ n: number }>())?.n).toBe(1);
  });

  it("a sign-in from another origin is refused (no session can be planted)", async () => {
    const response = await form("/owner/sign-in", { token: OWNER_TOKEN }, { Origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(response.headers.get("Set-Cookie")).toBeNull();
  });
});

/** What a browser would see in a page, read with workerd's own HTML parser (HTMLRewriter). */
async function activeContent(html: string): Promise<string[]> {
  const found: string[] = [];
  const rewriter = new HTMLRewriter().on("*", {
    element(element) {
      if (["script", "img", "svg", "iframe", "object", "embed", "style"].includes(element.tagName)) found.push(`<${element.tagName}>`);
      for (const [name = "", value = ""] of element.attributes) {
        if (name.startsWith("on")) found.push(`${element.tagName}[${name}]`);
        if ((name === "href" || name === "src" || name === "action") && /^\s*(javascript|data|vbscript):/i.test(value))
          found.push(`${element.tagName}[${name}=${value}]`);
      }
    },
  });
  await rewriter.transform(new Response(html)).text();
  return found;
}

describe("the inbox pages", () => {
  const XSS = `<script>alert(1)</script><img src=x onerror=alert(1)>"><svg onload=alert(1)>`;

  it("show a stranger's message and name as text, and a replier's post sanitized", async () => {
    const cookie = await signIn();
    const hostile = { ...STRANGER, username: "evil_name" };
    await send(app, "/api/message", messageFrom(hostile, `hello ${XSS}`));
    const { settled } = await send(app, replyPath(3), replyFrom(hostile, "9"));
    await settled();
    await env.DB.prepare("UPDATE replies SET verification = 'verified', item_html = ?1, item_link = 'javascript:alert(1)'")
      .bind(`<p>reply ${XSS}<a href="javascript:alert(2)">x</a></p>`)
      .run();
    const inbox = await (await page("/owner/inbox", { headers: { Cookie: cookie } })).text();
    expect(inbox).toContain("@evil_name");
    expect(inbox).toContain("hello &lt;script&gt;");
    expect(await activeContent(inbox)).toEqual([]);
    expect(inbox).toContain("<p>reply ");
  });

  it("a conversation lists both sides oldest first, and mark read / delete work and come back with a notice", async () => {
    const cookie = await signIn();
    await send(app, "/api/message", messageFrom(STRANGER, "first", "Sat, 16 May 2015 21:32:15 +0000"));
    await send(app, "/api/message", messageFrom(STRANGER, "second", "Sat, 16 May 2015 21:33:15 +0000"));
    const inbox = await (await page("/owner/inbox", { headers: { Cookie: cookie } })).text();
    const link = /href="(\/owner\/inbox\/conversations\/[A-Za-z0-9_-]+)"/.exec(inbox)![1]!;
    const conversation = await (await page(link, { headers: { Cookie: cookie } })).text();
    expect(conversation.indexOf("first")).toBeLessThan(conversation.indexOf("second"));
    const ids = (await env.DB.prepare("SELECT id FROM messages ORDER BY id").all<{ id: number }>()).results.map((row) => row.id);
    const read = await form(`/owner/inbox/messages/${ids[0]}/read`, { return_to: link }, { Cookie: cookie });
    expect(read.status).toBe(303);
    expect(read.headers.get("Location")).toBe(`${link}?notice=read`);
    const deleted = await form(`/owner/inbox/messages/${ids[1]}/delete`, { return_to: "https://evil.example/" }, { Cookie: cookie });
    // A return address outside the owner's pages is ignored.
    expect(deleted.headers.get("Location")).toBe("/owner/inbox?notice=deleted");
    const rows = (await env.DB.prepare("SELECT id, read_at FROM messages").all<{ id: number; read_at: string | null }>()).results;
    expect(rows).toEqual([{ id: ids[0], read_at: "2026-03-01T12:00:30Z" }]);
    const missing = await form(`/owner/inbox/messages/${ids[1]}/delete`, {}, { Cookie: cookie });
    expect(missing.status).toBe(404);
  });
});
