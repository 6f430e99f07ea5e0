/**
 * IndieAuth's machine endpoints on the Worker (the consent page is the owner's: lib/owner):
 *
 *   GET  /.well-known/oauth-authorization-server   server metadata (§4.1.1, RFC 8414)
 *   GET  /api/indieauth/auth                       the authorization endpoint (§5.2): on to the owner's consent
 *                                                  page, /owner/auth, query and all
 *   POST /api/indieauth/auth                       profile-URL redemption of a code (§5.3.2)
 *   POST /api/indieauth/token                      code -> access token (§5.3.3); action=revoke (§7, older clients)
 *   GET  /api/indieauth/token                      Authorization: Bearer -> me, client_id, scope (older verification)
 *   POST /api/indieauth/introspect                 token introspection (§6, RFC 7662), owner token required
 *   POST /api/indieauth/revoke                     token revocation (§7, RFC 7009)
 *
 * Errors are OAuth 2.0 JSON (RFC 6749 §5.2: {error, error_description}). The unauthenticated ones are
 * limited per client network by the INDIEAUTH_LIMIT binding before anything is read: a refusal
 * writes no D1 row.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { AUTHORIZATION_ROUTE, CONSENT_ROUTE, INTROSPECTION_ROUTE, REVOCATION_ROUTE, TOKEN_ROUTE } from "../shared/urls.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { bodyCap } from "../worker-kit/json-body.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { clientNetworkKey, RATE_LIMIT_PERIOD_SECONDS, withinLimit } from "../worker-kit/rate-limit.ts";
import { type OAuthError, redeemCode } from "./exchange.ts";
import { SUPPORTED_SCOPES } from "./request.ts";
import { ACCESS_TOKEN_LIFETIME_MS, issueAccessToken, revokeAccessToken, verifyAccessToken } from "./tokens.ts";

type C = Context<WorkerBindings>;

/** §3.1: the issuer is this Worker's origin; it is a prefix of the metadata URL. */
export function issuerOf(c: { req: { url: string } }): string {
  return `${new URL(c.req.url).origin}/`;
}

export function metadata(issuer: string): Record<string, unknown> {
  const at = (path: string) => new URL(path, issuer).href;
  return {
    issuer,
    authorization_endpoint: at(AUTHORIZATION_ROUTE),
    token_endpoint: at(TOKEN_ROUTE),
    introspection_endpoint: at(INTROSPECTION_ROUTE),
    introspection_endpoint_auth_methods_supported: ["Bearer"],
    revocation_endpoint: at(REVOCATION_ROUTE),
    revocation_endpoint_auth_methods_supported: ["none"],
    scopes_supported: SUPPORTED_SCOPES,
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code"],
    code_challenge_methods_supported: ["S256"],
    authorization_response_iss_parameter_supported: true,
    service_documentation: "https://indieauth.spec.indieweb.org/",
  };
}

export function oauthError(c: C, error: OAuthError): Response {
  c.header("Cache-Control", "no-store");
  if (error.status === 429) c.header("Retry-After", String(RATE_LIMIT_PERIOD_SECONDS));
  if (error.error === "invalid_token") c.header("WWW-Authenticate", `Bearer error="invalid_token"`);
  return c.json({ error: error.error, error_description: error.error_description }, error.status);
}

/** Per client network, before any D1 read (the Rate Limiting binding keeps its counts outside D1). */
const limited: MiddlewareHandler<WorkerBindings> = async (c, next) => {
  const key = `indieauth:${clientNetworkKey(c.req.header("CF-Connecting-IP") ?? "unknown")}`;
  if (await withinLimit(c.env.INDIEAUTH_LIMIT, key)) return next();
  return oauthError(c, { status: 429, error: "slow_down", error_description: "too many requests from your network; try again in a minute" });
};

/** RFC 6749 §5.2: a malformed request is invalid_request, named field by field. */
function oauthForm<T extends z.ZodMiniType>(schema: T) {
  return zValidator("form", schema, (result, c) => {
    if (result.success) return undefined;
    const fields = result.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
    return oauthError(c as C, { status: 400, error: "invalid_request", error_description: fields.slice(0, 500) });
  });
}

const field = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
/** RFC 7636 §4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const verifier = z.string().check(z.regex(/^[A-Za-z0-9._~-]{43,128}$/, "must be a PKCE code_verifier (43-128 characters)"));
const exchangeForm = z.object({
  grant_type: z.literal("authorization_code", "must be authorization_code"),
  code: field(128),
  client_id: field(2048),
  redirect_uri: field(2048),
  code_verifier: verifier,
});
const tokenPost = z.union([exchangeForm, z.object({ action: z.literal("revoke"), token: field(512) })]);
const tokenForm = z.object({ token: field(512), token_type_hint: z.optional(z.string()) });

const FORM_BYTES = 8 * 1024;

export function indieauthRoutes(deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.get("/.well-known/oauth-authorization-server", (c) => c.json(metadata(issuerOf(c)), 200, { "Cache-Control": "max-age=300" }));

  // The consent page lives among the owner's pages; the public site only ever names this endpoint.
  routes.get(AUTHORIZATION_ROUTE, (c) => c.redirect(`${CONSENT_ROUTE}${new URL(c.req.url).search}`, 302));

  // §5.3.2: the authorization endpoint redeems a code for the profile URL alone.
  routes.post(AUTHORIZATION_ROUTE, limited, bodyCap(FORM_BYTES), oauthForm(exchangeForm), async (c) => {
    const redeemed = await redeemCode(c.var.db, c.req.valid("form"), deps.now(), false);
    if (!redeemed.ok) return oauthError(c, redeemed.error);
    return c.json({ me: redeemed.value.me }, 200, { "Cache-Control": "no-store" });
  });

  routes.post(TOKEN_ROUTE, limited, bodyCap(FORM_BYTES), oauthForm(tokenPost), async (c) => {
    const form = c.req.valid("form");
    if ("action" in form) {
      await revokeAccessToken(c.var.db, form.token, deps.now());
      return c.body(null, 200);
    }
    const now = deps.now();
    const redeemed = await redeemCode(c.var.db, form, now, true);
    if (!redeemed.ok) return oauthError(c, redeemed.error);
    const code = redeemed.value;
    const { token, grant } = await issueAccessToken(c.var.db, { client_id: code.client_id, scope: code.scope, me: code.me, code_hash: code.code_hash }, now);
    return c.json(
      { access_token: token, token_type: "Bearer", scope: grant.scope.join(" "), me: grant.me, expires_in: Math.floor(ACCESS_TOKEN_LIFETIME_MS / 1000) },
      200,
      { "Cache-Control": "no-store", Pragma: "no-cache" },
    );
  });

  // The older token verification (IndieAuth 2018 / Micropub clients): GET with the bearer token.
  routes.get(TOKEN_ROUTE, limited, async (c) => {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "")?.[1];
    if (!token) return oauthError(c, { status: 401, error: "invalid_request", error_description: "send the access token as Authorization: Bearer <token>" });
    const grant = await verifyAccessToken(c.var.db, token, deps.now());
    if (!grant) return oauthError(c, { status: 401, error: "invalid_token", error_description: "the access token is unknown, expired or revoked" });
    return c.json({ me: grant.me, client_id: grant.client_id, scope: grant.scope.join(" ") }, 200, { "Cache-Control": "no-store" });
  });

  // §6.1: "The endpoint MUST also require some form of authorization": the owner token (docs/indieauth.md).
  routes.post(INTROSPECTION_ROUTE, requireOwner, bodyCap(FORM_BYTES), oauthForm(tokenForm), async (c) => {
    const now = deps.now();
    const grant = await verifyAccessToken(c.var.db, c.req.valid("form").token, now);
    // §6.2: an inactive token gets only active: false, with no reason.
    if (!grant) return c.json({ active: false }, 200, { "Cache-Control": "no-store" });
    return c.json({ active: true, me: grant.me, client_id: grant.client_id, scope: grant.scope.join(" "), exp: Math.floor(grant.expires_at / 1000) }, 200, {
      "Cache-Control": "no-store",
    });
  });

  // §7 / RFC 7009 §2.2: 200 whether the token was revoked or was not valid.
  routes.post(REVOCATION_ROUTE, limited, bodyCap(FORM_BYTES), oauthForm(tokenForm), async (c) => {
    await revokeAccessToken(c.var.db, c.req.valid("form").token, deps.now());
    return c.body(null, 200);
  });

  return routes;
}
