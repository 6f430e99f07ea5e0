/**
 * The timeline as a WebSub subscriber (a scheduled job, every 5 minutes): when a followed feed
 * declares a hub (`<atom:link rel="hub">`, WebSub §4), subscribe to it, so the hub pushes new posts
 * to our callback (websub-routes.ts) within seconds; the poller then polls that feed only as a slow
 * backup (HUB_FED_POLL_MINUTES), since hubs fail silently.
 *
 * A run reads the subscriptions and the followed feeds' URLs (one D1 call), then, within its budget:
 *   - a follow never looked at, or without a hub for RECHECK_MS: reads the head of its feed (channel
 *     only: stopAfter the first item) for rel="hub" and rel="self" (the topic);
 *   - subscribes (§5.1: POST hub.mode=subscribe, hub.topic, hub.callback = our prefix + a random
 *     token, hub.secret = 256 random bits, hub.lease_seconds) where a hub is new, a request got no
 *     verification within VERIFY_WAIT_MS (retried with backoff, MAX_ATTEMPTS times), or a lease ends
 *     within RENEW_BEFORE_MS (renewal: the same callback and secret);
 *   - unsubscribes from the feeds no longer followed (or now blocked), and forgets them once the hub
 *     verified that, or after VERIFY_WAIT_MS.
 * The rows of requests about to be sent are written FIRST (one batch): a hub may verify before it
 * even answers the request, and the callback only confirms what a row says we asked for. Failures
 * are written after (one batch), and only onto rows still in the state they were sent from, so a
 * verification that arrived meanwhile is never overwritten.
 */
import type { FeedPageFailure } from "../shared/remote-feed-page.ts";
import { fetchFeedPage } from "../shared/remote-feed-page.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { plural } from "../shared/words.ts";
import { backoffMs, DEFAULT_LEASE_SECONDS, FORM_CONTENT_TYPE, formBody, randomHex } from "../websub/protocol.ts";
import type { JobContext, JobOutcome, ScheduledJob } from "../worker-kit/jobs.ts";
import { absoluteLink, followedAccounts } from "./items.ts";
import {
  deleteWebSubFollowStatement,
  loadSubscriberState,
  requestFailedStatement,
  saveWebSubFollowStatement,
  type WebSubFollowRow,
  type WebSubFollowState,
} from "./websub-store.ts";

export const SUBSCRIBE_JOB_NAME = "timeline.websub";

/** How often a feed without a hub is looked at again (a hub may be added later). */
export const RECHECK_MS = 24 * 3600_000;
/** A request the hub has not verified within this is sent again (or, unsubscribing, given up). */
export const VERIFY_WAIT_MS = 3600_000;
/** A lease is renewed when it ends within this (or within half of itself, if shorter). */
export const RENEW_BEFORE_MS = 24 * 3600_000;
/** Subscribe requests to one hub for one feed before it is left to the next recheck. */
export const MAX_ATTEMPTS = 5;
/** A followed feed fed by a hub is still polled, this often (minutes; divides a day). */
export const HUB_FED_POLL_MINUTES = 240;

export interface SubscribeOptions {
  /** Feeds looked at for a hub per run (each a fetch). */
  discoveriesPerRun: number;
  /** The lease we ask for (the hub decides, §5.1). */
  leaseSeconds: number;
}

export const DEFAULT_SUBSCRIBE_OPTIONS: SubscribeOptions = { discoveriesPerRun: 10, leaseSeconds: DEFAULT_LEASE_SECONDS };

type Request = { row: WebSubFollowRow; mode: "subscribe" | "unsubscribe"; from: WebSubFollowState };

function newRow(userId: string, nowMs: number): WebSubFollowRow {
  return {
    user_id: userId,
    token: randomHex(16),
    secret: randomHex(32),
    hub: null,
    topic: null,
    state: "none",
    lease_expires_ms: null,
    verified_ms: null,
    requested_ms: null,
    checked_ms: nowMs,
    next_attempt_ms: null,
    attempts: 0,
    last_error: null,
    pushes: 0,
    pushed_ms: null,
  };
}

const idsCache = new WeakMap<SiteConfig, { set: ReadonlySet<string>; json: string }>();

function followedIdsOf(config: SiteConfig): { set: ReadonlySet<string>; json: string } {
  let ids = idsCache.get(config);
  if (!ids) {
    const list = followedAccounts(config).map((follow) => follow.user_id);
    ids = { set: new Set(list), json: JSON.stringify(list) };
    idsCache.set(config, ids);
  }
  return ids;
}

/** The followed accounts' user_ids, once per config (see lib/timeline/items.ts on the caches). */
export const followedIds = (config: SiteConfig): ReadonlySet<string> => followedIdsOf(config).set;
const followedIdsJson = (config: SiteConfig): string => followedIdsOf(config).json;

/**
 * Is a renewal due for an active subscription? When its lease ends within a day, or within half of
 * itself for leases shorter than two days -- unless a renewal already waits for its verification
 * (next_attempt_ms: when to ask again; cleared by the verification).
 */
function renewalDue(row: WebSubFollowRow, nowMs: number): boolean {
  if (row.lease_expires_ms === null) return true;
  if (row.next_attempt_ms !== null && row.next_attempt_ms > nowMs) return false;
  const left = row.lease_expires_ms - nowMs;
  const total = row.verified_ms !== null ? row.lease_expires_ms - row.verified_ms : Number.POSITIVE_INFINITY;
  return left <= Math.min(RENEW_BEFORE_MS, total / 2);
}

type Statement = ReturnType<typeof saveWebSubFollowStatement>;
type Follow = SiteConfig["follows"][number];

/** What one run decides: rows written before the requests go out, after them, the requests. */
interface RunPlan {
  context: JobContext;
  before: Statement[];
  after: Statement[];
  requests: Request[];
  failures: { target: string; reason: string }[];
  counts: { looked: number; withHub: number; subscribing: number; renewing: number; unsubscribing: number; forgotten: number };
}

/** Unfollowed (or blocked): unsubscribe, then forget. */
function planUnfollowed(plan: RunPlan, rows: Iterable<WebSubFollowRow>, ids: ReadonlySet<string>): void {
  const { db, now } = plan.context;
  for (const row of rows) {
    if (ids.has(row.user_id)) continue;
    const waitedEnough = row.requested_ms === null || row.requested_ms + VERIFY_WAIT_MS <= now;
    if ((row.state === "active" || row.state === "subscribing") && row.hub && row.topic) {
      const updated: WebSubFollowRow = { ...row, state: "unsubscribing", requested_ms: now, attempts: 0, next_attempt_ms: null, last_error: null };
      plan.before.push(saveWebSubFollowStatement(db, updated));
      plan.requests.push({ row: updated, mode: "unsubscribe", from: "unsubscribing" });
    } else if (row.state !== "unsubscribing" || waitedEnough) {
      plan.before.push(deleteWebSubFollowStatement(db, row.user_id));
      plan.counts.forgotten += 1;
    }
  }
}

/** A request the hub has not verified: ask again (with backoff), or give up after MAX_ATTEMPTS. */
function planSubscribing(plan: RunPlan, follow: Follow, row: WebSubFollowRow): void {
  const { db, now, all } = plan.context;
  const retryDue = row.next_attempt_ms !== null && row.next_attempt_ms <= now;
  const unverified = row.requested_ms === null || row.requested_ms + VERIFY_WAIT_MS <= now;
  if (!unverified || !(row.next_attempt_ms === null || retryDue || all)) return;
  if (row.attempts >= MAX_ATTEMPTS) {
    const last_error = `the hub never verified the subscription (${row.attempts} requests)`;
    plan.after.push(saveWebSubFollowStatement(db, { ...row, state: "failed", next_attempt_ms: now + RECHECK_MS, last_error }));
    plan.failures.push({ target: follow.user_link, reason: `${row.hub}: the hub never verified the subscription; looking again in a day` });
    return;
  }
  const updated = { ...row, requested_ms: now, attempts: row.attempts + 1, next_attempt_ms: now + VERIFY_WAIT_MS + backoffMs(row.attempts + 1) };
  plan.before.push(saveWebSubFollowStatement(db, updated));
  plan.requests.push({ row: updated, mode: "subscribe", from: "subscribing" });
}

/** An active subscription: subscribe again when its lease ran out, renew it when due. */
function planActive(plan: RunPlan, row: WebSubFollowRow): void {
  const { db, now, all } = plan.context;
  if (row.lease_expires_ms !== null && row.lease_expires_ms <= now) {
    // The lease ran out unrenewed: subscribe again from scratch (same callback and secret).
    const updated: WebSubFollowRow = {
      ...row,
      state: "subscribing",
      lease_expires_ms: null,
      requested_ms: now,
      attempts: 1,
      next_attempt_ms: now + VERIFY_WAIT_MS,
    };
    plan.before.push(saveWebSubFollowStatement(db, updated));
    plan.requests.push({ row: updated, mode: "subscribe", from: "subscribing" });
  } else if (renewalDue(row, now) || all) {
    const updated: WebSubFollowRow = { ...row, requested_ms: now, attempts: row.attempts + 1, next_attempt_ms: now + VERIFY_WAIT_MS };
    plan.before.push(saveWebSubFollowStatement(db, updated));
    plan.requests.push({ row: updated, mode: "subscribe", from: "active" });
    plan.counts.renewing += 1;
  }
}

/** Followed: (re)subscribe and renew; returns the follows to look at for a hub. */
function planFollowed(plan: RunPlan, followed: readonly Follow[], rows: ReadonlyMap<string, WebSubFollowRow>, complete: boolean) {
  const { now, all } = plan.context;
  const toDiscover: { follow: Follow; row: WebSubFollowRow }[] = [];
  for (const follow of followed) {
    const row = rows.get(follow.user_id);
    if (!row) {
      // Not read back by the quiet read: it has a row, with nothing to do now.
      if (complete) toDiscover.push({ follow, row: newRow(follow.user_id, now) });
      continue;
    }
    const retryDue = row.next_attempt_ms !== null && row.next_attempt_ms <= now;
    if (row.state === "none" || row.state === "failed") {
      if (all || row.checked_ms + RECHECK_MS <= now || retryDue) toDiscover.push({ follow, row });
    } else if (row.state === "subscribing") planSubscribing(plan, follow, row);
    else if (row.state === "active") planActive(plan, row);
  }
  return toDiscover;
}

/** Look for a hub: the head of the feed, up to its first item (rel="hub", rel="self"). */
async function discoverHub(plan: RunPlan, feedUrl: string, row: WebSubFollowRow): Promise<void> {
  const { context } = plan;
  const { db, now } = context;
  // One fetch each, the run's final writes kept: 2 D1 batches and the requests that may follow.
  if (context.budget.subrequestsLeft() < 4) return;
  plan.counts.looked += 1;
  const read = await fetchFeedPage(feedUrl, {
    fetch: context.fetch,
    allowLoopback: context.allowLoopback,
    budget: context.budget.child({ subrequests: 3, bytes: 1024 * 1024 }),
    stopAfter: () => true,
  });
  if (!read.ok || !read.value.feed) {
    const reason = read.ok ? "answered 304" : (read.error as FeedPageFailure).detail;
    if (!read.ok && read.error.kind === "budget") return;
    // Unreadable now: look again in an hour rather than a day (the poller reads it meanwhile).
    const unreadable = {
      state: "none",
      hub: null,
      topic: null,
      checked_ms: now,
      next_attempt_ms: now + VERIFY_WAIT_MS,
      last_error: reason.slice(0, 300),
    } as const;
    plan.before.push(saveWebSubFollowStatement(db, { ...row, ...unreadable }));
    return;
  }
  const channel = read.value.feed.channel;
  const hub = channel.hubs?.map((href) => absoluteLink(href, read.value.url)).find((href) => href !== null) ?? null;
  const topic = absoluteLink(channel.self, read.value.url) ?? read.value.url;
  if (!hub) {
    plan.before.push(
      saveWebSubFollowStatement(db, { ...row, state: "none", hub: null, topic: null, checked_ms: now, next_attempt_ms: null, last_error: null }),
    );
    return;
  }
  plan.counts.withHub += 1;
  const updated: WebSubFollowRow = {
    ...row,
    hub,
    topic,
    state: "subscribing",
    lease_expires_ms: null,
    requested_ms: now,
    checked_ms: now,
    attempts: 1,
    next_attempt_ms: now + VERIFY_WAIT_MS,
    last_error: null,
  };
  plan.before.push(saveWebSubFollowStatement(db, updated));
  plan.requests.push({ row: updated, mode: "subscribe", from: "subscribing" });
}

/** Send one request (§5.1; its row is written): one subrequest, a failure recorded after. */
async function sendRequest(plan: RunPlan, { row, mode, from }: Request, callbackPrefix: string, leaseSeconds: number): Promise<void> {
  const { context } = plan;
  const { db, now } = context;
  if (!row.hub || !row.topic) return;
  if (context.budget.subrequestsLeft() < 2) {
    plan.failures.push({ target: row.hub, reason: `${mode} ${row.topic}: not sent, the run's budget is used up (next run)` });
    plan.after.push(requestFailedStatement(db, row.user_id, from, { attempts: row.attempts, nextAttemptMs: now, error: "not sent: budget" }));
    return;
  }
  const answer = await fetchRemote(row.hub, {
    fetch: context.fetch,
    allowLoopback: context.allowLoopback,
    budget: context.budget,
    method: "POST",
    headers: { "Content-Type": FORM_CONTENT_TYPE },
    body: formBody({
      "hub.mode": mode,
      "hub.topic": row.topic,
      "hub.callback": `${callbackPrefix}${row.token}`,
      "hub.secret": mode === "subscribe" ? row.secret : undefined,
      "hub.lease_seconds": mode === "subscribe" ? String(leaseSeconds) : undefined,
    }),
    limits: { timeoutMs: 10_000, maxBytes: 4096 },
  });
  if (answer.ok && answer.value.status >= 200 && answer.value.status < 300) {
    if (mode === "subscribe" && from === "subscribing") plan.counts.subscribing += 1;
    if (mode === "unsubscribe") plan.counts.unsubscribing += 1;
    return;
  }
  const reason = answer.ok ? `the hub answered HTTP ${answer.value.status}` : answer.error.detail;
  plan.failures.push({ target: row.hub, reason: `${mode} ${row.topic}: ${reason}` });
  const refused = answer.ok && answer.value.status >= 400 && answer.value.status < 500 && answer.value.status !== 429;
  const error = reason.slice(0, 300);
  if (mode === "unsubscribe") {
    // Nothing more to ask: forget it; a delivery that still comes is answered 410 Gone.
    plan.after.push(deleteWebSubFollowStatement(db, row.user_id));
  } else if (refused && from === "subscribing") {
    plan.after.push(requestFailedStatement(db, row.user_id, from, { attempts: row.attempts, nextAttemptMs: now + RECHECK_MS, error, state: "failed" }));
  } else {
    plan.after.push(requestFailedStatement(db, row.user_id, from, { attempts: row.attempts, nextAttemptMs: now + backoffMs(row.attempts), error }));
  }
}

function summary(counts: RunPlan["counts"], followed: number): string {
  const parts = [
    counts.looked ? `${plural(counts.looked, "feed")} looked at for a hub (${counts.withHub} with one)` : "",
    counts.subscribing ? `${plural(counts.subscribing, "subscription")} requested` : "",
    counts.renewing ? `${plural(counts.renewing, "lease")} renewed` : "",
    counts.unsubscribing ? `${counts.unsubscribing} unsubscribed` : "",
    counts.forgotten ? `${counts.forgotten} forgotten` : "",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : `nothing to do (${plural(followed, "followed feed")})`;
}

export function createSubscribeJob(overrides: Partial<SubscribeOptions> = {}): ScheduledJob {
  const options: SubscribeOptions = { ...DEFAULT_SUBSCRIBE_OPTIONS, ...overrides };
  return {
    name: SUBSCRIBE_JOB_NAME,
    everyMinutes: 5,
    async run(context: JobContext): Promise<JobOutcome> {
      const { config, db, now } = context;
      const websub = config.websub;
      if (!websub) return { summary: "no callback URL in the site config (rebuild the site)" };
      // Once per config, without a URL parse per follow (this job runs every 5 minutes over every follow).
      const followed = followedAccounts(config);
      const ids = followedIds(config);
      // Most runs: only the rows that may need work are read back (see loadSubscriberState).
      const state = await loadSubscriberState(
        db,
        context.all || ids.size !== followed.length
          ? undefined
          : { followedJson: followedIdsJson(config), followedCount: followed.length, nowMs: now, recheckMs: RECHECK_MS, renewBeforeMs: RENEW_BEFORE_MS },
      );
      const rows = new Map(state.rows.map((row) => [row.user_id, row]));
      const plan: RunPlan = {
        context,
        before: [],
        after: [],
        requests: [],
        failures: [],
        counts: { looked: 0, withHub: 0, subscribing: 0, renewing: 0, unsubscribing: 0, forgotten: 0 },
      };
      planUnfollowed(plan, rows.values(), ids);
      const toDiscover = planFollowed(plan, followed, rows, state.complete);
      // Where the poller polls a feed (one that moved), else follows.yaml's URL (the poller, which runs first, has reconciled the row with it).
      await Promise.all(
        toDiscover.slice(0, options.discoveriesPerRun).map(({ follow, row }) => discoverHub(plan, state.feedUrls.get(follow.user_id) ?? follow.user_link, row)),
      );
      if (plan.before.length) await db.batch(plan.before);
      // The requests (their rows are written): one subrequest each, one D1 call kept for the failures.
      await Promise.all(plan.requests.map((request) => sendRequest(plan, request, websub.callback_prefix, options.leaseSeconds)));
      if (plan.after.length) await db.batch(plan.after);
      return { summary: summary(plan.counts, followed.length), failures: plan.failures };
    },
  };
}

export const timelineSubscribeJob: ScheduledJob = createSubscribeJob();
