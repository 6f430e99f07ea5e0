/**
 * D1 access of the publisher and the hub (migrations/0008_websub.sql): small functions, the database
 * first, `?N` binds. Statement builders return prepared statements so a run writes all it learned in
 * ONE batch (one subrequest).
 */
import type { Db, DbStatement } from "../shared/d1.ts";
import { type HubLimits, utcDay } from "./hub-limits.ts";

// ---------------------------------------------------------------------------------------------
// Publisher: websub_pings

export type PingState = "waiting" | "sent" | "failed";

export interface PingRow {
  hub: string;
  topic: string;
  sha256: string;
  state: PingState;
  attempts: number;
  first_seen_ms: number;
  next_attempt_ms: number | null;
  http_status: number | null;
  last_error: string | null;
  updated_ms: number;
}

const PING_COLUMNS = "hub, topic, sha256, state, attempts, first_seen_ms, next_attempt_ms, http_status, last_error, updated_ms";

export async function loadPings(db: Db): Promise<PingRow[]> {
  const { results } = await db.prepare(`SELECT ${PING_COLUMNS} FROM websub_pings`).all<PingRow>();
  return results;
}

export function savePingStatement(db: Db, row: PingRow): DbStatement {
  return db
    .prepare(
      `INSERT INTO websub_pings (${PING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
       ON CONFLICT (hub, topic) DO UPDATE SET sha256 = excluded.sha256, state = excluded.state, attempts = excluded.attempts,
         first_seen_ms = excluded.first_seen_ms, next_attempt_ms = excluded.next_attempt_ms, http_status = excluded.http_status,
         last_error = excluded.last_error, updated_ms = excluded.updated_ms`,
    )
    .bind(row.hub, row.topic, row.sha256, row.state, row.attempts, row.first_seen_ms, row.next_attempt_ms, row.http_status, row.last_error, row.updated_ms);
}

/** Pings of hubs the profile no longer lists (or topics no longer published): forgotten. */
export function deleteOtherPingsStatement(db: Db, keep: readonly { hub: string; topic: string }[]): DbStatement {
  return db
    .prepare(
      "DELETE FROM websub_pings WHERE NOT EXISTS (SELECT 1 FROM json_each(?1) AS k WHERE json_extract(k.value, '$.hub') = hub AND json_extract(k.value, '$.topic') = topic)",
    )
    .bind(JSON.stringify(keep));
}

// ---------------------------------------------------------------------------------------------
// Hub: websub_subscriptions

export interface SubscriptionRow {
  topic: string;
  callback: string;
  secret: string | null;
  lease_seconds: number;
  expires_ms: number;
  created_ms: number;
  pending_sha256: string | null;
  next_attempt_ms: number | null;
  attempts: number;
  delivered_sha256: string | null;
  delivered_ms: number | null;
  last_status: number | null;
  last_error: string | null;
}

const SUBSCRIPTION_COLUMNS =
  "topic, callback, secret, lease_seconds, expires_ms, created_ms, pending_sha256, next_attempt_ms, attempts, delivered_sha256, delivered_ms, last_status, last_error";

/**
 * A verified subscription (§5.3), new or renewed: a renewal keeps the delivery state, its network and
 * host, and takes the new secret and lease. Stored only while the hub's bounds allow it (hub-limits.ts,
 * checked again here in the same statement, so two requests racing for the last place cannot both
 * win): false = nothing written. A new one is counted by the triggers of migration 0010.
 */
export async function upsertSubscription(
  db: Db,
  subscription: { topic: string; callback: string; secret: string | null; lease_seconds: number; now: number; network: string; callback_host: string },
  limits: HubLimits,
): Promise<boolean> {
  const { topic, callback, secret, lease_seconds, now, network, callback_host } = subscription;
  const day = `day:${utcDay(now)}:`;
  const count = (key: string) => `COALESCE((SELECT n FROM websub_hub_counts WHERE key = ${key}), 0)`;
  const result = await db
    .prepare(
      `INSERT INTO websub_subscriptions (topic, callback, secret, lease_seconds, expires_ms, created_ms, network, callback_host)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
       WHERE ${count("?9 || 'network:' || ?7")} < ?10 AND ${count("?9 || 'all'")} < ?11
         AND (EXISTS (SELECT 1 FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2)
              OR (${count("'all'")} < ?12 AND ${count("'network:' || ?7")} < ?13 AND ${count("'host:' || ?8")} < ?14))
       ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, lease_seconds = excluded.lease_seconds, expires_ms = excluded.expires_ms`,
    )
    .bind(
      topic,
      callback,
      secret,
      lease_seconds,
      now + lease_seconds * 1000,
      now,
      network,
      callback_host,
      day,
      limits.storedPerNetworkPerDay,
      limits.storedPerDay,
      limits.subscriptions,
      limits.perNetwork,
      limits.perCallbackHost,
    )
    .run();
  return result.meta.changes > 0;
}

/** The hourly sweep: the day counts of past days, and counts that came down to nothing. */
export function deleteStaleCountsStatement(db: Db, now: number): DbStatement {
  return db.prepare("DELETE FROM websub_hub_counts WHERE (key >= 'day:' AND key < ?1) OR (key NOT LIKE 'day:%' AND n <= 0)").bind(`day:${utcDay(now)}`);
}

export async function deleteSubscription(db: Db, topic: string, callback: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2").bind(topic, callback).run();
  return result.meta.changes > 0;
}

/**
 * A deploy changed `topic`: every live subscription of it gets a delivery of page `sha256`, due now
 * (a delivery still pending from an earlier deploy now delivers the newer page: one POST, not two).
 */
export function queueDeliveriesStatement(db: Db, topic: string, sha256: string, now: number): DbStatement {
  return db
    .prepare(
      `UPDATE websub_subscriptions SET pending_sha256 = ?2, next_attempt_ms = ?3, attempts = 0
       WHERE topic = ?1 AND expires_ms > ?3 AND (delivered_sha256 IS NOT ?2 OR pending_sha256 IS NOT NULL)`,
    )
    .bind(topic, sha256, now);
}

/** Deliveries due at `now`, oldest first, at most `limit`. */
export function dueDeliveriesStatement(db: Db, now: number, limit: number): DbStatement {
  return db
    .prepare(`SELECT ${SUBSCRIPTION_COLUMNS} FROM websub_subscriptions WHERE next_attempt_ms <= ?1 AND expires_ms > ?1 ORDER BY next_attempt_ms LIMIT ?2`)
    .bind(now, limit);
}

/** A run is about to try these deliveries: one more attempt each, due again at `untilMs` unless an outcome is recorded. */
export function claimDeliveriesStatement(db: Db, rows: readonly Pick<SubscriptionRow, "topic" | "callback">[], untilMs: number): DbStatement {
  return db
    .prepare(
      `UPDATE websub_subscriptions SET attempts = attempts + 1, next_attempt_ms = ?2
       WHERE EXISTS (SELECT 1 FROM json_each(?1) AS k WHERE json_extract(k.value, '$.topic') = topic AND json_extract(k.value, '$.callback') = callback)`,
    )
    .bind(JSON.stringify(rows.map((row) => ({ topic: row.topic, callback: row.callback }))), untilMs);
}

/** §5.1 "lease_seconds": a subscription not renewed in time ends. */
export function deleteExpiredStatement(db: Db, now: number): DbStatement {
  // RETURNING: D1's meta.changes also counts what the triggers of migration 0010 change.
  return db.prepare("DELETE FROM websub_subscriptions WHERE expires_ms <= ?1 RETURNING topic").bind(now);
}

export type DeliveryOutcome =
  | { kind: "delivered"; sha256: string; status: number }
  | { kind: "retry"; attempts: number; nextAttemptMs: number; status: number | null; error: string }
  | { kind: "given-up"; attempts: number; status: number | null; error: string }
  | { kind: "gone" };

export function recordDeliveryStatement(db: Db, row: Pick<SubscriptionRow, "topic" | "callback">, outcome: DeliveryOutcome, now: number): DbStatement {
  switch (outcome.kind) {
    case "delivered":
      return db
        .prepare(
          `UPDATE websub_subscriptions SET pending_sha256 = NULL, next_attempt_ms = NULL, attempts = 0, delivered_sha256 = ?3, delivered_ms = ?4,
             last_status = ?5, last_error = NULL WHERE topic = ?1 AND callback = ?2`,
        )
        .bind(row.topic, row.callback, outcome.sha256, now, outcome.status);
    case "retry":
      return db
        .prepare("UPDATE websub_subscriptions SET attempts = ?3, next_attempt_ms = ?4, last_status = ?5, last_error = ?6 WHERE topic = ?1 AND callback = ?2")
        .bind(row.topic, row.callback, outcome.attempts, outcome.nextAttemptMs, outcome.status, outcome.error);
    case "given-up":
      return db
        .prepare(
          "UPDATE websub_subscriptions SET pending_sha256 = NULL, next_attempt_ms = NULL, attempts = ?3, last_status = ?4, last_error = ?5 WHERE topic = ?1 AND callback = ?2",
        )
        .bind(row.topic, row.callback, outcome.attempts, outcome.status, outcome.error);
    default:
      // §7: a 410 Gone ends the subscription.
      return db.prepare("DELETE FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2").bind(row.topic, row.callback);
  }
}
