/**
 * What one followed feed may store: a number of new items a run and a number a UTC day. A feed that
 * turns hostile -- an endless next_node chain of fresh guids, a head whose guids change every poll --
 * would otherwise store items in every run all day (a run every minute while it "catches up"). Over
 * its day's number the feed is paused until the next UTC midnight, with the reason in its status
 * (npm run timeline -- status, GET /api/timeline/follows, the owner's timeline page), and its catch-up
 * cursor kept, so a real backlog is still read, a day's share at a time. Pure: no clock, no D1.
 *
 * docs/timeline.md has the arithmetic: the defaults hold one feed to under 2% of the free plan's
 * 100,000 D1 rows a day.
 */
import { formatIsoUtc } from "../shared/dates.ts";
import type { FollowRow, FollowUpdate } from "./store.ts";

export interface FeedQuota {
  /** New items one feed may store in one run. */
  itemsPerRun: number;
  /** New items one feed may store in one UTC day; reaching it pauses the feed until the next day. */
  itemsPerDay: number;
}

export const DEFAULT_FEED_QUOTA: FeedQuota = { itemsPerRun: 40, itemsPerDay: 400 };

export const DAY_MS = 86_400_000;

/** Rows a stored item writes at most (store.ts: the row, two indexes, the mentions index). */
export const ROWS_PER_ITEM = 4;

/** Midnight UTC of the day `ms` falls in. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

type QuotaColumns = Pick<FollowRow, "items_day_ms" | "items_today" | "paused_until_ms">;

export function storedToday(row: QuotaColumns, nowMs: number): number {
  return row.items_day_ms === dayOf(nowMs) ? row.items_today : 0;
}

/** New items this feed's poll may store now (0: it is over its day's number). */
export function itemsAllowed(row: QuotaColumns, nowMs: number, quota: FeedQuota): number {
  return Math.max(0, Math.min(quota.itemsPerRun, quota.itemsPerDay - storedToday(row, nowMs)));
}

/**
 * Columns to write after a poll that stored `items` new items: the day's count, and the pause when it
 * reaches the day's number (due at the next midnight; the reason in last_error for the owner).
 */
export function quotaUpdate(row: QuotaColumns, nowMs: number, items: number, quota: FeedQuota): { update: FollowUpdate; pausedReason?: string } {
  const update: FollowUpdate = {};
  if (row.paused_until_ms !== null && row.paused_until_ms <= nowMs) update.paused_until_ms = null;
  if (items <= 0) return { update };
  const day = dayOf(nowMs);
  const total = storedToday(row, nowMs) + items;
  update.items_day_ms = day;
  update.items_today = total;
  if (total < quota.itemsPerDay) return { update };
  const until = day + DAY_MS;
  const pausedReason = `paused until ${formatIsoUtc(until)}: ${total} items stored today, the most one followed feed may store in a day (docs/timeline.md); reading continues then where it stopped`;
  Object.assign(update, { paused_until_ms: until, due_ms: until, last_error: pausedReason });
  return { update, pausedReason };
}
