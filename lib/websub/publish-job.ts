/**
 * The WebSub publisher (a scheduled job, every minute): after a deploy changes a feed's head page,
 * tell each hub the profile lists (`hubs:`) once, when the new page is live.
 *
 * The build writes each head page's SHA-256 into the Worker's config (SiteConfig.websub.topics), and
 * a deploy ships that config with the Worker. A run:
 *   1. reads the pings already made (one D1 call): a (hub, topic) whose row has another hash -- or
 *      none -- is new; a waiting one whose retry time has come is due. Nothing new: done (1 call).
 *   2. reads each such topic's page as the public gets it now (lib/websub/own-topic.ts) and hashes
 *      it: not the build's hash yet (the static site on another host still deploying), wait -- the
 *      next runs look again, for up to `liveWaitMs`; then the ping is given up, the page never
 *      matched (a build with another URL, a host that rewrites files).
 *   3. pings each hub: POST hub.mode=publish&hub.url=<topic> (the de-facto publish request of
 *      PubSubHubbub 0.4, which WebSub §4 leaves to the hub; every public hub takes it). 2xx: sent.
 *      429, 5xx, no answer: retried with backoff (1, 2, 4, ... minutes) up to `maxAttempts`. Another
 *      4xx: failed, not retried. Our own hub (`self`) is not pinged over HTTP -- a Worker cannot
 *      fetch its own zone -- its subscribers' deliveries are queued in D1 (deliver-job.ts sends them).
 *   4. writes every outcome in one D1 batch.
 *
 * Pinging happens in the Worker after the deploy, never in the deploy itself: a slow or broken hub
 * can neither block nor fail a deploy, and a deploy that changed nothing in the head pages (same
 * hash) pings nobody.
 */

import type { DbStatement } from "../shared/d1.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import type { WebSubTopic } from "../shared/site-config.ts";
import { plural } from "../shared/words.ts";
import type { JobContext, JobOutcome, ScheduledJob } from "../worker-kit/jobs.ts";
import { readOwnTopic } from "./own-topic.ts";
import { backoffMs, FORM_CONTENT_TYPE, formBody } from "./protocol.ts";
import { deleteOtherPingsStatement, loadPings, type PingRow, queueDeliveriesStatement, savePingStatement } from "./store.ts";

export const PUBLISH_JOB_NAME = "websub.publish";

export interface PublishOptions {
  /** How long a new page may take to go live (be served with the build's hash) before its pings are given up. */
  liveWaitMs: number;
  /** Pings of one page to one hub, retries included. */
  maxAttempts: number;
  /** Per ping: the hub must answer within this. */
  pingTimeoutMs: number;
}

export const DEFAULT_PUBLISH_OPTIONS: PublishOptions = { liveWaitMs: 24 * 3600_000, maxAttempts: 8, pingTimeoutMs: 5000 };

interface Work {
  hub: string;
  topic: WebSubTopic;
  row: PingRow;
}

type Counts = Record<"sent" | "queued" | "waitingLive" | "retrying" | "failed" | "deferred", number>;

/** One run's outcomes so far: the statements of its one D1 batch (step 4), its failures and counts. */
interface RunState {
  context: JobContext;
  options: PublishOptions;
  statements: DbStatement[];
  failures: { target: string; reason: string }[];
  counts: Counts;
}

export function createPublishJob(overrides: Partial<PublishOptions> = {}): ScheduledJob {
  const options: PublishOptions = { ...DEFAULT_PUBLISH_OPTIONS, ...overrides };
  return {
    name: PUBLISH_JOB_NAME,
    everyMinutes: 1,
    async run(context: JobContext): Promise<JobOutcome> {
      const websub = context.config.websub;
      if (!websub || websub.hubs.length === 0 || websub.topics.length === 0) return { summary: "no hubs in the profile" };
      const { db } = context;
      const rows = new Map((await loadPings(db)).map((row) => [`${row.hub} ${row.topic}`, row]));
      const work = duePings(websub, rows, context);
      const stale = rows.size > websub.hubs.length * websub.topics.length || [...rows.values()].some((row) => !websub.hubs.includes(row.hub));
      if (!work.length && !stale) return { summary: `nothing new to ping (${plural(websub.hubs.length, "hub")})` };

      const state: RunState = {
        context,
        options,
        statements: [],
        failures: [],
        counts: { sent: 0, queued: 0, waitingLive: 0, retrying: 0, failed: 0, deferred: 0 },
      };
      if (stale)
        state.statements.push(
          deleteOtherPingsStatement(
            db,
            websub.hubs.flatMap((hub) => websub.topics.map((topic) => ({ hub, topic: topic.url }))),
          ),
        );
      const live = await liveTopics(context, work);
      await Promise.all(work.map((item) => settle(state, item, live.get(item.topic.url), rows.get(`${item.hub} ${item.topic.url}`))));
      if (state.statements.length) await db.batch(state.statements);
      return { summary: summaryOf(state.counts), failures: state.failures };
    },
  };
}

/** Step 1: each (hub, topic) whose page changed since its last ping (a new row), or waiting and due again. */
function duePings(websub: { hubs: readonly string[]; topics: readonly WebSubTopic[] }, rows: Map<string, PingRow>, context: JobContext): Work[] {
  const { now } = context;
  const work: Work[] = [];
  for (const hub of websub.hubs) {
    for (const topic of websub.topics) {
      const row = rows.get(`${hub} ${topic.url}`);
      if (!row || row.sha256 !== topic.sha256) {
        const fresh: PingRow = {
          hub,
          topic: topic.url,
          sha256: topic.sha256,
          state: "waiting",
          attempts: 0,
          first_seen_ms: now,
          next_attempt_ms: now,
          http_status: null,
          last_error: null,
          updated_ms: now,
        };
        work.push({ hub, topic, row: fresh });
      } else if (row.state === "waiting" && (context.all || (row.next_attempt_ms ?? 0) <= now)) {
        work.push({ hub, topic, row });
      }
    }
  }
  return work;
}

/** Step 2: is each topic's new page live? true, false (another page is served) or why it could not be read; absent: no budget left. */
async function liveTopics(context: JobContext, work: readonly Work[]): Promise<Map<string, boolean | string>> {
  const live = new Map<string, boolean | string>();
  for (const topic of new Set(work.map((item) => item.topic))) {
    if (context.budget.subrequestsLeft() < 2) break;
    const page = await readOwnTopic(topic, {
      assets: context.env.ASSETS,
      fetch: context.fetch,
      allowLoopback: context.allowLoopback,
      budget: context.budget,
    });
    live.set(topic.url, page.ok ? page.value.sha256 === topic.sha256 : page.error);
  }
  return live;
}

function save(state: RunState, item: Work, update: Partial<PingRow>): void {
  state.statements.push(savePingStatement(state.context.db, { ...item.row, ...update, updated_ms: state.context.now }));
}

function fail(state: RunState, item: Work, reason: string, update: Partial<PingRow>): void {
  state.counts.failed += 1;
  state.failures.push({ target: item.hub, reason });
  save(state, item, { state: "failed", next_attempt_ms: null, ...update });
}

function retryOrFail(state: RunState, item: Work, reason: string, status: number | null): void {
  const attempts = item.row.attempts + 1;
  if (attempts >= state.options.maxAttempts) {
    fail(state, item, `${item.topic.url}: ${reason} (gave up after ${attempts} attempts)`, { attempts, http_status: status, last_error: reason });
    return;
  }
  state.counts.retrying += 1;
  state.failures.push({ target: item.hub, reason: `${item.topic.url}: ${reason} (retried in ${backoffMs(attempts) / 60_000} min)` });
  save(state, item, { state: "waiting", attempts, next_attempt_ms: state.context.now + backoffMs(attempts), http_status: status, last_error: reason });
}

/** Steps 2-3 for one (hub, topic): wait for the page, queue our own hub's deliveries, or ping the hub. */
async function settle(state: RunState, item: Work, isLive: boolean | string | undefined, known: PingRow | undefined): Promise<void> {
  if (isLive === undefined) {
    state.counts.deferred += 1;
    return;
  }
  if (isLive !== true) {
    // Not live yet, or unreadable: wait (no write while waiting, except the first time, which records when it started).
    const reason = isLive === false ? `${item.topic.url} is not live yet (the served page is not the one built)` : isLive;
    if (state.context.now - item.row.first_seen_ms >= state.options.liveWaitMs) {
      fail(state, item, `${reason}; gave up waiting`, { last_error: `${reason}; gave up waiting`.slice(0, 300) });
    } else {
      state.counts.waitingLive += 1;
      if (known?.sha256 !== item.topic.sha256) save(state, item, { state: "waiting", last_error: reason.slice(0, 300) });
    }
    return;
  }
  if (item.hub === state.context.config.websub?.self_hub) {
    // Our own hub: queue a delivery of this page to every subscriber of the topic.
    state.statements.push(queueDeliveriesStatement(state.context.db, item.topic.url, item.topic.sha256, state.context.now));
    state.counts.queued += 1;
    save(state, item, { state: "sent", attempts: item.row.attempts + 1, next_attempt_ms: null, http_status: null, last_error: null });
    return;
  }
  if (state.context.budget.subrequestsLeft() < 2) {
    state.counts.deferred += 1;
    return;
  }
  await ping(state, item);
}

/** Step 3: POST hub.mode=publish to a hub, and what its answer means for the row. */
async function ping(state: RunState, item: Work): Promise<void> {
  const { context } = state;
  const answer = await fetchRemote(item.hub, {
    fetch: context.fetch,
    allowLoopback: context.allowLoopback,
    budget: context.budget,
    method: "POST",
    headers: { "Content-Type": FORM_CONTENT_TYPE },
    body: formBody({ "hub.mode": "publish", "hub.url": item.topic.url }),
    limits: { timeoutMs: state.options.pingTimeoutMs, maxBytes: 4096 },
  });
  const attempts = item.row.attempts + 1;
  if (!answer.ok) {
    if (answer.error.kind === "budget") state.counts.deferred += 1;
    else if (answer.error.kind === "refused") fail(state, item, answer.error.detail, { attempts, last_error: answer.error.detail });
    else retryOrFail(state, item, answer.error.detail, null);
    return;
  }
  const status = answer.value.status;
  if (status >= 200 && status < 300) {
    state.counts.sent += 1;
    save(state, item, { state: "sent", attempts, next_attempt_ms: null, http_status: status, last_error: null });
  } else if (status === 429 || status >= 500) {
    retryOrFail(state, item, `the hub answered HTTP ${status}`, status);
  } else {
    const reason = `the hub answered HTTP ${status}; not retried`;
    fail(state, item, `${item.topic.url}: ${reason}`, { attempts, http_status: status, last_error: reason });
  }
}

function summaryOf(counts: Counts): string {
  const parts = [
    counts.sent ? `${plural(counts.sent, "ping")} sent` : "",
    counts.queued ? `${plural(counts.queued, "topic")} queued for our own hub's subscribers` : "",
    counts.waitingLive ? `${counts.waitingLive} waiting for the deploy to go live` : "",
    counts.retrying ? `${counts.retrying} to retry` : "",
    counts.failed ? `${counts.failed} failed` : "",
    counts.deferred ? `${counts.deferred} for the next run (budget)` : "",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "old pings forgotten";
}

export const websubPublishJob: ScheduledJob = createPublishJob();
