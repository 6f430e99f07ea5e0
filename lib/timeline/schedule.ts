/**
 * When a followed feed is polled. Pure arithmetic on minutes: no clock, no D1.
 *
 * Adaptive: how often a feed is polled follows how recently its author posted (the newest item's
 * date, the one observation of posting every poll already makes). Someone who posted within the
 * hour is polled every 5 minutes; someone silent for three days or more every 4 hours. The intervals
 * all divide a day (1440 minutes), so each feed has fixed SLOTS: minutes m with (m + phase) % interval
 * == 0, where the phase comes from a hash of the user_id and spreads feeds evenly over the minutes.
 *
 * Why slots and not a stored "next poll" time: a poll that finds nothing new (a 304, the common case)
 * then writes nothing at all to D1 -- the next slot is already known. 300 feeds polled on a stored
 * next_poll_at would write a row per poll, thousands a day of the free plan's 100,000; with slots
 * the poller writes one row per run (the last run's minute, so slots missed while the Worker did not
 * run are caught up) plus rows for what actually changed.
 *
 * A stored due time (timeline_follows.due_at) overrides the slots when a feed must be polled at a
 * time of its own: a new follow (at once), a catch-up walk in progress (next run), a poll the run had
 * no budget left for (next run), a failure (exponential backoff, bounded).
 */

export const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MINUTES = 24 * 60;

/** Age of the newest post -> minutes between polls. Every interval divides 1440. */
export const POLL_TIERS: readonly { youngerThanMs: number; minutes: number }[] = [
  { youngerThanMs: HOUR_MS, minutes: 5 },
  { youngerThanMs: 3 * HOUR_MS, minutes: 10 },
  { youngerThanMs: 6 * HOUR_MS, minutes: 15 },
  { youngerThanMs: 12 * HOUR_MS, minutes: 30 },
  { youngerThanMs: 24 * HOUR_MS, minutes: 60 },
  { youngerThanMs: 72 * HOUR_MS, minutes: 120 },
];
export const MIN_POLL_MINUTES = 5;
export const MAX_POLL_MINUTES = 240;

/** Minutes between polls of a feed whose newest post is dated `newestItemMs` (null: no post seen yet). */
export function pollIntervalMinutes(newestItemMs: number | null, nowMs: number): number {
  if (newestItemMs === null) return MAX_POLL_MINUTES;
  const age = Math.max(0, nowMs - newestItemMs);
  for (const tier of POLL_TIERS) if (age < tier.youngerThanMs) return tier.minutes;
  return MAX_POLL_MINUTES;
}

/** Backoff after `failures` failed polls in a row: 5, 10, 20, ... minutes, at most 6 hours (then every 6 hours). */
export const MAX_BACKOFF_MINUTES = 360;
export function backoffMinutes(failures: number): number {
  return Math.min(MAX_BACKOFF_MINUTES, 5 * 2 ** Math.max(0, Math.min(failures, 20) - 1));
}

/** A feed's phase in [0, 1440): FNV-1a of its user_id, so the same account keeps its minutes. */
export function phaseOf(userId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % DAY_MINUTES;
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

/** The first slot minute >= `fromMinute`. */
export function nextSlotMinute(fromMinute: number, phase: number, interval: number): number {
  return fromMinute + mod(-(fromMinute + phase), interval);
}

/** The last slot minute <= `atMinute`. */
export function lastSlotMinute(atMinute: number, phase: number, interval: number): number {
  return atMinute - mod(atMinute + phase, interval);
}

/**
 * Is there a slot in (lastRunMinute, nowMinute]? The range covers minutes in which the Worker did not
 * run (a skipped cron, `npm start`'s timer drifting past a minute), so no slot is lost; it is capped
 * at a day (every feed is due then anyway). No last run: only this minute counts.
 */
export function slotDue(lastRunMinute: number | null, nowMinute: number, phase: number, interval: number): boolean {
  const from = lastRunMinute === null ? nowMinute : Math.max(lastRunMinute + 1, nowMinute - DAY_MINUTES + 1);
  if (from > nowMinute) return false;
  return nextSlotMinute(from, phase, interval) <= nowMinute;
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}
