/**
 * Outbox fixtures for the workerd tests: the owner's config with its feed on the loopback server
 * (feed-server-outbox.ts), notifications as the build lists them, one run of the outbox job, the
 * server's record of what reached each receiver, and a clean outbox between tests.
 */
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { outboxSendJob } from "../../lib/outbox/send-job.ts";
import type { JobsRunReport, OutboxItem } from "../../lib/shared/api-types.ts";
import type { BudgetLimits } from "../../lib/shared/budget.ts";
import type { OutboxList, OutboxNotification, SiteConfig } from "../../lib/shared/site-config.ts";
import type { WorkerEnv } from "../../lib/worker-kit/env.ts";
import { runJobs } from "../../lib/worker-kit/jobs.ts";
import { FIXED_NOW, loopbackOnlyFetch, testConfig, testEnv } from "../worker/support/worker.ts";
import { type Lane, ME, type ReceiverType, receiverName, receiverUserId, receiverUsername } from "./sites.ts";

export const port = inject("outboxServerPort");
export const base = `http://127.0.0.1:${port}`;
export const MINUTE = 60_000;

/** The owner's Worker as the tests run it: loopback allowed, no static assets (the API-only Worker). */
export function outboxEnv(overrides: Partial<WorkerEnv> = {}): WorkerEnv {
  return testEnv({ FETCH_ALLOW_LOOPBACK: "true", ASSETS: undefined, ...overrides });
}

/** Where our own feed is: /own/full/ (posts 0-5), /own/paged/ (0-3 archived) or /own/late/<key>/ (5 not yet). */
export function ownFeed(variant: "full" | "paged" | `late/${string}`): string {
  return `${base}/own/${variant}/feed.xml`;
}

export function outboxConfig(notifications: OutboxNotification[] | undefined, feedUrl = ownFeed("full"), overrides: Partial<SiteConfig> = {}): SiteConfig {
  const config = testConfig({
    owner: { user_id: ME.user_id, username: ME.username, feed_url: feedUrl, profile_url: `${base}/own/full/`, post_url_prefix: `${base}/own/full/posts/` },
    ...overrides,
  });
  if (notifications) config.notifications = listOf(notifications);
  return config;
}

/** A list as the build writes it; the fingerprint only has to change with the items. */
export function listOf(items: OutboxNotification[]): OutboxList {
  return { digest: JSON.stringify(items), items };
}

export interface Receiver {
  name: string;
  user_id: string;
  username: string;
  user_link: string;
  profile: string;
}

export function receiver(type: ReceiverType, lane: Lane): Receiver {
  const name = receiverName(type, lane);
  return {
    name,
    user_id: receiverUserId(name),
    username: receiverUsername(name),
    user_link: `${base}/t/${name}/feed.xml`,
    profile: `${base}/t/${name}/`,
  };
}

/** Dated an hour before FIXED_NOW: well inside the notification window. */
export const POST_DATE = new Date(FIXED_NOW - 3_600_000).toISOString().replace(".000Z", "Z");

export function replyTo(postId: number, to: Receiver, statusId: number | string, date = POST_DATE): OutboxNotification {
  return { post_id: postId, date, kind: "reply", user_id: to.user_id, username: to.username, user_link: to.user_link, status_id: String(statusId) };
}

export function mentionOf(postId: number, to: Receiver, date = POST_DATE): OutboxNotification {
  return { post_id: postId, date, kind: "mention", user_id: to.user_id, username: to.username, user_link: to.user_link };
}

export interface RunOptions {
  all?: boolean;
  env?: WorkerEnv;
  limits?: BudgetLimits;
}

/** One run of the outbox job alone at `now` (the cron's time), with a clock that starts there. */
export function runOutbox(config: SiteConfig, now = FIXED_NOW, options: RunOptions = {}): Promise<JobsRunReport> {
  let clock = now;
  return runJobs([outboxSendJob], {
    config,
    env: options.env ?? outboxEnv(),
    deps: { now: () => clock++, fetch: loopbackOnlyFetch, verifyBudget: { subrequests: 6, bytes: 2 * 1024 * 1024, durationMs: 15_000 } },
    now,
    all: options.all ?? false,
    ...(options.limits ? { limits: options.limits } : {}),
  });
}

export interface Received {
  path: string;
  body: Record<string, string>;
  /** A signed POST only: what the receiver's independent RFC 9421 verifier found. */
  signature?: { keyid: unknown; created: unknown; verified: boolean; digest: boolean };
}

/** The public key the receivers verify signatures with (GET /control/signing-key). */
export async function receiversTrust(publicKey: string): Promise<void> {
  await fetch(`${base}/control/signing-key?x=${publicKey}`);
}

/** What reached the receiver so far. */
export async function receivedBy(to: Receiver): Promise<Received[]> {
  return (await (await fetch(`${base}/control/log/${to.name}`)).json()) as Received[];
}

/** The receiver's next answers (then 201 again). */
export async function answerNext(to: Receiver, ...statuses: number[]): Promise<void> {
  await fetch(`${base}/control/script/${to.name}?statuses=${statuses.join(",")}`);
}

export async function publishLate(key: string): Promise<void> {
  await fetch(`${base}/control/publish/${key}`);
}

/** Every outbox row as the owner API shows it (oldest first). */
export async function outboxItems(): Promise<OutboxItem[]> {
  const { results } = await env.DB.prepare(
    `SELECT id, kind, post_id, status_id, peer_user_id AS user_id, peer_username AS username, peer_user_link AS user_link, body AS message, date_raw AS date,
       target_url, state, attempts, http_status, next_attempt_at, last_error, message_id, created_at, updated_at, sent_at FROM outbox ORDER BY id`,
  ).all<OutboxItem>();
  return results;
}

export async function clearOutbox(): Promise<void> {
  await env.DB.batch([env.DB.prepare("DELETE FROM outbox"), env.DB.prepare("DELETE FROM outbox_meta"), env.DB.prepare("DELETE FROM messages")]);
}

export const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
