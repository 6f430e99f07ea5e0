/**
 * Helpers for the workerd tests: an app over a test InboxConfig with a fixed clock, requests
 * through Hono's app.request() with a real ExecutionContext (so background verification can be
 * awaited), the real local D1 from the env, and factories for valid bodies.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp, type AppOptions, type InboxApp } from "../../../lib/inbox/app.ts";
import type { InboxConfig } from "../../../lib/shared/site-config.ts";
import type { InboxEnv } from "../../../lib/shared/d1.ts";
import { normalizeUserLink } from "../../../lib/shared/urls.ts";
import { BLOCKED, FOLLOWED, OWNER, OWNER_POST_IDS, SELECTED, type Person } from "./people.ts";

/** 2026-03-01T12:00:30Z: the clock of every test app unless a test moves it. */
export const FIXED_NOW = Date.UTC(2026, 2, 1, 12, 0, 30);

export const OWNER_TOKEN = "test-owner-token-5f4dcc3b5aa765d61d8327deb882cf99";

const identity = (person: Person) => ({ user_id: person.user_id, link: normalizeUserLink(person.user_link)! });

/** The owner's view of the site as the build would write it: follows FOLLOWED, blocks BLOCKED, selects SELECTED. */
export function testConfig(overrides: Partial<InboxConfig> = {}): InboxConfig {
  return {
    owner: { ...OWNER },
    accept: "everyone",
    follows: [identity(FOLLOWED)],
    blocks: [identity(BLOCKED)],
    selected: [identity(SELECTED)],
    post_ids: OWNER_POST_IDS,
    ...overrides,
  };
}

/**
 * Tests never reach the internet: senders such as https://stranger.example would only make workerd
 * try (and loudly fail) a DNS lookup in the background. The loopback feed server is reachable.
 */
export const loopbackOnlyFetch: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== "127.0.0.1") throw new TypeError(`no network in tests: ${url.host}`);
  return fetch(input, init);
};

export function testApp(config: InboxConfig = testConfig(), options: AppOptions = {}): InboxApp {
  return createApp(config, { now: () => FIXED_NOW, fetch: loopbackOnlyFetch, ...options });
}

/** The real bindings (D1 from wrangler.toml) with the token set and rate limits off unless overridden. */
export function testEnv(overrides: Partial<Record<keyof InboxEnv, unknown>> = {}): InboxEnv {
  return {
    ...env,
    OWNER_TOKEN,
    RATE_LIMIT_PER_IP: "0",
    RATE_LIMIT_PER_SENDER: "0",
    VERIFY_ALLOW_PRIVATE_HOSTS: "false",
    ...overrides,
  } as InboxEnv;
}

export interface SendOptions {
  method?: string;
  /** Default application/json; null sends no Content-Type. */
  contentType?: string | null;
  headers?: Record<string, string>;
  env?: InboxEnv;
  /** CF-Connecting-IP, default 203.0.113.7. */
  ip?: string;
}

export interface Sent {
  response: Response;
  /** Resolves when background work (reply verification) has finished. */
  settled: () => Promise<void>;
}

/** POST a body (objects are JSON-encoded; strings, bytes and streams are sent as they are). */
export async function send(app: InboxApp, path: string, body: unknown, options: SendOptions = {}): Promise<Sent> {
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
export async function owner(app: InboxApp, path: string, init: RequestInit = {}, token: string | null = OWNER_TOKEN, envOverride?: InboxEnv): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set("Authorization", `Bearer ${token}`);
  return app.request(path, { ...init, headers }, envOverride ?? testEnv(), createExecutionContext());
}

/** A valid private message from `person` (spec "Sending Private Messages"). */
export function messageFrom(person: Person, text = "hello world!", date = "Sat, 16 May 2015 21:32:15 +0000") {
  return { user_id: person.user_id, username: person.username, user_link: person.user_link, message: text, date };
}

/** A valid reply notification from `person` (spec "Sending Replies/Mentions"). */
export function replyFrom(person: Person, statusId: string) {
  return { user_id: person.user_id, username: person.username, user_link: person.user_link, status_id: statusId };
}

export const replyPath = (postId: number | string) => `/api/posts/${postId}/reply`;

export async function countRows(table: "messages" | "replies" | "rate_limits"): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

export async function allRows<T = Record<string, unknown>>(table: "messages" | "replies" | "rate_limits"): Promise<T[]> {
  const { results } = await env.DB.prepare(`SELECT * FROM ${table} ORDER BY 1`).all<T>();
  return results;
}

/** D1 is reset between test files, not between tests: tests that count rows start from empty. */
export async function clearInbox(): Promise<void> {
  await env.DB.batch([env.DB.prepare("DELETE FROM messages"), env.DB.prepare("DELETE FROM replies"), env.DB.prepare("DELETE FROM rate_limits")]);
}

/** A problem+json body, checked for shape. */
export async function problemOf(response: Response): Promise<{ type: string; title: string; status: number; detail: string }> {
  if (!response.headers.get("Content-Type")?.startsWith("application/problem+json")) {
    throw new Error(`expected application/problem+json, got ${response.headers.get("Content-Type")} (${response.status})`);
  }
  return (await response.json()) as { type: string; title: string; status: number; detail: string };
}
