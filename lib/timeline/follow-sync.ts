/**
 * The follows D1 keeps, made to match follows.yaml as the build bundled it (SiteConfig.follows), and
 * the schedule's question for each: is it due now? The poll job (poll-job.ts) asks these every run.
 *
 * A new follow gets a row and is polled at once (bounded backfill); an unfollowed account's row is
 * deleted (its stored items stay in the timeline, unless the account is now in blocks.yaml, which
 * deletes them); a changed user_link (`npm run follow -- <new URL>` after a relocation) is taken over.
 */
import type { SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import type { JobContext } from "../worker-kit/jobs.ts";
import { followedAccounts, matchesIdentity } from "./items.ts";
import { phaseOf, pollIntervalMinutes, slotDue } from "./schedule.ts";
import {
  deleteFollowStatement,
  deleteItemsOfStatement,
  type FollowBrief,
  type FollowRow,
  type FollowUpdate,
  insertFollowStatement,
  updateFollowStatement,
} from "./store.ts";
import { HUB_FED_POLL_MINUTES } from "./websub-subscribe-job.ts";

export interface Reconciled {
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
    items_day_ms: null,
    items_today: 0,
    paused_until_ms: null,
  };
}

/**
 * D1's follow rows made to match follows.yaml; writes (one batch) only what differs. This runs every
 * minute over every follow, so the common case -- nothing changed -- allocates nothing per follow: the
 * row read from D1 is used as it is.
 */
export async function reconcile(context: JobContext, rows: FollowBrief[]): Promise<Reconciled> {
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
export interface ListedFollows {
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
