/**
 * What one stranger can make our own hub hold and store (docs/websub-atom.md, "The hub's limits").
 * Every subscription costs D1 rows when it is stored and a delivery (one subrequest, 2-3 rows) at every
 * deploy for as long as it lives, so the hub bounds:
 *   - how many subscriptions it holds (all, per client network that asked, per callback host), and
 *   - how many it stores a UTC day, new or renewed (per client network, and all together).
 * The counts are kept by triggers in websub_hub_counts (migrations/0010_websub_hub_limits.sql): a
 * request is checked by reading five rows by key, before anything is fetched or written, and a
 * refusal is an answer with its reason (WebSub §5.1.2: "an appropriate HTTP error response code (4xx
 * or 5xx)"), never a 202 for a subscription that will not be stored. Two requests racing for the last
 * place are settled when the subscription is stored (store.ts upsertSubscription re-checks the same
 * bounds in its one statement): the one that lost is denied as §5.2 says (hub.mode=denied).
 */
import type { Db } from "../shared/d1.ts";
import { secondsToNextUtcDay } from "../shared/dates.ts";
import type { Problem } from "../shared/problem.ts";

export interface HubLimits {
  /** Subscriptions the hub holds at most (each is a delivery at every deploy). */
  subscriptions: number;
  /** ... of them asked for from one client network (an IPv4 address, an IPv6 /64). */
  perNetwork: number;
  /** ... of them whose callback is on one host name. */
  perCallbackHost: number;
  /** Subscriptions one client network may have stored (new or renewed) in a UTC day. */
  storedPerNetworkPerDay: number;
  /** Subscriptions the whole hub stores (new or renewed) in a UTC day. */
  storedPerDay: number;
}

export const DEFAULT_HUB_LIMITS: HubLimits = {
  subscriptions: 500,
  perNetwork: 20,
  perCallbackHost: 20,
  storedPerNetworkPerDay: 50,
  storedPerDay: 500,
};

/** Who asks, for what: the keys the counts are kept under. */
export interface HubAsker {
  /** lib/worker-kit/rate-limit.ts clientNetworkKey of CF-Connecting-IP. */
  network: string;
  /** The callback URL's host name, lower case. */
  callbackHost: string;
  topic: string;
  callback: string;
}

export interface HubCounts {
  all: number;
  network: number;
  host: number;
  networkToday: number;
  allToday: number;
  /** The subscription is held already (a renewal). */
  held: boolean;
}

/** 'YYYY-MM-DD' of the UTC day of `nowMs`: the day counts' key. */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

export function callbackHostOf(callback: string): string {
  return new URL(callback).hostname.toLowerCase();
}

/** The counts that decide a request: one D1 call, six rows read by key, nothing written. */
export async function readHubCounts(db: Db, asker: HubAsker, nowMs: number): Promise<HubCounts> {
  const day = `day:${utcDay(nowMs)}:`;
  const row = await db
    .prepare(
      `SELECT
         (SELECT n FROM websub_hub_counts WHERE key = 'all') AS "all",
         (SELECT n FROM websub_hub_counts WHERE key = 'network:' || ?1) AS network,
         (SELECT n FROM websub_hub_counts WHERE key = 'host:' || ?2) AS host,
         (SELECT n FROM websub_hub_counts WHERE key = ?3 || 'network:' || ?1) AS networkToday,
         (SELECT n FROM websub_hub_counts WHERE key = ?3 || 'all') AS allToday,
         EXISTS (SELECT 1 FROM websub_subscriptions WHERE topic = ?4 AND callback = ?5) AS held`,
    )
    .bind(asker.network, asker.callbackHost, day, asker.topic, asker.callback)
    .first<Record<keyof HubCounts, number | null>>();
  return {
    all: row?.all ?? 0,
    network: row?.network ?? 0,
    host: row?.host ?? 0,
    networkToday: row?.networkToday ?? 0,
    allToday: row?.allToday ?? 0,
    held: Boolean(row?.held),
  };
}

export interface HubRefusal extends Problem {
  retryAfterSeconds?: number;
}

/**
 * Why a subscribe request will not be stored, or undefined when it may be. A renewal of a held
 * subscription takes no new place: only the day's bounds apply to it.
 */
export function hubRefusal(counts: HubCounts, limits: HubLimits, nowMs: number): HubRefusal | undefined {
  const tomorrow = secondsToNextUtcDay(nowMs);
  if (counts.networkToday >= limits.storedPerNetworkPerDay) {
    return {
      status: 429,
      detail: `your network has had ${limits.storedPerNetworkPerDay} subscriptions stored or renewed here today (UTC), the most it may; try again after 00:00 UTC`,
      retryAfterSeconds: tomorrow,
    };
  }
  if (counts.allToday >= limits.storedPerDay) {
    return {
      status: 503,
      detail: `this hub has stored or renewed ${limits.storedPerDay} subscriptions today (UTC), the most it does in a day; try again after 00:00 UTC`,
      retryAfterSeconds: tomorrow,
    };
  }
  if (counts.held) return undefined;
  if (counts.all >= limits.subscriptions) {
    return {
      status: 503,
      detail: `this hub holds ${limits.subscriptions} subscriptions, the most it serves; try again once leases have ended`,
      retryAfterSeconds: tomorrow,
    };
  }
  if (counts.network >= limits.perNetwork) {
    return { status: 429, detail: `your network holds ${limits.perNetwork} subscriptions here, the most one network may; unsubscribe one or let a lease end` };
  }
  if (counts.host >= limits.perCallbackHost) {
    return {
      status: 429,
      detail: `callbacks on this host hold ${limits.perCallbackHost} subscriptions here, the most one host may; unsubscribe one or let a lease end`,
    };
  }
  return undefined;
}
