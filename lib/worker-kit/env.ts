/**
 * What the Worker reads from its environment (wrangler.toml bindings and vars, secrets), as a
 * structural type: lib/ is also type-checked on the Node side, without the Workers types.
 * functions/index.ts checks at compile time that wrangler's generated Env (worker-configuration.d.ts,
 * `npm run types`) satisfies it.
 */
import type { Hono } from "hono";
import type { BudgetLimits } from "../shared/budget.ts";
import type { Db, DbUsage } from "../shared/d1.ts";
import type { RateLimiter } from "./rate-limit.ts";

export interface AssetsFetcher {
  fetch(request: Request): Promise<Response>;
}

export interface WorkerEnv {
  DB: Db;
  /** The static site (Workers Static Assets); absent when the site is hosted elsewhere. */
  ASSETS?: AssetsFetcher;
  /** Owner API bearer token: a wrangler secret in production, .dev.vars locally. */
  OWNER_TOKEN?: string;
  /** The site's Ed25519 signing key (PKCS #8, base64url): a wrangler secret, .dev.vars locally (docs/signing.md). */
  SIGNING_KEY?: string;
  /** Rate Limiting bindings of the inbox's POST endpoints (lib/worker-kit/rate-limit.ts). */
  INBOX_IP_LIMIT?: RateLimiter;
  INBOX_SENDER_LIMIT?: RateLimiter;
  /** Failed owner authentications (API bearer token, pages' sign-in), per client network (rate-limit.ts countAuthFailure). */
  OWNER_AUTH_FAILURE_LIMIT?: RateLimiter;
  /** Subscription requests to our own WebSub hub, per client network (lib/websub/hub-routes.ts). */
  WEBSUB_HUB_LIMIT?: RateLimiter;
  /** Hubs calling the timeline's WebSub callback, per client network (lib/timeline/websub-routes.ts). */
  WEBSUB_CALLBACK_LIMIT?: RateLimiter;
  /** IndieAuth's unauthenticated endpoints (code redemption, token verification, revocation), per client network (lib/indieauth/routes.ts). */
  INDIEAUTH_LIMIT?: RateLimiter;
  /** Requests a day from accounts the owner does not follow that the inbox stores (lib/inbox/daily-cap.ts). */
  INBOX_DAILY_CAP?: string;
  /** "true" under npm start: strangers' URLs on loopback may be fetched (two local sites). */
  FETCH_ALLOW_LOOPBACK?: string;
  /** Where posts written in the Worker are committed (lib/write/forge.ts): "github:owner/repo@main", "forgejo:https://host/owner/repo@main". */
  CONTENT_STORE?: string;
  /** The forge token for CONTENT_STORE (a secret; contents: write on that one repository). */
  CONTENT_STORE_TOKEN?: string;
  /** "true" only for benchmarks: each response says what it cost in D1 (Server-Timing). */
  D1_METER_HEADER?: string;
}

/** Everything a request handler reads besides the env: the D1 database metered for this request. */
export interface WorkerVariables {
  db: Db;
  usage: DbUsage;
  /** A POST's body as received (lib/worker-kit/json-body.ts): what a Content-Digest covers. */
  rawBody?: Uint8Array;
}

export type WorkerBindings = { Bindings: WorkerEnv; Variables: WorkerVariables };
export type WorkerApp = Hono<WorkerBindings>;

/** Clock and network, passed in so tests can fix the time and keep fetches on loopback. */
export interface WorkerOptions {
  /** Epoch milliseconds. */
  now?: () => number;
  fetch?: typeof fetch;
  /** A reply's background verification's budget (tests shorten its time). */
  verifyBudget?: Partial<BudgetLimits>;
}

export interface WorkerDeps {
  now: () => number;
  fetch: typeof fetch;
  verifyBudget: BudgetLimits;
}

export function allowLoopback(env: WorkerEnv): boolean {
  return env.FETCH_ALLOW_LOOPBACK === "true";
}
