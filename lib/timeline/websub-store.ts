/**
 * D1 access of the timeline's WebSub subscriptions (migrations/0008_websub.sql, websub_follows):
 * one row per followed account -- whether its feed declares a hub, our callback token and secret,
 * the subscription's state and lease. Small functions, the database first, `?N` binds.
 */
import type { Db, DbStatement } from "../shared/d1.ts";

export type WebSubFollowState = "none" | "subscribing" | "active" | "unsubscribing" | "failed";

export interface WebSubFollowRow {
  user_id: string;
  token: string;
  secret: string;
  hub: string | null;
  topic: string | null;
  state: WebSubFollowState;
  lease_expires_ms: number | null;
  verified_ms: number | null;
  requested_ms: number | null;
  checked_ms: number;
  next_attempt_ms: number | null;
  attempts: number;
  last_error: string | null;
  pushes: number;
  pushed_ms: number | null;
}

const COLUMNS =
  "user_id, token, secret, hub, topic, state, lease_expires_ms, verified_ms, requested_ms, checked_ms, next_attempt_ms, attempts, last_error, pushes, pushed_ms";

export interface SubscriberState {
  rows: WebSubFollowRow[];
  /**
   * timeline_follows' feed URL of each account whose feed is polled somewhere else than its
   * user_link (it moved); any other is polled at its user_link. Only those rows come back: every
   * row read is parsed by the D1 binding in the isolate, and this job runs every 5 minutes.
   */
  feedUrls: Map<string, string>;
  /**
   * True: `rows` is every subscription row. False: only the rows that may need work now came back
   * (loadSubscriberState with `quiet`), and every followed account has a row: a followed account
   * without one in `rows` has nothing to do.
   */
  complete: boolean;
}

/** What the quiet read needs: the followed accounts and the job's times (websub-subscribe-job.ts). */
export interface QuietRead {
  /** JSON array of the followed accounts' user_ids (distinct). */
  followedJson: string;
  followedCount: number;
  nowMs: number;
  recheckMs: number;
  renewBeforeMs: number;
}

const MOVED_FEEDS = "SELECT user_id, feed_url FROM timeline_follows WHERE feed_url IS NOT user_link";

function feedUrlsOf(result: { results?: unknown[] } | undefined): Map<string, string> {
  return new Map(((result?.results ?? []) as { user_id: string; feed_url: string }[]).map((row) => [row.user_id, row.feed_url]));
}

/**
 * The subscription rows and where the followed feeds that moved are polled, in one D1 call.
 *
 * `quiet` (a run that is not `all`): SQLite returns only the rows that may need work -- rows of
 * accounts no longer followed, and of followed ones: no hub and due for a recheck or a retry
 * (exactly the job's test), subscribing (all: few), active with a lease ending within renewBeforeMs
 * or unknown (a superset of the job's renewal test) -- and counts the followed accounts that have a
 * row, in one scan; the job decides on those rows as on all of them. When a followed account has
 * no row yet (a new follow: discovery), every row is read (a second call).
 */
export async function loadSubscriberState(db: Db, quiet?: QuietRead): Promise<SubscriberState> {
  if (quiet) {
    const [summary, moved] = await db.batch<unknown>([
      db
        .prepare(
          `WITH followed AS (SELECT value AS user_id FROM json_each(?1))
           SELECT COUNT(f.user_id) AS present,
                  json_group_array(json_object(${COLUMNS.split(", ")
                    .map((column) => `'${column}', w.${column}`)
                    .join(", ")})) FILTER (WHERE f.user_id IS NULL
                    OR (w.state IN ('none', 'failed') AND (w.checked_ms + ?3 <= ?2 OR (w.next_attempt_ms IS NOT NULL AND w.next_attempt_ms <= ?2)))
                    OR w.state = 'subscribing'
                    OR (w.state = 'active' AND (w.lease_expires_ms IS NULL OR w.lease_expires_ms - ?2 <= ?4))) AS rows
           FROM websub_follows AS w LEFT JOIN followed AS f ON f.user_id = w.user_id`,
        )
        .bind(quiet.followedJson, quiet.nowMs, quiet.recheckMs, quiet.renewBeforeMs),
      db.prepare(MOVED_FEEDS),
    ]);
    const row = summary?.results[0] as { present?: number; rows?: string | null } | undefined;
    if (Number(row?.present ?? 0) === quiet.followedCount) {
      return { rows: JSON.parse(row?.rows ?? "[]") as WebSubFollowRow[], feedUrls: feedUrlsOf(moved), complete: false };
    }
  }
  const [rows, follows] = await db.batch<unknown>([db.prepare(`SELECT ${COLUMNS} FROM websub_follows`), db.prepare(MOVED_FEEDS)]);
  return { rows: (rows?.results ?? []) as WebSubFollowRow[], feedUrls: feedUrlsOf(follows), complete: true };
}

/** The whole row, inserted or replaced (the job's decisions: discovery, a request about to be sent). */
export function saveWebSubFollowStatement(db: Db, row: WebSubFollowRow): DbStatement {
  return db
    .prepare(
      `INSERT INTO websub_follows (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
       ON CONFLICT (user_id) DO UPDATE SET token = excluded.token, secret = excluded.secret, hub = excluded.hub, topic = excluded.topic,
         state = excluded.state, lease_expires_ms = excluded.lease_expires_ms, verified_ms = excluded.verified_ms, requested_ms = excluded.requested_ms,
         checked_ms = excluded.checked_ms,
         next_attempt_ms = excluded.next_attempt_ms, attempts = excluded.attempts, last_error = excluded.last_error`,
    )
    .bind(
      row.user_id,
      row.token,
      row.secret,
      row.hub,
      row.topic,
      row.state,
      row.lease_expires_ms,
      row.verified_ms,
      row.requested_ms,
      row.checked_ms,
      row.next_attempt_ms,
      row.attempts,
      row.last_error,
      row.pushes,
      row.pushed_ms,
    );
}

/**
 * A request that failed: count it and say when to try again -- only while the row is still in the
 * state the request was sent from (a verification may have arrived meanwhile; it wins).
 */
export function requestFailedStatement(
  db: Db,
  userId: string,
  fromState: WebSubFollowState,
  failure: { attempts: number; nextAttemptMs: number | null; error: string; state?: WebSubFollowState },
): DbStatement {
  return db
    .prepare("UPDATE websub_follows SET attempts = ?3, next_attempt_ms = ?4, last_error = ?5, state = ?6 WHERE user_id = ?1 AND state = ?2")
    .bind(userId, fromState, failure.attempts, failure.nextAttemptMs, failure.error, failure.state ?? fromState);
}

export function deleteWebSubFollowStatement(db: Db, userId: string): DbStatement {
  return db.prepare("DELETE FROM websub_follows WHERE user_id = ?1").bind(userId);
}

/** What a callback request needs: the subscription and the follow's timeline state. */
export interface CallbackTarget extends WebSubFollowRow {
  username: string | null;
  name: string | null;
  feed_url: string | null;
  seen: string | null;
  newest_item_ms: number | null;
  oldest_first: number | null;
}

/** The subscription a callback URL names (its token), with the follow's row; one D1 read. */
export async function findByToken(db: Db, token: string): Promise<CallbackTarget | null> {
  return db
    .prepare(
      `SELECT w.user_id, w.token, w.secret, w.hub, w.topic, w.state, w.lease_expires_ms, w.verified_ms, w.requested_ms, w.checked_ms, w.next_attempt_ms, w.attempts,
              w.last_error, w.pushes, w.pushed_ms, f.username, f.name, f.feed_url, f.seen, f.newest_item_ms, f.oldest_first
       FROM websub_follows AS w LEFT JOIN timeline_follows AS f ON f.user_id = w.user_id WHERE w.token = ?1`,
    )
    .bind(token)
    .first<CallbackTarget>();
}

/** §5.3 verified (subscribe): the lease runs from now; a renewal no longer waits. */
export async function markActive(db: Db, userId: string, nowMs: number, leaseSeconds: number): Promise<void> {
  await db
    .prepare(
      "UPDATE websub_follows SET state = 'active', verified_ms = ?2, lease_expires_ms = ?3, attempts = 0, next_attempt_ms = NULL, last_error = NULL WHERE user_id = ?1",
    )
    .bind(userId, nowMs, nowMs + leaseSeconds * 1000)
    .run();
}

/** §5.2: the hub denied the subscription; look for a hub again after `recheckAtMs`. */
export async function markDenied(db: Db, userId: string, reason: string, recheckAtMs: number): Promise<void> {
  await db
    .prepare("UPDATE websub_follows SET state = 'failed', lease_expires_ms = NULL, next_attempt_ms = ?2, last_error = ?3 WHERE user_id = ?1")
    .bind(userId, recheckAtMs, reason)
    .run();
}

export async function deleteWebSubFollow(db: Db, userId: string): Promise<void> {
  await deleteWebSubFollowStatement(db, userId).run();
}

/** A valid delivery was stored: count it (part of the push's batch). */
export function pushedStatement(db: Db, userId: string, nowMs: number): DbStatement {
  return db.prepare("UPDATE websub_follows SET pushes = pushes + 1, pushed_ms = ?2 WHERE user_id = ?1").bind(userId, nowMs);
}

/** Followed accounts a hub pushes to us now (verified, lease running): the poller polls them only as a backup. */
export async function hubFedFollows(db: Db, nowMs: number): Promise<Set<string>> {
  const { results } = await db
    .prepare("SELECT user_id FROM websub_follows WHERE state = 'active' AND lease_expires_ms > ?1")
    .bind(nowMs)
    .all<{ user_id: string }>();
  return new Set(results.map((row) => row.user_id));
}
