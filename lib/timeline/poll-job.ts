/**
 * The timeline poller (a scheduled job, every run): reads the feeds of the accounts the owner
 * follows (spec "Following") and stores their new posts in D1 for the owner's timeline.
 *
 * A run:
 * 1. asks D1 which follows are due (one D1 call: SQLite evaluates the slot schedule over every row and
 *    checks that the rows still match follows.yaml; only the due follows come back -- parsing all 300
 *    rows in the isolate every minute was most of a quiet run's CPU). When they do not match (a deploy
 *    changed follows.yaml) or with `all`, the full path: every follow's state and the last run's
 *    minute are read (one call more) and
 * 2. reconciled with follows.yaml as the build bundled it (SiteConfig.follows): a new follow gets
 *    a row and is polled at once (bounded backfill), an unfollowed account's row is deleted (its
 *    stored items stay in the timeline, unless the account is now in blocks.yaml, which deletes them),
 *    a changed user_link (`npm run follow -- <new URL>` after a relocation) is taken over (one call,
 *    only when something changed);
 * 3. polls the feeds that are due (schedule.ts: adaptive slots; backoff; catch-up; `all` = every feed
 *    now), a few at a time so one slow feed does not hold up the others, each within its own share
 *    of the run (subrequests, bytes, time) so no feed can starve the rest, and all of them within the
 *    run's budget (lib/shared/budget.ts) and a number of items to parse per run (the 10 ms of CPU);
 *    first polls (new follows: a fetch, a backfill, a D1 batch each, about 2 ms of CPU) are bounded
 *    by a CPU estimate per run (firstPollsPerRun), so onboarding many follows at once is spread over
 *    runs instead of taking 20-70 ms in one;
 *    each feed that changed is written in one D1 batch (its new items and its state);
 * 4. writes the run's minute, and marks feeds that were due but did not fit as due first next run
 *    (one call).
 *
 * A 304 -- most polls -- costs one subrequest and writes nothing. See the notes in the README for the
 * rows and subrequests a day this takes, measured by bench/timeline.ts.
 */
import type { BudgetLimits } from "../shared/budget.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import { plural } from "../shared/words.ts";
import type { JobContext, JobOutcome, ScheduledJob } from "../worker-kit/jobs.ts";
import { followedAccounts, matchesIdentity, mentionTest } from "./items.ts";
import { DEFAULT_POLL_LIMITS, type PollLimits, type PollOutcome, pollFeed } from "./poll-feed.ts";
import { backoffMinutes, MINUTE_MS, minuteOf, phaseOf, pollIntervalMinutes, slotDue } from "./schedule.ts";
import {
  deleteFollowStatement,
  deleteItemsOfStatement,
  type FollowBrief,
  type FollowRow,
  type FollowUpdate,
  finishRun,
  insertFollowStatement,
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
  /** Items the whole run may parse: parsing is most of a run's CPU (about 30 µs an item). */
  itemsPerRun: number;
  /** One feed's share of a run: fetches (every redirect hop counts), bytes, time. */
  feedLimits: Partial<BudgetLimits>;
  poll: PollLimits;
  /**
   * The isolate CPU a run may spend on first polls, ms (of the invocation's 10: the rest of the run,
   * 1.4-2.5 ms when quiet, and the jitter need the remainder): first polls beyond it wait for the next
   * run. Their backfill is what onboarding stores; it is only spread over more runs.
   */
  firstPollCpuMsPerRun: number;
  /**
   * The estimated isolate CPU of one first poll (firstPollCpuMs), ms: `perPoll` for the fetch and its
   * body, the D1 batch through the binding and the bookkeeping, plus `perItem` for each backfilled item
   * (read, turned into a row, its JSON for D1).
   */
  firstPollCpu: { perPoll: number; perItem: number };
}

export const DEFAULT_TIMELINE_OPTIONS: TimelinePollOptions = {
  concurrency: 4,
  itemsPerRun: 150,
  feedLimits: { subrequests: 5, bytes: 1536 * 1024, durationMs: 15_000 },
  poll: DEFAULT_POLL_LIMITS,
  // Measured by `npm run bench:timeline -- --profile-onboarding` at feb032b (300 new follows, 5-item
  // feeds): 20 first polls a run took 28 ms median of isolate CPU with waits cut (D1 binding included),
  // about 1.35 ms a first poll above a quiet run; of it the reader and the item rows ~0.05 ms an item,
  // the fetch ~0.35 ms and the feed's D1 batch ~0.45 ms. 1.1 + 20 x 0.05 = 2.1 ms: 2 first polls a run.
  firstPollCpuMsPerRun: 6,
  firstPollCpu: { perPoll: 1.1, perItem: 0.05 },
};

/** The estimated isolate CPU of one first poll (its backfill of options.poll.backfillItems), ms. */
export function firstPollCpuMs(options: Pick<TimelinePollOptions, "firstPollCpu" | "poll">): number {
  return options.firstPollCpu.perPoll + options.firstPollCpu.perItem * options.poll.backfillItems;
}

/**
 * First polls a run starts: as many as their estimate fits in firstPollCpuMsPerRun, and at least one
 * (a new follow is always read eventually, however its estimate compares). Onboarding N follows at
 * once takes ceil(N / firstPollsPerRun) runs when nothing else stops a run first (subrequests, items).
 */
export function firstPollsPerRun(options: Pick<TimelinePollOptions, "firstPollCpu" | "firstPollCpuMsPerRun" | "poll">): number {
  const estimate = firstPollCpuMs(options);
  return Math.max(1, estimate > 0 ? Math.floor(options.firstPollCpuMsPerRun / estimate) : Number.MAX_SAFE_INTEGER);
}

export const TIMELINE_JOB_NAME = "timeline.poll";

interface Reconciled {
  rows: FollowBrief[];
  added: number;
  removed: number;
  changed: number;
}

function newRow(follow: SiteConfig["follows"][number], nowMs: number): FollowRow {
  return {
    user_id: follow.user_id,
    username: follow.username,
    user_link: follow.user_link,
    feed_url: follow.user_link,
    moved_to: null,
    name: null,
    phase: phaseOf(follow.user_id),
    added_ms: nowMs,
    due_ms: nowMs,
    etag: null,
    last_modified: null,
    seen: null,
    walk: null,
    newest_item_ms: null,
    oldest_first: 0,
    failures: 0,
    last_error: null,
    last_poll_ms: null,
  };
}

/**
 * D1's follow rows made to match follows.yaml; writes (one batch) only what differs. This runs every
 * minute over every follow, so the common case -- nothing changed -- allocates nothing per follow: the
 * row read from D1 is used as it is.
 */
async function reconcile(context: JobContext, rows: FollowBrief[]): Promise<Reconciled> {
  const { db, config, now } = context;
  const byId = new Map<string, FollowBrief>();
  for (const row of rows) byId.set(row.user_id, row);
  const statements = [];
  const current: FollowBrief[] = [];
  let added = 0;
  let removed = 0;
  let changed = 0;
  // Blocked accounts are left out once per config (followedAccounts: the build's normalized links, no URL parsing).
  for (const follow of followedAccounts(config)) {
    const row = byId.get(follow.user_id);
    if (!row) {
      const fresh = newRow(follow, now);
      statements.push(insertFollowStatement(db, fresh));
      current.push({ ...fresh, first: 1, walking: 0 });
      added += 1;
      continue;
    }
    byId.delete(follow.user_id);
    if (row.username === follow.username && row.user_link === follow.user_link) {
      current.push(row);
      continue;
    }
    const update: FollowUpdate = {};
    if (row.username !== follow.username) update.username = follow.username;
    if (row.user_link !== follow.user_link) {
      update.user_link = follow.user_link;
      const link = normalizeUserLink(follow.user_link);
      if (row.moved_to && link === normalizeUserLink(row.moved_to)) {
        // The owner took over the move (npm run follow -- <new URL>): polling is already there.
        update.moved_to = null;
      } else if (link !== normalizeUserLink(row.user_link)) {
        // Another feed URL for the same account: poll it from now on (what was seen stays seen).
        Object.assign(update, {
          feed_url: follow.user_link,
          moved_to: null,
          etag: null,
          last_modified: null,
          walk: null,
          failures: 0,
          last_error: null,
          due_ms: now,
        });
      }
    }
    const statement = updateFollowStatement(db, row.user_id, update);
    if (statement) {
      statements.push(statement);
      changed += 1;
    }
    current.push({ ...row, ...update, walking: update.walk === null ? 0 : row.walking });
  }
  for (const row of byId.values()) {
    statements.push(deleteFollowStatement(db, row.user_id));
    if (matchesIdentity(config.blocks, row.user_id, row.user_link)) statements.push(deleteItemsOfStatement(db, row.user_id));
    removed += 1;
  }
  if (statements.length) await db.batch(statements);
  return { rows: current, added, removed, changed };
}

/** What the fast path needs of follows.yaml, computed once per config (see items.ts on the caches). */
interface ListedFollows {
  /** JSON [[user_id, username, user_link], ...] for loadDueFollows. */
  json: string;
  count: number;
  /** False when a user_id is listed twice (the build refuses it): then every run takes the full path. */
  distinct: boolean;
  /** user_id -> position in follows.yaml: the order due follows are taken in, after rank and due time. */
  order: Map<string, number>;
}

const listedCache = new WeakMap<SiteConfig, ListedFollows>();

export function listedFollows(config: SiteConfig): ListedFollows {
  let listed = listedCache.get(config);
  if (!listed) {
    const follows = followedAccounts(config);
    const order = new Map<string, number>();
    for (const [index, follow] of follows.entries()) if (!order.has(follow.user_id)) order.set(follow.user_id, index);
    listed = {
      json: JSON.stringify(follows.map((follow) => [follow.user_id, follow.username, follow.user_link])),
      count: follows.length,
      distinct: order.size === follows.length,
      order,
    };
    listedCache.set(config, listed);
  }
  return listed;
}

/** Is this follow due in the run at `now`? (loadDueFollows asks SQLite the same question.) */
export function isDueBrief(row: FollowBrief, run: { now: number; nowMinute: number; lastRunMinute: number | null; hubFed: ReadonlySet<string> }): boolean {
  if (row.due_ms !== null) return row.due_ms <= run.now;
  const interval = run.hubFed.has(row.user_id) ? HUB_FED_POLL_MINUTES : pollIntervalMinutes(row.newest_item_ms, run.now);
  return slotDue(run.lastRunMinute, run.nowMinute, row.phase, interval);
}

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

export function createTimelinePollJob(overrides: Partial<TimelinePollOptions> = {}): ScheduledJob {
  const options: TimelinePollOptions = { ...DEFAULT_TIMELINE_OPTIONS, ...overrides };
  return {
    name: TIMELINE_JOB_NAME,
    everyMinutes: 1,
    async run(context): Promise<JobOutcome> {
      const { db, now } = context;
      const nowMinute = minuteOf(now);
      const listed = listedFollows(context.config);
      // Most runs: D1 matches follows.yaml, and SQLite hands back only the due follows (one D1 call).
      const fast = context.all || !listed.distinct ? undefined : await loadDueFollows(db, listed.json, listed.count, now, nowMinute, HUB_FED_POLL_MINUTES);
      let due: FollowBrief[];
      let followedCount: number;
      const membership: string[] = [];
      if (fast?.consistent) {
        due = fast.due;
        followedCount = fast.stored;
      } else {
        // The full path: every follow read, reconciled with follows.yaml (written), the schedule in JavaScript.
        // Feeds a WebSub hub pushes to us (lib/timeline/websub-*.ts) are polled only as a slow backup: hubs fail silently.
        const [state, hubFed] = await Promise.all([loadPollerState(db), hubFedFollows(db, now)]);
        const reconciled = await reconcile(context, state.follows);
        due = reconciled.rows.filter((row) => context.all || isDueBrief(row, { now, nowMinute, lastRunMinute: state.lastRunMinute, hubFed }));
        followedCount = reconciled.rows.length;
        if (reconciled.added) membership.push(`${reconciled.added} new`);
        if (reconciled.removed) membership.push(`${reconciled.removed} unfollowed`);
        if (reconciled.changed) membership.push(`${reconciled.changed} changed in follows.yaml`);
      }
      // follows.yaml's order breaks ties, whichever path found them.
      due.sort((a, b) => rank(a) - rank(b) || (a.due_ms ?? 0) - (b.due_ms ?? 0) || (listed.order.get(a.user_id) ?? 0) - (listed.order.get(b.user_id) ?? 0));
      const followedText = `${plural(followedCount, "followed feed")}${membership.length ? `; ${membership.join(", ")}` : ""}`;
      if (!due.length) return { summary: `no feed due (${followedText})` };

      const rows = await loadFollowRows(
        db,
        due.map((brief) => brief.user_id),
      );
      const mentions = mentionTest(context.config.owner);
      const allowance = { left: options.itemsPerRun };
      // Subrequests promised to D1 writes not made yet: the run's final write, and one per feed in progress.
      let reserved = 1;
      // Items promised to first polls in progress (their backfill), so concurrent first polls do not all start on one share.
      let promisedItems = 0;
      // First polls this run may still start (their CPU estimate within firstPollCpuMsPerRun).
      let firstPollsLeft = firstPollsPerRun(options);
      const sleepers: (() => void)[] = [];
      const deferred: FollowRow[] = [];
      const failures: { target: string; reason: string }[] = [];
      const counts = { polled: 0, notModified: 0, noNew: 0, withNew: 0, stored: 0, catchingUp: 0, failed: 0, blocked: 0, moved: 0 };
      const notes: { target: string; reason: string }[] = [];
      let next = 0;

      const pollOne = async (row: FollowRow): Promise<void> => {
        const firstPoll = row.seen === null && row.walk === null;
        const backfill = firstPoll ? options.poll.backfillItems : 0;
        if (firstPoll && firstPollsLeft <= 0) {
          deferred.push(row);
          return;
        }
        // A first poll waits for the first polls in progress to give back the items they did not use.
        while (backfill && allowance.left - promisedItems < backfill && promisedItems > 0) await new Promise<void>((resolve) => sleepers.push(resolve));
        if (context.budget.refusal() || context.budget.subrequestsLeft() - reserved < 2 || (firstPoll && allowance.left - promisedItems < backfill)) {
          deferred.push(row);
          return;
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
              mayFetch: () => !context.budget.refusal() && context.budget.subrequestsLeft() - reserved >= 1,
              mentions,
              limits: options.poll,
            });
          } catch (error) {
            console.error(`skein timeline: polling ${row.feed_url} failed unexpectedly`, error);
            outcome = failedOutcome(row, now, "the poll stopped on an unexpected error");
          }
          if (outcome.status === "deferred") {
            deferred.push(row);
            return;
          }
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
              failures.push({
                target: label(row),
                reason: `could not store what was read: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300),
              });
              counts.failed += 1;
              return;
            }
          }
          counts.polled += 1;
          counts.stored += stored;
          counts.blocked += outcome.blocked;
          if (outcome.update.moved_to) counts.moved += 1;
          notes.push(...outcome.notes.map((note) => ({ target: label(row), reason: note })));
          if (outcome.status === "failed") {
            counts.failed += 1;
            failures.push({ target: label(row), reason: outcome.failure ?? "failed" });
          } else if (outcome.status === "not-modified") counts.notModified += 1;
          else if (outcome.status === "no-new-items") counts.noNew += 1;
          else if (outcome.status === "catching-up") counts.catchingUp += 1;
          if (outcome.items.length) counts.withNew += 1;
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

      // Deferred feeds already due by their own time need no write to stay first in line.
      const deferredIds = deferred.filter((row) => row.due_ms === null || row.due_ms > now).map((row) => row.user_id);
      await finishRun(db, nowMinute, now, deferredIds);

      const parts = [
        counts.withNew ? `${counts.withNew} with new posts (${plural(counts.stored, "item")} stored)` : "",
        counts.notModified ? `${counts.notModified} not modified` : "",
        counts.noNew ? `${counts.noNew} without new posts` : "",
        counts.catchingUp ? `${counts.catchingUp} catching up (continued next run)` : "",
        counts.failed ? `${counts.failed} failed` : "",
        counts.moved ? `${counts.moved} moved (npm run timeline -- status)` : "",
        counts.blocked ? `${plural(counts.blocked, "repost")} of blocked accounts skipped` : "",
      ].filter(Boolean);
      const waiting = deferred.length ? `; ${deferred.length} wait for the next run` : "";
      return {
        summary: `polled ${counts.polled} of ${plural(followedCount, "followed feed")}${parts.length ? `: ${parts.join(", ")}` : ""}${waiting}${membership.length ? ` (${membership.join(", ")})` : ""}`,
        failures: [...failures, ...notes],
      };
    },
  };
}

export const timelinePollJob: ScheduledJob = createTimelinePollJob();
