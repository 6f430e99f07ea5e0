/**
 * The timeline poller (a scheduled job, every run): reads the feeds of the accounts the owner
 * follows (spec "Following") and stores their new posts in D1 for the owner's timeline.
 *
 * A run:
 * 1. asks D1 which follows are due (one D1 call: SQLite evaluates the slot schedule over every row and
 *    checks that the rows still match follows.yaml; only the due follows come back). When they do not
 *    match (a deploy changed follows.yaml) or with `all`, the full path: every follow's state and the
 *    last run's minute are read (one call more) and
 * 2. reconciled with follows.yaml as the build bundled it (follow-sync.ts);
 * 3. polls the feeds that are due (schedule.ts: adaptive slots; backoff; catch-up; `all` = every feed
 *    now), a few at a time so one slow feed does not hold up the others, each within its own share
 *    of the run (subrequests, bytes, time) so no feed can starve the rest, and all of them within the
 *    run's budget (lib/shared/budget.ts). Plain counts bound the rest: items parsed per run
 *    (itemsPerRun), first polls started per run (firstPollsPerRun: a new follow's backfill is what
 *    onboarding stores, so onboarding many follows is spread over runs), and what one feed may store
 *    per run and per UTC day (feed-quota.ts: over its day's number a feed is paused until midnight);
 *    each feed that changed is written in one D1 batch (its new items and its state);
 * 4. writes the run's minute, and marks feeds that were due but did not fit as due first next run
 *    (one call).
 *
 * A 304 -- most polls -- costs one subrequest and writes nothing. docs/timeline.md has the rows and
 * subrequests a day this takes.
 */
import type { BudgetLimits } from "../shared/budget.ts";
import { plural } from "../shared/words.ts";
import type { JobContext, JobOutcome, ScheduledJob } from "../worker-kit/jobs.ts";
import { DEFAULT_FEED_QUOTA, type FeedQuota, itemsAllowed, quotaUpdate } from "./feed-quota.ts";
import { isDueBrief, listedFollows, reconcile } from "./follow-sync.ts";
import { mentionTest } from "./items.ts";
import { DEFAULT_POLL_LIMITS, type PollLimits, type PollOutcome, pollFeed } from "./poll-feed.ts";
import { backoffMinutes, MINUTE_MS, minuteOf } from "./schedule.ts";
import {
  type FollowBrief,
  type FollowRow,
  finishRun,
  insertItemsStatements,
  loadDueFollows,
  loadFollowRows,
  loadPollerState,
  updateFollowStatement,
} from "./store.ts";
import { hubFedFollows } from "./websub-store.ts";
import { HUB_FED_POLL_MINUTES } from "./websub-subscribe-job.ts";

export interface TimelinePollOptions {
  /** Feeds polled at the same time (Workers allow 6 open connections per invocation). */
  concurrency: number;
  /** Items the whole run may parse (parsing is most of a run's CPU). */
  itemsPerRun: number;
  /** One feed's share of a run: fetches (every redirect hop counts), bytes, time. */
  feedLimits: Partial<BudgetLimits>;
  poll: PollLimits;
  /**
   * First polls (new follows) a run starts; the others wait, first in line, for the next runs. A first
   * poll is a fetch, up to poll.backfillItems items parsed and stored, and one D1 batch: 2 of them are
   * 2 x 20 = 40 items of the run's itemsPerRun, so regular polls keep most of a run.
   */
  firstPollsPerRun: number;
  /** What one feed may store per run and per UTC day (feed-quota.ts). */
  feedQuota: FeedQuota;
}

export const DEFAULT_TIMELINE_OPTIONS: TimelinePollOptions = {
  concurrency: 4,
  itemsPerRun: 150,
  feedLimits: { subrequests: 5, bytes: 1536 * 1024, durationMs: 15_000 },
  poll: DEFAULT_POLL_LIMITS,
  firstPollsPerRun: 2,
  feedQuota: DEFAULT_FEED_QUOTA,
};

export const TIMELINE_JOB_NAME = "timeline.poll";

/** Regular polls first (cheap), then catch-up walks, then first polls (their backfill parses the most). */
function rank(row: FollowBrief): number {
  if (row.walking) return 1;
  return row.first ? 2 : 0;
}

function label(row: FollowRow): string {
  return `@${row.username} (${row.feed_url})`;
}

function failedOutcome(row: FollowRow, nowMs: number, reason: string): PollOutcome {
  const failures = row.failures + 1;
  return {
    status: "failed",
    items: [],
    account: { name: row.name, user_link: row.feed_url },
    update: { failures, last_error: reason, due_ms: nowMs + backoffMinutes(failures) * MINUTE_MS, last_poll_ms: nowMs },
    blocked: 0,
    failure: reason,
    notes: [],
    pagesRead: 0,
  };
}

interface DueSelection {
  due: FollowBrief[];
  followedCount: number;
  /** What reconciling with follows.yaml changed ("2 new", ...). */
  membership: string[];
}

/** The follows due in this run, in the order they are polled. */
async function selectDue(context: JobContext): Promise<DueSelection> {
  const { db, now } = context;
  const nowMinute = minuteOf(now);
  const listed = listedFollows(context.config);
  // Most runs: D1 matches follows.yaml, and SQLite hands back only the due follows (one D1 call).
  const fast = context.all || !listed.distinct ? undefined : await loadDueFollows(db, listed.json, listed.count, now, nowMinute, HUB_FED_POLL_MINUTES);
  const selection: DueSelection = { due: [], followedCount: 0, membership: [] };
  if (fast?.consistent) {
    selection.due = fast.due;
    selection.followedCount = fast.stored;
  } else {
    // The full path: every follow read, reconciled with follows.yaml (written), the schedule in JavaScript.
    // Feeds a WebSub hub pushes to us (lib/timeline/websub-*.ts) are polled only as a slow backup: hubs fail silently.
    const [state, hubFed] = await Promise.all([loadPollerState(db), hubFedFollows(db, now)]);
    const reconciled = await reconcile(context, state.follows);
    selection.due = reconciled.rows.filter((row) => context.all || isDueBrief(row, { now, nowMinute, lastRunMinute: state.lastRunMinute, hubFed }));
    selection.followedCount = reconciled.rows.length;
    if (reconciled.added) selection.membership.push(`${reconciled.added} new`);
    if (reconciled.removed) selection.membership.push(`${reconciled.removed} unfollowed`);
    if (reconciled.changed) selection.membership.push(`${reconciled.changed} changed in follows.yaml`);
  }
  // follows.yaml's order breaks ties, whichever path found them.
  selection.due.sort(
    (a, b) => rank(a) - rank(b) || (a.due_ms ?? 0) - (b.due_ms ?? 0) || (listed.order.get(a.user_id) ?? 0) - (listed.order.get(b.user_id) ?? 0),
  );
  return selection;
}

interface RunTally {
  counts: {
    polled: number;
    notModified: number;
    noNew: number;
    withNew: number;
    stored: number;
    catchingUp: number;
    failed: number;
    blocked: number;
    moved: number;
    paused: number;
  };
  failures: { target: string; reason: string }[];
  notes: { target: string; reason: string }[];
  deferred: FollowRow[];
}

/** Store one feed's outcome (its new items and its state, one D1 batch) and count it. */
async function storeOutcome(context: JobContext, options: TimelinePollOptions, row: FollowRow, outcome: PollOutcome, tally: RunTally): Promise<void> {
  const { db, now } = context;
  const { counts } = tally;
  const quota = quotaUpdate(row, now, outcome.items.length, options.feedQuota);
  Object.assign(outcome.update, quota.update);
  const account = { user_id: row.user_id, username: row.username, name: outcome.account.name, user_link: outcome.account.user_link };
  const inserts = outcome.items.length ? insertItemsStatements(db, account, outcome.items, now) : [];
  const statements = [...inserts];
  const update = updateFollowStatement(db, row.user_id, outcome.update);
  if (update) statements.push(update);
  let stored = 0;
  if (statements.length) {
    try {
      const results = await db.batch(statements);
      for (const result of results.slice(0, inserts.length)) stored += result.meta.changes;
    } catch (error) {
      console.error(`skein timeline: storing ${row.feed_url} failed`, error);
      const reason = `could not store what was read: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
      tally.failures.push({ target: label(row), reason });
      counts.failed += 1;
      return;
    }
  }
  counts.polled += 1;
  counts.stored += stored;
  counts.blocked += outcome.blocked;
  if (outcome.update.moved_to) counts.moved += 1;
  tally.notes.push(...outcome.notes.map((note) => ({ target: label(row), reason: note })));
  if (quota.pausedReason) {
    counts.paused += 1;
    tally.failures.push({ target: label(row), reason: quota.pausedReason });
  }
  if (outcome.status === "failed") {
    counts.failed += 1;
    tally.failures.push({ target: label(row), reason: outcome.failure ?? "failed" });
  } else if (outcome.status === "not-modified") counts.notModified += 1;
  else if (outcome.status === "no-new-items") counts.noNew += 1;
  else if (outcome.status === "catching-up") counts.catchingUp += 1;
  if (outcome.items.length) counts.withNew += 1;
}

/**
 * Polls the due feeds `concurrency` at a time within the run's budget: a feed is started only when
 * the run can still afford its fetch and its D1 write, and a first poll only when the run's first
 * polls and items to parse can hold its backfill. What does not fit is deferred to the next run.
 */
async function pollDue(context: JobContext, options: TimelinePollOptions, rows: Map<string, FollowRow>, due: FollowBrief[], tally: RunTally): Promise<void> {
  const { now } = context;
  const mentions = mentionTest(context.config.owner);
  const allowance = { left: options.itemsPerRun };
  // Subrequests promised to D1 writes not made yet: the run's final write, and one per feed in progress.
  let reserved = 1;
  // Items promised to first polls in progress (their backfill), so concurrent first polls do not all start on one share.
  let promisedItems = 0;
  let firstPollsLeft = options.firstPollsPerRun;
  const sleepers: (() => void)[] = [];
  let next = 0;

  const pollOne = async (row: FollowRow): Promise<void> => {
    const firstPoll = row.seen === null && row.walk === null;
    const backfill = firstPoll ? options.poll.backfillItems : 0;
    if (firstPoll && firstPollsLeft <= 0) return void tally.deferred.push(row);
    const maxNewItems = itemsAllowed(row, now, options.feedQuota);
    if (maxNewItems <= 0) return void (tally.counts.paused += 1);
    // A first poll waits for the first polls in progress to give back the items they did not use.
    while (backfill && allowance.left - promisedItems < backfill && promisedItems > 0) await new Promise<void>((resolve) => sleepers.push(resolve));
    if (context.budget.refusal() || context.budget.subrequestsLeft() - reserved < 2 || (firstPoll && allowance.left - promisedItems < backfill)) {
      return void tally.deferred.push(row);
    }
    reserved += 1;
    promisedItems += backfill;
    if (firstPoll) firstPollsLeft -= 1;
    try {
      let outcome: PollOutcome;
      try {
        outcome = await pollFeed(row, {
          config: context.config,
          fetch: context.fetch,
          allowLoopback: context.allowLoopback,
          nowMs: now,
          budget: context.budget.child(options.feedLimits),
          allowance,
          maxNewItems,
          mayFetch: () => !context.budget.refusal() && context.budget.subrequestsLeft() - reserved >= 1,
          mentions,
          limits: options.poll,
        });
      } catch (error) {
        console.error(`skein timeline: polling ${row.feed_url} failed unexpectedly`, error);
        outcome = failedOutcome(row, now, "the poll stopped on an unexpected error");
      }
      if (outcome.status === "deferred") tally.deferred.push(row);
      else await storeOutcome(context, options, row, outcome, tally);
    } finally {
      reserved -= 1;
      promisedItems -= backfill;
      for (const wake of sleepers.splice(0)) wake();
    }
  };

  const worker = async (): Promise<void> => {
    while (next < due.length) {
      const row = rows.get(due[next++]!.user_id);
      if (row) await pollOne(row);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, due.length) }, worker));
}

function summary(tally: RunTally, selection: DueSelection): string {
  const { counts } = tally;
  const parts = [
    counts.withNew ? `${counts.withNew} with new posts (${plural(counts.stored, "item")} stored)` : "",
    counts.notModified ? `${counts.notModified} not modified` : "",
    counts.noNew ? `${counts.noNew} without new posts` : "",
    counts.catchingUp ? `${counts.catchingUp} catching up (continued next run)` : "",
    counts.failed ? `${counts.failed} failed` : "",
    counts.paused ? `${counts.paused} paused for the day (stored their day's number of items)` : "",
    counts.moved ? `${counts.moved} moved (npm run timeline -- status)` : "",
    counts.blocked ? `${plural(counts.blocked, "repost")} of blocked accounts skipped` : "",
  ].filter(Boolean);
  const waiting = tally.deferred.length ? `; ${tally.deferred.length} wait for the next run` : "";
  const membership = selection.membership.length ? ` (${selection.membership.join(", ")})` : "";
  return `polled ${counts.polled} of ${plural(selection.followedCount, "followed feed")}${parts.length ? `: ${parts.join(", ")}` : ""}${waiting}${membership}`;
}

export function createTimelinePollJob(overrides: Partial<TimelinePollOptions> = {}): ScheduledJob {
  const options: TimelinePollOptions = { ...DEFAULT_TIMELINE_OPTIONS, ...overrides };
  return {
    name: TIMELINE_JOB_NAME,
    everyMinutes: 1,
    async run(context): Promise<JobOutcome> {
      const { db, now } = context;
      const selection = await selectDue(context);
      if (!selection.due.length) {
        const membership = selection.membership.length ? `; ${selection.membership.join(", ")}` : "";
        return { summary: `no feed due (${plural(selection.followedCount, "followed feed")}${membership})` };
      }
      const rows = await loadFollowRows(
        db,
        selection.due.map((brief) => brief.user_id),
      );
      const tally: RunTally = {
        counts: { polled: 0, notModified: 0, noNew: 0, withNew: 0, stored: 0, catchingUp: 0, failed: 0, blocked: 0, moved: 0, paused: 0 },
        failures: [],
        notes: [],
        deferred: [],
      };
      await pollDue(context, options, rows, selection.due, tally);
      // Deferred feeds already due by their own time need no write to stay first in line.
      const deferredIds = tally.deferred.filter((row) => row.due_ms === null || row.due_ms > now).map((row) => row.user_id);
      await finishRun(db, minuteOf(now), now, deferredIds);
      return { summary: summary(tally, selection), failures: [...tally.failures, ...tally.notes] };
    },
  };
}

export const timelinePollJob: ScheduledJob = createTimelinePollJob();
