/**
 * Who may post (§5): a bearer token (RFC 6750) that this site's IndieAuth endpoint issued
 * (lib/indieauth/tokens.ts verifyAccessToken: stored hashed, with scopes and an expiry), sent in the
 * Authorization header or as the form's access_token -- "Micropub servers MUST accept the token
 * using both methods" (§5.1), which is why this is not Hono's bearer-auth (it reads the header only).
 *
 * Failed attempts (no token, an unknown one) are counted per client network by the owner sign-in's
 * Rate Limiting binding, outside D1, as the owner API does (lib/worker-kit/owner-auth.ts): over the
 * limit the answer is 429. An unknown token costs one D1 read and no write.
 */
import type { AccessGrant } from "../indieauth/tokens.ts";
import { verifyAccessToken } from "../indieauth/tokens.ts";
import type { Db } from "../shared/d1.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerEnv } from "../worker-kit/env.ts";
import { countAuthFailure, RATE_LIMIT_PERIOD_SECONDS } from "../worker-kit/rate-limit.ts";
import { invalidRequest, micropubError } from "./errors.ts";

/** The scope a create needs (§5.4: "Most Micropub servers require clients to obtain the create scope"). */
export const CREATE_SCOPE = "create";

/** The token as sent, from exactly one place (RFC 6750 §2: a client "MUST NOT use more than one method"). */
export function tokenOf(authorization: string | undefined, formToken: string | undefined): Result<string | undefined, Response> {
  const header = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  if (authorization && !header) return err(invalidRequest("the Authorization header must be `Bearer <token>` (§5.1)"));
  if (header && formToken !== undefined)
    return err(invalidRequest("send the access token once: in the Authorization header or as access_token, not both (RFC 6750 §2)"));
  return ok(header ?? formToken);
}

/** Our own profile URL as an IndieAuth `me` is compared: scheme, host and path, a trailing slash added. */
function sameMe(a: string, b: string): boolean {
  const norm = (text: string) => {
    try {
      const url = new URL(text);
      return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`}`;
    } catch {
      return undefined;
    }
  };
  const left = norm(a);
  return left !== undefined && left === norm(b);
}

async function failure(env: WorkerEnv, ip: string | undefined, answer: () => Response): Promise<Response> {
  if (!(await countAuthFailure(env.OWNER_AUTH_FAILURE_LIMIT, ip))) {
    const retry = String(RATE_LIMIT_PERIOD_SECONDS);
    return micropubError(429, "too_many_requests", `too many failed attempts from your network; try again in ${retry} s`, {
      headers: { "Retry-After": retry },
    });
  }
  return answer();
}

export interface AuthContext {
  db: Db;
  env: WorkerEnv;
  config: SiteConfig;
  now: number;
  ip: string | undefined;
}

/** The token's grant, or the answer that refuses it; `scope` when the request needs one. */
export async function authorize(token: string | undefined, scope: string | undefined, context: AuthContext): Promise<Result<AccessGrant, Response>> {
  const { db, env, config, now, ip } = context;
  if (!token)
    return err(
      await failure(env, ip, () =>
        micropubError(401, "unauthorized", "no access token: send Authorization: Bearer <token> (§5.1); sign in with IndieAuth to get one (docs/micropub.md)"),
      ),
    );
  const grant = await verifyAccessToken(db, token, now);
  if (!grant) {
    return err(
      await failure(env, ip, () =>
        micropubError(401, "unauthorized", "the access token is unknown, expired or revoked; sign in again", { bearerError: "invalid_token" }),
      ),
    );
  }
  if (!sameMe(grant.me, config.owner.profile_url))
    return err(micropubError(403, "forbidden", `this token was issued for ${grant.me.slice(0, 200)}, not for this site`));
  // §5.4: "MUST require the bearer token to include at least one scope value".
  if ((scope && !grant.scope.includes(scope)) || grant.scope.length === 0) {
    return err(
      micropubError(
        401,
        "insufficient_scope",
        `this token's scope (${grant.scope.join(" ") || "none"}) does not include ${scope ?? "any"}; sign in again and allow it`,
        { scope: scope ?? CREATE_SCOPE, bearerError: "insufficient_scope" },
      ),
    );
  }
  return ok(grant);
}
