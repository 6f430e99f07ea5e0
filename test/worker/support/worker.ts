/**
 * Helpers for the workerd tests: the Worker's app over a test SiteConfig with a fixed clock, requests
 * through Hono's app.request() with a real ExecutionContext (so background work can be awaited),
 * the real local D1 and Rate Limiting bindings from wrangler.toml, and a D1 meter to count the rows
 * a request writes (D1's own meta.rows_written).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type DbUsage, emptyUsage, meteredDb } from "../../../lib/shared/d1.ts";
import type { SiteConfig } from "../../../lib/shared/site-config.ts";
import { normalizeUserLink } from "../../../lib/shared/urls.ts";
import { createApp } from "../../../lib/worker/app.ts";
import type { WorkerApp, WorkerEnv, WorkerOptions } from "../../../lib/worker-kit/env.ts";
import { BLOCKED, FOLLOWED, OWNER, OWNER_POST_IDS, type Person, SELECTED } from "./people.ts";

/** 2026-03-01T12:00:30Z: the clock of every test app unless a test moves it. */
export const FIXED_NOW = Date.UTC(2026, 2, 1, 12, 0, 30);

export const OWNER_TOKEN = "test-owner-token-5f4dcc3b5aa765d61d8327deb882cf99";

const identity = (person: Person) => ({ user_id: person.user_id, link: normalizeUserLink(person.user_link)! });
const followed = (person: Person) => ({
  user_id: person.user_id,
  username: person.username,
  user_link: person.user_link,
  link: normalizeUserLink(person.user_link)!,
});

/** The owner's view of the site as the build would write it: follows FOLLOWED, blocks BLOCKED, selects SELECTED. */
export function testConfig(overrides: Partial<SiteConfig> = {}): SiteConfig {
  return {
    owner: { ...OWNER },
    accept: "everyone",
    follows: [followed(FOLLOWED)],
    blocks: [identity(BLOCKED)],
    selected: [identity(SELECTED)],
    post_ids: OWNER_POST_IDS,
    ...overrides,
  };
}

export function followedAccount(person: Person) {
  return followed(person);
}

/**
 * Tests never reach the internet: senders such as https://stranger.example would only make workerd
 * try (and loudly fail) a DNS lookup in the background. Loopback servers are reachable.
 */
export const loopbackOnlyFetch: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== "127.0.0.1") throw new TypeError(`no network in tests: ${url.host}`);
  return fetch(input, init);
};

export function testApp(config: SiteConfig = testConfig(), options: WorkerOptions = {}): WorkerApp {
  return createApp(config, { now: () => FIXED_NOW, fetch: loopbackOnlyFetch, ...options });
}

/**
 * The real bindings (D1 and the Rate Limiting bindings from wrangler.toml) with the owner token set.
 * The rate limits are off unless a test asks for them (`withRateLimits`): most tests send many
 * requests from one address.
 */
export function testEnv(overrides: Partial<WorkerEnv> = {}, withRateLimits = false): WorkerEnv {
  const base = { ...(env as unknown as WorkerEnv), OWNER_TOKEN, FETCH_ALLOW_LOOPBACK: "false" };
  if (!withRateLimits) {
    delete base.INBOX_IP_LIMIT;
    delete base.INBOX_SENDER_LIMIT;
    delete base.OWNER_AUTH_FAILURE_LIMIT;
    delete base.WEBSUB_HUB_LIMIT;
    delete base.WEBSUB_CALLBACK_LIMIT;
    delete base.INDIEAUTH_LIMIT;
  }
  return { ...base, ...overrides };
}

/** An env whose D1 counts what it is asked to do (D1's own meta), to assert rows written. */
export function meteredEnv(overrides: Partial<WorkerEnv> = {}, withRateLimits = false): { env: WorkerEnv; usage: DbUsage } {
  const usage = emptyUsage();
  const base = testEnv(overrides, withRateLimits);
  return { env: { ...base, DB: meteredDb(base.DB, usage).db }, usage };
}

export interface SendOptions {
  method?: string;
  /** Default application/json; null sends no Content-Type. */
  contentType?: string | null;
  headers?: Record<string, string>;
  env?: WorkerEnv;
  /** CF-Connecting-IP, default 203.0.113.7. */
  ip?: string;
}

export interface Sent {
  response: Response;
  /** Resolves when background work (reply verification) has finished. */
  settled: () => Promise<void>;
}

/** POST a body (objects are JSON-encoded; strings, bytes and streams are sent as they are). */
export async function send(app: WorkerApp, path: string, body: unknown, options: SendOptions = {}): Promise<Sent> {
  const headers: Record<string, string> = { "CF-Connecting-IP": options.ip ?? "203.0.113.7", ...options.headers };
  const contentType = options.contentType === undefined ? "application/json" : options.contentType;
  if (contentType !== null) headers["Content-Type"] = contentType;
  const raw = typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream || body === undefined ? body : JSON.stringify(body);
  const ctx = createExecutionContext();
  const init: RequestInit = { method: options.method ?? "POST", headers };
  if (raw !== undefined) init.body = raw;
  const response = await app.request(path, init, options.env ?? testEnv(), ctx);
  return { response, settled: () => waitOnExecutionContext(ctx) };
}

/** An owner API request with the bearer token. */
export async function owner(
  app: WorkerApp,
  path: string,
  init: RequestInit = {},
  token: string | null = OWNER_TOKEN,
  envOverride?: WorkerEnv,
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set("Authorization", `Bearer ${token}`);
  return app.request(path, { ...init, headers }, envOverride ?? testEnv(), createExecutionContext());
}

/** A problem+json body, checked for shape. */
export async function problemOf(response: Response): Promise<{ type: string; title: string; status: number; detail: string }> {
  if (!response.headers.get("Content-Type")?.startsWith("application/problem+json")) {
    throw new Error(`expected application/problem+json, got ${response.headers.get("Content-Type")} (${response.status})`);
  }
  return (await response.json()) as { type: string; title: string; status: number; detail: string };
}

type Table = "messages" | "replies";

export async function countRows(table: Table): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

export async function allRows<T = Record<string, unknown>>(table: Table): Promise<T[]> {
  const { results } = await env.DB.prepare(`SELECT * FROM ${table} ORDER BY 1`).all<T>();
  return results;
}
