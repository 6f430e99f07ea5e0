/**
 * Webmentions we send, in D1 (migrations/0015_webmention_sends.sql): one row per (our post, target).
 * Small functions, the database first; every write one statement or one batch. The fingerprint of
 * the last list reconciled lives in the outbox's outbox_meta (key 'webmentions').
 */
import type { WebmentionSendItem, WebmentionSendState } from "../shared/api-types.ts";
import type { Db, DbStatement } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";

export const SENDS_DIGEST_KEY = "webmentions";
/** The fingerprint a row is queued for once its post is deleted (§3.1.5). */
export const DELETED = "deleted";
/** Rows a reconcile reads back (the newest): a deletion is noticed for posts among them. */
export const RECONCILE_READ = 500;
const CHUNK = 50;

const COLUMNS =
  "id, post_id, source, target, reason, state, endpoint, http_status, attempts, next_attempt_at, detail, created_at, updated_at, sent_at, fingerprint, sent_fingerprint";

/** A row as the job sees it: the API's item and what was sent. */
export interface SendRow extends WebmentionSendItem {
  fingerprint: string;
  sent_fingerprint: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : formatIsoUtc(ms));

/** The last list's fingerprint and the due rows, in one D1 call. */
export async function readSendQueue(db: Db, dueBeforeMs: number, nowMs: number, limit: number): Promise<{ digest: string | null; due: SendRow[] }> {
  const [meta, due] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT value FROM outbox_meta WHERE key = ?1").bind(SENDS_DIGEST_KEY),
    db
      .prepare(
        `SELECT ${COLUMNS} FROM webmention_sends
         WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?2)
         ORDER BY next_attempt_at, id LIMIT ?3`,
      )
      .bind(formatIsoUtc(dueBeforeMs), formatIsoUtc(nowMs), limit),
  ]);
  const digest = meta?.results[0]?.value;
  return { digest: typeof digest === "string" ? digest : null, due: (due?.results ?? []) as unknown as SendRow[] };
}

/** What a reconcile reads: the newest rows. */
export async function recentSends(db: Db): Promise<SendRow[]> {
  const { results } = await db.prepare(`SELECT ${COLUMNS} FROM webmention_sends ORDER BY id DESC LIMIT ?1`).bind(RECONCILE_READ).all<SendRow>();
  return results;
}

/** One change a reconcile makes. */
export type SendChange =
  | { op: "insert"; postId: number; source: string; target: string; fingerprint: string }
  | { op: "requeue"; id: number; fingerprint: string; reason: "new" | "updated" | "deleted" }
  | { op: "cancel"; id: number; fingerprint: string; detail: string }
  | { op: "mark"; id: number; fingerprint: string };

function changeStatement(db: Db, change: SendChange, now: string): DbStatement {
  switch (change.op) {
    case "insert":
      return db
        .prepare(
          `INSERT INTO webmention_sends (post_id, source, target, fingerprint, next_attempt_at, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5) ON CONFLICT (post_id, target) DO NOTHING`,
        )
        .bind(change.postId, change.source, change.target, change.fingerprint, now);
    case "requeue":
      return db
        .prepare(
          `UPDATE webmention_sends SET state = 'queued', reason = ?3, fingerprint = ?2, attempts = 0, next_attempt_at = ?4,
             lease_until = NULL, detail = NULL, updated_at = ?4 WHERE id = ?1`,
        )
        .bind(change.id, change.fingerprint, change.reason, now);
    case "cancel":
      return db
        .prepare(
          `UPDATE webmention_sends SET state = 'cancelled', fingerprint = ?2, detail = ?3, next_attempt_at = NULL, lease_until = NULL, updated_at = ?4
           WHERE id = ?1 AND state = 'queued'`,
        )
        .bind(change.id, change.fingerprint, change.detail, now);
    default:
      return db.prepare("UPDATE webmention_sends SET fingerprint = ?2, updated_at = ?3 WHERE id = ?1").bind(change.id, change.fingerprint, now);
  }
}

/** Apply a reconcile's changes and store the list's fingerprint (in batches of CHUNK statements). */
export async function applySendChanges(db: Db, changes: readonly SendChange[], digest: string, nowMs: number): Promise<void> {
  const now = formatIsoUtc(nowMs);
  const all = [
    ...changes.map((change) => changeStatement(db, change, now)),
    db.prepare("INSERT INTO outbox_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value").bind(SENDS_DIGEST_KEY, digest),
  ];
  for (let start = 0; start < all.length; start += CHUNK) await db.batch(all.slice(start, start + CHUNK));
}

/** Claim rows for this run: only those still queued and not leased by another run come back. */
export async function claimSends(db: Db, ids: readonly number[], nowMs: number, leaseUntilMs: number): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `UPDATE webmention_sends SET lease_until = ?1
       WHERE id IN (SELECT value FROM json_each(?2)) AND state = 'queued' AND (lease_until IS NULL OR lease_until <= ?3) RETURNING id`,
    )
    .bind(formatIsoUtc(leaseUntilMs), JSON.stringify(ids), formatIsoUtc(nowMs))
    .all<{ id: number }>();
  return new Set(results.map((row) => row.id));
}

export async function releaseSends(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.prepare("UPDATE webmention_sends SET lease_until = NULL WHERE id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(ids)).run();
}

/** Rows waiting for their post to be live: when to look again and why, one batch (updated_at stays: the wait is counted from it). */
export async function recordSendWaits(db: Db, waits: readonly { id: number; nextAttemptAtMs: number; detail: string }[]): Promise<void> {
  if (waits.length === 0) return;
  await db.batch(
    waits.map((wait) =>
      db
        .prepare("UPDATE webmention_sends SET next_attempt_at = ?2, detail = ?3 WHERE id = ?1 AND state = 'queued'")
        .bind(wait.id, formatIsoUtc(wait.nextAttemptAtMs), wait.detail),
    ),
  );
}

export interface SendOutcome {
  state: Exclude<WebmentionSendState, "cancelled">;
  detail: string | null;
  /** A POST was made (counts as an attempt). */
  attempted: boolean;
  endpoint?: string;
  httpStatus?: number;
  /** Only for `queued`: when to try again. */
  nextAttemptAtMs?: number;
}

/** Record how one send ended; a sent row remembers the fingerprint it was sent for. */
export async function recordSendOutcome(db: Db, id: number, outcome: SendOutcome, nowMs: number): Promise<void> {
  const now = formatIsoUtc(nowMs);
  await db
    .prepare(
      `UPDATE webmention_sends SET state = ?2, detail = ?3, attempts = attempts + ?4, endpoint = COALESCE(?5, endpoint),
         http_status = COALESCE(?6, http_status), next_attempt_at = ?7, lease_until = NULL, updated_at = ?8,
         sent_at = CASE WHEN ?2 = 'sent' THEN ?8 ELSE sent_at END,
         sent_fingerprint = CASE WHEN ?2 = 'sent' THEN fingerprint ELSE sent_fingerprint END
       WHERE id = ?1`,
    )
    .bind(
      id,
      outcome.state,
      outcome.detail,
      outcome.attempted ? 1 : 0,
      outcome.endpoint ?? null,
      outcome.httpStatus ?? null,
      outcome.state === "queued" ? iso(outcome.nextAttemptAtMs ?? nowMs) : null,
      now,
    )
    .run();
}

/** GET /api/outbox/webmentions: newest first, `before` an id. */
export async function listSends(db: Db, query: { limit: number; beforeId?: number; postId?: number }): Promise<WebmentionSendItem[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM webmention_sends WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR post_id = ?2) ORDER BY id DESC LIMIT ?3`)
    .bind(query.beforeId ?? null, query.postId ?? null, query.limit)
    .all<SendRow>();
  return results.map(({ fingerprint: _f, sent_fingerprint: _s, ...item }) => item);
}

/** Put a failed or no-endpoint row back in the queue (npm run outbox -- retry-webmention <id>). */
export async function requeueSend(db: Db, id: number, nowMs: number): Promise<"queued" | "missing" | "not-retryable"> {
  const now = formatIsoUtc(nowMs);
  const { results } = await db
    .prepare(
      `UPDATE webmention_sends SET state = 'queued', attempts = 0, next_attempt_at = ?2, detail = NULL, updated_at = ?2
       WHERE id = ?1 AND state IN ('failed', 'no-endpoint') RETURNING id`,
    )
    .bind(id, now)
    .all<{ id: number }>();
  if (results.length > 0) return "queued";
  const exists = await db.prepare("SELECT id FROM webmention_sends WHERE id = ?1").bind(id).first<{ id: number }>();
  return exists ? "not-retryable" : "missing";
}
