/**
 * IndieAuth on the Worker in workerd with the real local D1 and Rate Limiting bindings: metadata
 * (§4.1.1), the owner's consent (§5.2, §5.2.1), redeeming a code at the token endpoint (§5.3.3) and
 * the authorization endpoint (§5.3.2), every refusal (each an OAuth 2.0 error writing no D1 row),
 * verification (§6 and the older GET), revocation (§7 and action=revoke), the Apps page.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { s256 } from "../../lib/indieauth/hashes.ts";
import { verifyAccessToken } from "../../lib/indieauth/tokens.ts";
import type { Db } from "../../lib/shared/d1.ts";
import type { WorkerEnv } from "../../lib/worker-kit/env.ts";
import { FIXED_NOW, meteredEnv, OWNER_TOKEN, testApp, testEnv } from "../worker/support/worker.ts";

const SITE = "http://owner.test";
const CLIENT = "https://app.example/";
const REDIRECT = "https://app.example/callback?keep=1";
const VERIFIER = "a-verifier-that-is-long-enough-for-pkce-0123456789";
let now = FIXED_NOW;
const app = testApp(undefined, { now: () => now });
const ME = "https://ada.example/"; // testConfig's owner.profile_url (people.ts OWNER)

function get(path: string, headers: Record<string, string> = {}, bindings: WorkerEnv = testEnv()) {
  return Promise.resolve(app.request(`${SITE}${path}`, { redirect: "manual", headers }, bindings));
}
function post(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}, bindings: WorkerEnv = testEnv()) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(name, one);
  return Promise.resolve(
    app.request(
      `${SITE}${path}`,
      { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers }, body },
      bindings,
    ),
  );
}

let cookie = "";
async function signIn() {
  const response = await post("/owner/sign-in", { token: OWNER_TOKEN }, { Origin: SITE });
  cookie = response.headers.get("Set-Cookie")!.split(";")[0]!;
}

async function request(overrides: Record<string, string> = {}) {
  return {
    response_type: "code",
    client_id: CLIENT,
    redirect_uri: REDIRECT,
    state: "st-1234",
    code_challenge: await s256(VERIFIER),
    code_challenge_method: "S256",
    scope: "create update",
    me: "https://ada.example",
    ...overrides,
  };
}

/** The owner approves (as the consent page's form posts it); the code from the redirect. */
async function approved(overrides: Record<string, string> = {}, scope: string[] = ["create"]): Promise<string> {
  const { scope: _asked, me: _me, ...fields } = await request(overrides);
  const response = await post("/owner/auth/approve", { ...fields, decision: "approve", scope }, { Cookie: cookie, Origin: SITE });
  expect(response.status).toBe(302);
  return new URL(response.headers.get("Location")!).searchParams.get("code")!;
}

const exchange = (code: string, overrides: Record<string, string> = {}) => ({
  grant_type: "authorization_code",
  code,
  client_id: CLIENT,
  redirect_uri: REDIRECT,
  code_verifier: VERIFIER,
  ...overrides,
});

const rows = async () =>
  (await env.DB.prepare("SELECT (SELECT COUNT(*) FROM indieauth_codes) + (SELECT COUNT(*) FROM indieauth_tokens) AS n").first<{ n: number }>())!.n;

beforeEach(async () => {
  now = FIXED_NOW;
  await signIn();
});

describe("discovery (§4.1.1)", () => {
  it("serves the metadata: issuer a prefix of its URL, the endpoints, S256 only, create, iss supported", async () => {
    const response = await get("/.well-known/oauth-authorization-server");
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      issuer: `${SITE}/`,
      authorization_endpoint: `${SITE}/api/indieauth/auth`,
      token_endpoint: `${SITE}/api/indieauth/token`,
      introspection_endpoint: `${SITE}/api/indieauth/introspect`,
      revocation_endpoint: `${SITE}/api/indieauth/revoke`,
      revocation_endpoint_auth_methods_supported: ["none"],
      code_challenge_methods_supported: ["S256"],
      scopes_supported: ["create"],
      authorization_response_iss_parameter_supported: true,
    });
    expect(`${SITE}/.well-known/oauth-authorization-server`.startsWith(body.issuer as string)).toBe(true);
  });

  it("the authorization endpoint sends the browser on to the owner's consent page, query and all", async () => {
    const query = new URLSearchParams(await request()).toString();
    const response = await get(`/api/indieauth/auth?${query}`);
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(`/owner/auth?${query}`);
  });
});

describe("the consent page (§5.2)", () => {
  it("without a session, sends the owner to sign in and back to the same request", async () => {
    const query = new URLSearchParams(await request()).toString();
    const response = await get(`/owner/auth?${query}`);
    expect(response.status).toBe(303);
    const signInUrl = new URL(response.headers.get("Location")!, SITE);
    expect(signInUrl.pathname).toBe("/owner/sign-in");
    const next = signInUrl.searchParams.get("next")!;
    expect(next).toBe(`/owner/auth?${query}`);
    const signedIn = await post("/owner/sign-in", { token: OWNER_TOKEN, next }, { Origin: SITE });
    expect(signedIn.headers.get("Location")).toBe(next);
    // Never another site.
    const away = await post("/owner/sign-in", { token: OWNER_TOKEN, next: "//evil.example/owner/" }, { Origin: SITE });
    expect(away.headers.get("Location")).toBe("/owner/");
  });

  it("shows who asks and for what, as text; lets its form reach the app's origin and nothing else", async () => {
    const response = await get(`/owner/auth?${new URLSearchParams(await request())}`, { Cookie: cookie });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`<code>${CLIENT}</code>`);
    expect(html).toContain("app.example");
    expect(html).toMatch(/<input type="checkbox" id="scope-create" name="scope" value="create" checked/);
    expect(html).toContain("This site does not offer: update");
    expect(html).not.toContain("<script");
    const csp = response.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("form-action 'self' https://app.example");
    expect(csp).toContain("default-src 'none'");
    // Any other owner page keeps form-action 'self' alone.
    expect((await get("/owner/apps", { Cookie: cookie })).headers.get("Content-Security-Policy")).toMatch(/form-action 'self' ?;/);
  });

  it("keeps a hostile client_id as text and never widens the policy for it", async () => {
    const hostile = "https://evil.example/<script>alert(1)</script>\"'";
    const response = await get(`/owner/auth?${new URLSearchParams(await request({ client_id: hostile, redirect_uri: "https://evil.example/cb" }))}`, {
      Cookie: cookie,
    });
    const html = await response.text();
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    const hostileOrigin = await get(`/owner/auth?${new URLSearchParams(await request({ redirect_uri: "javascript:alert(1)" }))}`, { Cookie: cookie });
    expect(hostileOrigin.status).toBe(400);
    expect(hostileOrigin.headers.get("Content-Security-Policy")).not.toContain("javascript");
  });

  it.each([
    ["plain PKCE", { code_challenge_method: "plain" }, "S256"],
    ["no code_challenge", { code_challenge: "" }, "code_challenge"],
    ["response_type id", { response_type: "id" }, "response_type"],
    ["a redirect on another origin", { redirect_uri: "https://elsewhere.example/cb" }, "not on the client"],
    ["an IP client_id", { client_id: "https://10.0.0.1/", redirect_uri: "https://10.0.0.1/cb" }, "IP address"],
    ["a client_id with a fragment", { client_id: "https://app.example/#x" }, "fragment"],
    ["a client_id with ..", { client_id: "https://app.example/a/../b" }, ". or .."],
  ])("refuses %s with a page saying why, granting nothing", async (_name, overrides, reason) => {
    const before = await rows();
    const response = await get(`/owner/auth?${new URLSearchParams(await request(overrides))}`, { Cookie: cookie });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(reason);
    // The same request posted as an approval is refused too.
    const { me: _me, scope: _scope, ...fields } = await request(overrides);
    expect((await post("/owner/auth/approve", { ...fields, decision: "approve" }, { Cookie: cookie, Origin: SITE })).status).toBe(400);
    expect(await rows()).toBe(before);
  });

  it("Deny goes back to the app with access_denied, state and iss, and stores nothing", async () => {
    const before = await rows();
    const { scope: _s, me: _m, ...fields } = await request();
    const response = await post("/owner/auth/approve", { ...fields, decision: "deny" }, { Cookie: cookie, Origin: SITE });
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get("Location")!);
    expect(Object.fromEntries(back.searchParams)).toEqual({ keep: "1", error: "access_denied", state: "st-1234", iss: `${SITE}/` });
    expect(await rows()).toBe(before);
  });

  it("an approval from another origin, or without a session, writes nothing", async () => {
    const before = await rows();
    const { scope: _s, me: _m, ...fields } = await request();
    expect((await post("/owner/auth/approve", { ...fields, decision: "approve" }, { Cookie: cookie, Origin: "https://evil.example" })).status).toBe(403);
    expect((await post("/owner/auth/approve", { ...fields, decision: "approve" }, { Origin: SITE })).status).toBe(401);
    expect(await rows()).toBe(before);
  });
});

describe("the whole exchange (§5.2.1, §5.3.3, §6, §7)", () => {
  it("Approve -> code, state, iss -> token -> verified by every means -> revoked", async () => {
    const { scope: _s, me: _m, ...fields } = await request();
    const { env: metered, usage } = meteredEnv();
    const approval = await post("/owner/auth/approve", { ...fields, decision: "approve", scope: "create" }, { Cookie: cookie, Origin: SITE }, metered);
    expect(approval.status).toBe(302);
    const back = new URL(approval.headers.get("Location")!);
    expect(back.origin + back.pathname).toBe("https://app.example/callback");
    expect(back.searchParams.get("state")).toBe("st-1234");
    expect(back.searchParams.get("iss")).toBe(`${SITE}/`);
    expect(back.searchParams.get("keep")).toBe("1");
    const code = back.searchParams.get("code")!;
    expect(code).toMatch(/^[0-9a-f]{64}$/);
    expect(usage.rowsWritten).toBe(1);

    const exchangeCost = meteredEnv();
    const tokenResponse = await post("/api/indieauth/token", exchange(code), { Accept: "application/json" }, exchangeCost.env);
    expect(tokenResponse.status).toBe(200);
    expect(exchangeCost.usage).toMatchObject({ calls: 3, rowsWritten: 3 });
    expect(tokenResponse.headers.get("Cache-Control")).toBe("no-store");
    const body = (await tokenResponse.json()) as Record<string, unknown>;
    expect(body).toEqual({ access_token: expect.stringMatching(/^[0-9a-f]{64}$/), token_type: "Bearer", scope: "create", me: ME, expires_in: 90 * 24 * 3600 });
    const token = body.access_token as string;

    expect(await verifyAccessToken(env.DB as unknown as Db, token, now)).toMatchObject({ client_id: CLIENT, scope: ["create"], me: ME });
    const legacy = await get("/api/indieauth/token", { Authorization: `Bearer ${token}` });
    expect(await legacy.json()).toEqual({ me: ME, client_id: CLIENT, scope: "create" });
    const introspect = await post("/api/indieauth/introspect", { token }, { Authorization: `Bearer ${OWNER_TOKEN}` });
    expect(await introspect.json()).toMatchObject({ active: true, me: ME, client_id: CLIENT, scope: "create" });
    expect((await post("/api/indieauth/introspect", { token }, { Authorization: "Bearer wrong" })).status).toBe(401);
    expect((await post("/api/indieauth/introspect", { token })).status).toBe(401);

    const apps = await (await get("/owner/apps", { Cookie: cookie })).text();
    expect(apps).toContain(`<code>${CLIENT}</code>`);

    expect((await post("/api/indieauth/revoke", { token })).status).toBe(200);
    expect(await (await post("/api/indieauth/introspect", { token }, { Authorization: `Bearer ${OWNER_TOKEN}` })).json()).toEqual({ active: false });
    const gone = await get("/api/indieauth/token", { Authorization: `Bearer ${token}` });
    expect(gone.status).toBe(401);
    expect(await gone.json()).toMatchObject({ error: "invalid_token" });
    expect((await post("/api/indieauth/revoke", { token: "not-a-token" })).status).toBe(200);
  });

  it("the older action=revoke on the token endpoint, and the owner's Revoke button", async () => {
    const first = ((await (await post("/api/indieauth/token", exchange(await approved()))).json()) as { access_token: string }).access_token;
    expect((await post("/api/indieauth/token", { action: "revoke", token: first })).status).toBe(200);
    expect(await verifyAccessToken(env.DB as unknown as Db, first, now)).toBeNull();

    const second = ((await (await post("/api/indieauth/token", exchange(await approved()))).json()) as { access_token: string }).access_token;
    const { id } = (await verifyAccessToken(env.DB as unknown as Db, second, now))!;
    expect((await post(`/owner/apps/${id}/revoke`, {}, { Cookie: cookie, Origin: "https://evil.example" })).status).toBe(403);
    expect(await verifyAccessToken(env.DB as unknown as Db, second, now)).not.toBeNull();
    const revoked = await post(`/owner/apps/${id}/revoke`, {}, { Cookie: cookie, Origin: SITE });
    expect(revoked.headers.get("Location")).toBe("/owner/apps?notice=revoked");
    expect(await verifyAccessToken(env.DB as unknown as Db, second, now)).toBeNull();
  });

  it("a code without scope gives the profile URL at the authorization endpoint (§5.3.2) and no token (§5.3.3)", async () => {
    const code = await approved({}, []);
    const before = await rows();
    const refused = await post("/api/indieauth/token", exchange(code));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("without a scope") });
    expect(await rows()).toBe(before);
    const profile = await post("/api/indieauth/auth", exchange(code));
    expect(profile.status).toBe(200);
    expect(await profile.json()).toEqual({ me: ME });
  });
});

describe("refusals at the token endpoint: OAuth 2.0 errors, no D1 row written", () => {
  it.each([
    ["a wrong verifier", { code_verifier: "b".repeat(43) }, "code_verifier"],
    ["a wrong redirect_uri", { redirect_uri: "https://app.example/other" }, "redirect_uri"],
    ["a wrong client_id", { client_id: "https://other.example/" }, "client_id"],
    ["an unknown code", { code: "f".repeat(64) }, "unknown"],
  ])("%s", async (_name, overrides, words) => {
    const code = await approved();
    const { env: metered, usage } = meteredEnv();
    const response = await post("/api/indieauth/token", exchange(code, overrides), {}, metered);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining(words) });
    expect(usage.rowsWritten).toBe(0);
    // The code still works for its own client.
    expect((await post("/api/indieauth/token", exchange(code))).status).toBe(200);
  });

  it("an expired code (10 minutes)", async () => {
    const code = await approved();
    now = FIXED_NOW + 10 * 60_000;
    const { env: metered, usage } = meteredEnv();
    const response = await post("/api/indieauth/token", exchange(code), {}, metered);
    expect(await response.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("expired") });
    expect(usage.rowsWritten).toBe(0);
  });

  it("a reused code is refused and the token it gave is revoked", async () => {
    const code = await approved();
    const token = ((await (await post("/api/indieauth/token", exchange(code))).json()) as { access_token: string }).access_token;
    const again = await post("/api/indieauth/token", exchange(code));
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: "invalid_grant", error_description: expect.stringContaining("already used") });
    expect(await verifyAccessToken(env.DB as unknown as Db, token, now)).toBeNull();
  });

  it.each([
    ["no grant_type", { grant_type: "" }],
    ["refresh_token", { grant_type: "refresh_token" }],
    ["a short verifier", { code_verifier: "short" }],
  ])("a malformed request (%s) is invalid_request", async (_name, overrides) => {
    const response = await post("/api/indieauth/token", exchange("f".repeat(64), overrides));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_request" });
  });

  it("a flood from one network gets 429 after 30 requests, writing nothing; another network is unaffected", async () => {
    const { env: limited, usage } = meteredEnv({}, true);
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) {
      statuses.push((await post("/api/indieauth/token", exchange("e".repeat(64)), { "CF-Connecting-IP": "198.51.100.7" }, limited)).status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429, 429, 429, 429]);
    const slowed = await post("/api/indieauth/revoke", { token: "x" }, { "CF-Connecting-IP": "198.51.100.7" }, limited);
    expect(slowed.status).toBe(429);
    expect(await slowed.json()).toMatchObject({ error: "slow_down" });
    expect(usage.rowsWritten).toBe(0);
    expect((await post("/api/indieauth/revoke", { token: "x" }, { "CF-Connecting-IP": "198.51.100.8" }, limited)).status).toBe(200);
  });
});
