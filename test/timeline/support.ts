/**
 * Helpers for the timeline tests (inside workerd): sites on the timeline feed server
 * (test/worker/support/feed-server-timeline.ts) that change between polls, the poller run as the cron
 * runs it (runJobs, a real local D1, real loopback fetches), and readers of what it stored.
 * D1 is shared by the tests of one file: every test follows accounts of its own (ids from `account`).
 */
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import type { FollowedAccount, SiteConfig } from "../../lib/shared/site-config.ts";
import { normalizeUserLink } from "../../lib/shared/urls.ts";
import { createTimelinePollJob, type TimelinePollOptions } from "../../lib/timeline/poll-job.ts";
import type { FollowRow, ItemRow } from "../../lib/timeline/store.ts";
import type { WorkerEnv } from "../../lib/worker-kit/env.ts";
import { runJobs } from "../../lib/worker-kit/jobs.ts";
import type { PostDescription, SiteSpec } from "../worker/support/feed-server-timeline.ts";
import { FIXED_NOW, loopbackOnlyFetch, meteredEnv, testConfig, testEnv } from "../worker/support/worker.ts";

export type { PostDescription, SiteSpec };
export { FIXED_NOW };

export const port = inject("timelineFeedServerPort");
export const server = `http://127.0.0.1:${port}`;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** Loopback is private: npm start's switch lets the poller reach the feed server. */
export const loopbackEnv = (): WorkerEnv => testEnv({ FETCH_ALLOW_LOOPBACK: "true" });

let counter = 0;
/** A fresh account (distinct user_id and username) for one test. */
export function account(name: string): { user_id: string; username: string; key: string } {
  counter += 1;
  const hex = (counter * 7919 + name.length).toString(16).padStart(12, "0");
  const key = `${name}-${counter}`;
  return { user_id: `7e1e0000-0000-4000-8000-${hex}`, username: `${name.replace(/[^a-z0-9_]/gi, "").slice(0, 16)}${counter}`, key };
}

/** Put (or replace) a site on the feed server; answers its head feed URL. */
export async function serveSite(key: string, spec: SiteSpec): Promise<string> {
  const response = await fetch(`${server}/tl/control/${key}`, { method: "PUT", body: JSON.stringify(spec) });
  if (!response.ok) throw new Error(`feed server refused ${key}: ${await response.text()}`);
  return ((await response.json()) as { feed: string }).feed;
}

export interface RequestLogEntry {
  path: string;
  if_none_match: string | null;
  if_modified_since: string | null;
  status: number;
}

export async function requestLog(key: string): Promise<RequestLogEntry[]> {
  return (await (await fetch(`${server}/tl/control/${key}/log`)).json()) as RequestLogEntry[];
}

export function followed(who: { user_id: string; username: string }, userLink: string): FollowedAccount {
  return { user_id: who.user_id, username: who.username, user_link: userLink, link: normalizeUserLink(userLink)! };
}

/** The owner's config following exactly these accounts. */
export function configFollowing(follows: FollowedAccount[], overrides: Partial<SiteConfig> = {}): SiteConfig {
  return testConfig({ follows, ...overrides });
}

export interface PollRun {
  config: SiteConfig;
  now: number;
  all?: boolean;
  options?: Partial<TimelinePollOptions>;
  /** A metered env, to read the rows a run wrote. */
  env?: WorkerEnv;
}

/**
 * One run of the poller alone, as the cron would run it at `now`. The bound on first polls
 * (firstPollsPerRun: 2 a run by default) and each feed's quota (feedQuota: 40 items a run, 400 a day;
 * quota.test.ts tests it) are lifted unless the run's options set them: these tests
 * follow several new accounts at once to test what a poll does and the other bounds (subrequests,
 * items); onboarding.test.ts tests that bound, from the options.
 */
const UNLIMITED_QUOTA = { itemsPerRun: Number.POSITIVE_INFINITY, itemsPerDay: Number.POSITIVE_INFINITY };

export async function poll(run: PollRun) {
  let clock = run.now;
  const report = await runJobs([createTimelinePollJob({ firstPollsPerRun: Number.POSITIVE_INFINITY, feedQuota: UNLIMITED_QUOTA, ...run.options })], {
    config: run.config,
    env: run.env ?? loopbackEnv(),
    deps: { now: () => (clock += 1), fetch: loopbackOnlyFetch, verifyBudget: { subrequests: 6, bytes: 2 * 1024 * 1024, durationMs: 15_000 } },
    now: run.now,
    all: run.all ?? false,
  });
  const job = report.jobs[0]!;
  return job;
}

/** The poller with a D1 meter: the job's report and D1's own count of rows written. */
export async function meteredPoll(run: PollRun) {
  const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
  const job = await poll({ ...run, env: metered });
  return { job, usage };
}

/** A timeline row as D1 holds it: the store's own row type. */
export type StoredItem = ItemRow;

export async function storedItems(userId: string): Promise<StoredItem[]> {
  const { results } = await env.DB.prepare("SELECT * FROM timeline_items WHERE user_id = ?1 ORDER BY published_ms DESC, id DESC")
    .bind(userId)
    .all<StoredItem>();
  return results;
}

export async function storedGuids(userId: string): Promise<string[]> {
  return (await storedItems(userId)).map((item) => item.guid);
}

export async function followRow(userId: string): Promise<FollowRow | null> {
  return env.DB.prepare("SELECT * FROM timeline_follows WHERE user_id = ?1").bind(userId).first<FollowRow>();
}

/** `count` posts with guids from..from+count-1, an hour apart, newest at `newest` (epoch ms). */
export function plainPosts(from: number, count: number, newest: number, text = (i: number) => `Post number ${i}.`): PostDescription[] {
  return Array.from({ length: count }, (_, k) => ({ id: from + k, date: newest - (count - 1 - k) * HOUR, body: text(from + k) }));
}

/** Every test starts with no follow state and no last run (items are per account, so they may stay). */
export async function resetPoller(): Promise<void> {
  await env.DB.batch([env.DB.prepare("DELETE FROM timeline_follows"), env.DB.prepare("DELETE FROM timeline_poller")]);
}
