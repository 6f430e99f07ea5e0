/**
 * The owner's lock on the owner API: `Authorization: Bearer <OWNER_TOKEN>` (RFC 6750 §2.1), checked by
 * Hono's bearer-auth middleware (a timing-safe compare of SHA-256 digests, so neither the content nor
 * the length of the token leaks through response timing). The token is a wrangler secret in
 * production and a line in .dev.vars locally; it is never logged or echoed.
 *
 * Failed attempts are limited per client network (rate-limit.ts, `countAuthFailure`), and only
 * failed ones: the limiter is asked on the failure paths alone, so a request with the right token is
 * never refused by it, and nobody -- not even a stranger on the owner's own network -- can lock the
 * owner out. What stops guessing is the token itself (`npm run init` makes 192 random bits), not the
 * limit: a guesser over it gets 429 instead of 401. Neither answer touches D1. docs/owner-pages.md,
 * "Signing in and its limits", has the reasoning and the numbers.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual } from "hono/utils/buffer";
import { problem } from "../shared/problem.ts";
import type { WorkerBindings, WorkerEnv } from "./env.ts";
import { countAuthFailure, RATE_LIMIT_PERIOD_SECONDS } from "./rate-limit.ts";

const CHALLENGE = 'Bearer realm="skein"';

/** RFC 6750 §2.1 b64token: what an Authorization header can carry as a bearer token. */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

export const TOKEN_NOT_SET =
  "the owner token is not set: add OWNER_TOKEN to .dev.vars locally (npm run init writes one) or run `npx wrangler secret put OWNER_TOKEN` for the deployed Worker";

/** Why the configured token cannot be used, or undefined when it can. */
export function configuredTokenProblem(token: string | undefined): string | undefined {
  if (!token?.trim()) return TOKEN_NOT_SET;
  if (!B64TOKEN.test(token.trim())) {
    return "the owner token has characters a bearer token cannot carry (RFC 6750 §2.1: letters, digits and - . _ ~ + /): make a new one with npm run init";
  }
  return undefined;
}

/** True when a and b are equal, in time that depends on neither (Hono's compare, as bearer-auth uses; the sign-in form). */
export function constantTimeEqual(a: string, b: string): Promise<boolean> {
  return timingSafeEqual(a, b);
}

/** The answer to too many failed attempts from one network: nothing about the token itself. */
export function tooManyFailures(): Response {
  return problem(429, `too many failed sign-in attempts from your network; try again in ${RATE_LIMIT_PERIOD_SECONDS} s (the right token is never refused)`, {
    "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS),
    "WWW-Authenticate": CHALLENGE,
  });
}

/** A failure: counted for the client's network, then 401 -- or 429 once the network is over its limit. */
function refused(detail: string, challenge: string) {
  // Hono types the context of its message callbacks without our bindings.
  return async (c: Context): Promise<Response> => {
    const env = c.env as WorkerEnv;
    if (!(await countAuthFailure(env.OWNER_AUTH_FAILURE_LIMIT, c.req.header("CF-Connecting-IP")))) return tooManyFailures();
    return problem(401, detail, { "WWW-Authenticate": challenge });
  };
}

const noToken = refused("send the owner token as Authorization: Bearer <token>", CHALLENGE);
const wrongToken = refused("the owner token does not match", `${CHALLENGE}, error="invalid_token"`);

/** Every owner API route sits behind this (CORS preflights pass: they carry no token by design). */
export const requireOwner: MiddlewareHandler<WorkerBindings> = async (c, next) => {
  if (c.req.method === "OPTIONS") return next();
  const unusable = configuredTokenProblem(c.env.OWNER_TOKEN);
  // The site's own misconfiguration, not a guess: not counted.
  if (unusable) return problem(401, unusable, { "WWW-Authenticate": CHALLENGE });
  // The middleware throws an HTTPException carrying the Response built here (lib/worker/app.ts onError answers with it).
  const check = bearerAuth<WorkerBindings>({
    token: c.env.OWNER_TOKEN!.trim(),
    realm: "skein",
    noAuthenticationHeader: { message: noToken },
    invalidAuthenticationHeader: { message: noToken },
    invalidToken: { message: wrongToken },
  });
  return check(c, next);
};
