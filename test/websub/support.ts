/**
 * Helpers for the WebSub tests (inside workerd): the loopback server of hubs, subscribers and feeds
 * (test/worker/support/feed-server-websub.ts), a site config that speaks WebSub, the jobs run as the
 * cron runs them (runJobs: a real local D1, real loopback fetches, the run's budget), and an
 * independent HMAC (Web Crypto directly) to check signatures with.
 */
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import type { Db } from "../../lib/shared/d1.ts";
import type { SiteConfig, WebSubConfig, WebSubTopic } from "../../lib/shared/site-config.ts";
import { callbackHostOf, type HubLimits } from "../../lib/websub/hub-limits.ts";
import { upsertSubscription } from "../../lib/websub/store.ts";
import type { WorkerEnv } from "../../lib/worker-kit/env.ts";
import { runJobs, type ScheduledJob } from "../../lib/worker-kit/jobs.ts";
import type { Received } from "../worker/support/feed-server-websub.ts";
import { FIXED_NOW, loopbackOnlyFetch, meteredEnv, testConfig, testEnv } from "../worker/support/worker.ts";

export type { Received };
export { FIXED_NOW };

export const port = inject("websubServerPort");
export const server = `http://127.0.0.1:${port}`;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** Loopback is private: npm start's switch lets the Worker reach the loopback server. */
export const loopbackEnv = (overrides: Partial<WorkerEnv> = {}, withRateLimits = false): WorkerEnv =>
  testEnv({ FETCH_ALLOW_LOOPBACK: "true", ...overrides }, withRateLimits);

let counter = 0;
/** A name no other test uses (the loopback server is shared by every test file). */
export function unique(name: string): string {
  counter += 1;
  return `${name}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function setFeed(name: string, options: { posts: number; hub?: string; user?: string; username?: string; start?: number }): Promise<string> {
  const query = new URLSearchParams({ posts: String(options.posts) });
  if (options.start !== undefined) query.set("start", String(options.start));
  if (options.hub) query.set("hub", options.hub);
  if (options.user) query.set("user", options.user);
  if (options.username) query.set("username", options.username);
  const response = await fetch(`${server}/control/feed/${name}?${query}`);
  if (response.status !== 204) throw new Error(`the loopback server refused feed ${name}`);
  return `${server}/feeds/${name}/feed.xml`;
}

export async function script(key: string, statuses: (number | string)[]): Promise<void> {
  await (await fetch(`${server}/control/script/${key}?statuses=${statuses.join(",")}`)).arrayBuffer();
}

export async function received(key: string): Promise<Received[]> {
  return (await (await fetch(`${server}/control/log/${key}`)).json()) as Received[];
}

export function bodyBytes(entry: Received): Uint8Array {
  return Uint8Array.from(atob(entry.body), (c) => c.charCodeAt(0));
}

export function bodyText(entry: Received): string {
  return new TextDecoder().decode(bodyBytes(entry));
}

export function formOf(entry: Received): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(bodyText(entry)));
}

/** HMAC-SHA256 hex of bytes, computed here and not with lib/websub/protocol.ts. */
export async function hmacHex(secret: string, bytes: Uint8Array, hash = "SHA-256"): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  return [...new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes as BufferSource))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Of(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A topic on the loopback server, with the hash of what it serves now (what a build would write). */
export async function servedTopic(url: string, contentType = "application/rss+xml"): Promise<WebSubTopic> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  return { url, content_type: contentType, sha256: await sha256Of(bytes) };
}

export const OWN_HUB = "https://ada.example/api/websub/hub";
export const CALLBACK_PREFIX = "https://ada.example/api/websub/callback/";

/** The owner's config with WebSub settings. */
export function websubSiteConfig(websub: Partial<WebSubConfig>, overrides: Partial<SiteConfig> = {}): SiteConfig {
  return testConfig({ websub: { hubs: [], topics: [], callback_prefix: CALLBACK_PREFIX, ...websub }, ...overrides });
}

export interface JobRun {
  config: SiteConfig;
  now: number;
  all?: boolean;
  env?: WorkerEnv;
  limits?: { subrequests: number; bytes: number; durationMs: number };
}

/** One job alone, run as the cron runs it at `now`: its report. */
export async function runJob(job: ScheduledJob, run: JobRun) {
  let clock = run.now;
  const report = await runJobs([job], {
    config: run.config,
    env: run.env ?? loopbackEnv(),
    deps: { now: () => (clock += 1), fetch: loopbackOnlyFetch, verifyBudget: { subrequests: 6, bytes: 2 * 1024 * 1024, durationMs: 15_000 } },
    now: run.now,
    all: run.all ?? false,
    ...(run.limits ? { limits: run.limits } : {}),
  });
  return report.jobs[0]!;
}

/** The same with a D1 meter: the job's report and D1's own count of what it did. */
export async function meteredJob(job: ScheduledJob, run: JobRun) {
  const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
  const report = await runJob(job, { ...run, env: metered });
  return { report, usage };
}

export async function rows<T = Record<string, unknown>>(sql: string, ...binds: unknown[]): Promise<T[]> {
  const { results } = await env.DB.prepare(sql)
    .bind(...binds)
    .all<T>();
  return results;
}

/** No bound at all: for tests of delivery, where the hub's limits are not the subject. */
export const UNBOUNDED_HUB_LIMITS: HubLimits = {
  subscriptions: 1e9,
  perNetwork: 1e9,
  perCallbackHost: 1e9,
  storedPerNetworkPerDay: 1e9,
  storedPerDay: 1e9,
};

/** A verified subscription stored as the hub stores one, asked for from a test network. */
export function storeSubscription(
  db: Db,
  subscription: { topic: string; callback: string; secret: string | null; lease_seconds: number; now: number },
  limits: HubLimits = UNBOUNDED_HUB_LIMITS,
): Promise<boolean> {
  return upsertSubscription(db, { ...subscription, network: "ip:192.0.2.1", callback_host: callbackHostOf(subscription.callback) }, limits);
}
