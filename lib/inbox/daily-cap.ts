/**
 * The inbox's daily cap: at most INBOX_DAILY_CAP requests a UTC day from accounts the owner does not
 * follow or select are stored (default 2,000; "0" turns it off). Why: the rate limits bound each
 * client network (30 a minute) and each sender (10 a minute), but a sender with a few networks and
 * fresh user_ids could still make the inbox write most of the free plan's 100,000 D1 rows a day --
 * and then the whole site's D1 (timeline, outbox, sessions) fails until midnight UTC. With the cap,
 * strangers can cost at most about 2,000 x 4 rows a day; what the owner's friends send is never
 * counted or refused.
 *
 * The check and the count run inside the insert's own batch (lib/inbox/store.ts): the insert's WHERE
 * refuses when the day's count is reached, and the count goes up only if the insert happened
 * (SQLite's changes()), so a refusal writes nothing and concurrent requests cannot overshoot.
 */
import { formatIsoUtc } from "../shared/dates.ts";
import { parseInteger } from "../shared/integers.ts";

export const DEFAULT_DAILY_CAP = 2000;

export interface DailyCap {
  /** The UTC day counted, "2026-03-01". */
  day: string;
  /** Requests from strangers stored per day; 0 = no cap. */
  limit: number;
  /** A followed or selected sender: not counted, never refused. */
  exempt: boolean;
}

export function dailyCap(configured: string | undefined, nowMs: number, exempt: boolean): DailyCap {
  const limit = configured === undefined || configured === "" ? DEFAULT_DAILY_CAP : (parseInteger(configured.trim(), { min: 0 }) ?? DEFAULT_DAILY_CAP);
  return { day: formatIsoUtc(nowMs).slice(0, 10), limit, exempt };
}
