/**
 * The outbox's D1 access (migrations/0004_outbox.sql): one small function per query, the database
 * first, `?N` binds, and SQL aliases that make each row the owner API's OutboxItem as it is.
 *
 * Every write is one statement or one batch, so each is atomic: a message is stored as sent in the
 * same batch that records its outbox row as sent, and a reconcile either happens whole or not at all.
 * Lists of ids travel as one JSON text (json_each), so a statement never needs more than a few binds
 * (D1 allows 100).
 */
import type { OutboxItem, OutboxKind, OutboxState } from "../shared/api-types.ts";
import type { Db, DbStatement } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";
import { normalizeUserLink } from "../shared/urls.ts";

/** outbox_meta key of the fingerprint of the last notification list reconciled. */
export const DIGEST_KEY = "notifications";

export const ITEM_COLUMNS = `id, kind, post_id, status_id, peer_user_id AS user_id, peer_username AS username, peer_user_link AS user_link,
  body AS message, date_raw AS date, target_url, state, attempts, http_status, next_attempt_at, last_error, message_id, created_at, updated_at, sent_at`;

/** The other party of a row: the account notified or the recipient of a message. */
export interface Peer {
  user_id: string;
  username: string;
  user_link: string;
}

export function normalizedLink(link: string): string {
  return normalizeUserLink(link) ?? link;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : formatIsoUtc(ms));

// ---------------------------------------------------------------------------------------------
// The queue

export interface QueueState {
  /** The fingerprint of the last list reconciled; null before the first. */
  digest: string | null;
  /** Queued rows due by `dueBeforeMs` and not leased by another run, oldest due first. */
  due: OutboxItem[];
}

/** The queue's state in one D1 call. */
export async function readQueue(db: Db, dueBeforeMs: number, nowMs: number, limit: number): Promise<QueueState> {
  const [meta, due] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT value FROM outbox_meta WHERE key = ?1").bind(DIGEST_KEY),
    db
      .prepare(
        `SELECT ${ITEM_COLUMNS} FROM outbox
         WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?2)
         ORDER BY next_attempt_at, id LIMIT ?3`,
      )
      .bind(formatIsoUtc(dueBeforeMs), formatIsoUtc(nowMs), limit),
  ]);
  const digest = meta?.results[0]?.value;
  return { digest: typeof digest === "string" ? digest : null, due: (due?.results ?? []) as unknown as OutboxItem[] };
}

/**
 * Claim rows for this run: only those still queued and not leased by another run come back. A
 * claim writes one row (lease_until is not indexed); an outcome clears it. A run that dies leaves
 * the lease to expire, and the row is sent again after it (see the crash window in send-job.ts).
 */
export async function claim(db: Db, ids: readonly number[], nowMs: number, leaseUntilMs: number): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const { results } = await db
    .prepare(
      `UPDATE outbox SET lease_until = ?1
       WHERE id IN (SELECT value FROM json_each(?2)) AND state = 'queued' AND (lease_until IS NULL OR lease_until <= ?3)
       RETURNING id`,
    )
    .bind(formatIsoUtc(leaseUntilMs), JSON.stringify(ids), formatIsoUtc(nowMs))
    .all<{ id: number }>();
  return new Set(results.map((row) => row.id));
}

/** Give claimed rows back untouched (the run ran out of budget before trying them). */
export async function release(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.prepare("UPDATE outbox SET lease_until = NULL WHERE id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(ids)).run();
}

/** A row that waits for its post to be live: when to look again, and why (one batch for all). */
export interface Wait {
  id: number;
  nextAttemptAtMs: number;
  note: string;
}

export async function recordWaits(db: Db, waits: readonly Wait[], nowMs: number): Promise<void> {
  if (waits.length === 0) return;
  await db.batch(
    waits.map((wait) =>
      db
        .prepare("UPDATE outbox SET next_attempt_at = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1 AND state = 'queued'")
        .bind(wait.id, formatIsoUtc(wait.nextAttemptAtMs), wait.note, formatIsoUtc(nowMs)),
    ),
  );
}

/** How one attempt ended, as stored. */
export interface Outcome {
  state: Exclude<OutboxState, "cancelled">;
  /** Why it is not sent (yet); null when sent. */
  detail: string | null;
  /** A POST was made (counts as an attempt). */
  attempted: boolean;
  httpStatus?: number;
  /** Queued: when to try again. */
  nextAttemptAtMs?: number;
  targetUrl?: string;
  /** Their username, when the row had none (a reply_to without one). */
  username?: string;
}

function outcomeStatement(db: Db, id: number, outcome: Outcome, nowMs: number, messageLookup?: { peerUserId: string; sentAtIso: string; body: string }) {
  return db
    .prepare(
      `UPDATE outbox SET state = ?2, last_error = ?3, http_status = COALESCE(?4, http_status), attempts = attempts + ?5,
         next_attempt_at = ?6, lease_until = NULL, target_url = COALESCE(?7, target_url),
         peer_username = CASE WHEN peer_username = '' THEN COALESCE(?8, '') ELSE peer_username END,
         updated_at = ?9, sent_at = CASE WHEN ?2 = 'sent' THEN ?9 ELSE sent_at END,
         message_id = COALESCE((SELECT id FROM messages WHERE direction = 'sent' AND peer_user_id = ?10 AND sent_at_iso = ?11 AND body = ?12), message_id)
       WHERE id = ?1`,
    )
    .bind(
      id,
      outcome.state,
      outcome.detail,
      outcome.httpStatus ?? null,
      outcome.attempted ? 1 : 0,
      outcome.state === "queued" ? iso(outcome.nextAttemptAtMs ?? nowMs) : null,
      outcome.targetUrl ?? null,
      outcome.username ?? null,
      formatIsoUtc(nowMs),
      messageLookup?.peerUserId ?? null,
      messageLookup?.sentAtIso ?? null,
      messageLookup?.body ?? null,
    );
}

export async function recordOutcome(db: Db, id: number, outcome: Outcome, nowMs: number): Promise<void> {
  await outcomeStatement(db, id, outcome, nowMs).run();
}

// ---------------------------------------------------------------------------------------------
// Messages

/** A private message as sent: the text and the date string exactly as they went out. */
export interface SentMessage {
  peer: Peer;
  body: string;
  dateRaw: string;
  dateEpochMs: number;
}

/** ?1-?6 of both tables a sent message is stored in: the peer (and its normalized link), the text, the date as sent. */
function messageValues({ peer, body, dateRaw }: SentMessage): string[] {
  return [peer.user_id, peer.username, peer.user_link, normalizedLink(peer.user_link), body, dateRaw];
}

/** The sent message in the inbox's `messages` (direction 'sent', read already: it is our own). */
function insertSentMessage(db: Db, message: SentMessage, nowMs: number): DbStatement {
  return db
    .prepare(
      `INSERT INTO messages (direction, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, sent_at_raw, sent_at_iso, received_at, read_at)
       VALUES ('sent', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) ON CONFLICT DO NOTHING`,
    )
    .bind(...messageValues(message), formatIsoUtc(message.dateEpochMs), formatIsoUtc(nowMs));
}

/** A queued message the job delivered: the message stored and the row marked sent, in one batch. */
export async function recordMessageSent(db: Db, id: number, message: SentMessage, outcome: Outcome, nowMs: number): Promise<void> {
  await db.batch([
    insertSentMessage(db, message, nowMs),
    outcomeStatement(db, id, outcome, nowMs, { peerUserId: message.peer.user_id, sentAtIso: formatIsoUtc(message.dateEpochMs), body: message.body }),
  ]);
}

/**
 * A message the owner just sent (POST /api/outbox/messages), stored with how its first attempt
 * ended; when it was delivered, the message row is stored in the same batch.
 */
export async function insertMessageAttempt(db: Db, message: SentMessage, targetUrl: string, outcome: Outcome, nowMs: number): Promise<OutboxItem> {
  const now = formatIsoUtc(nowMs);
  const insert = db
    .prepare(
      `INSERT INTO outbox (kind, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, date_raw, target_url, state,
         attempts, http_status, next_attempt_at, last_error, message_id, created_at, updated_at, sent_at)
       VALUES ('message', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
         (SELECT id FROM messages WHERE direction = 'sent' AND peer_user_id = ?1 AND sent_at_iso = ?13 AND body = ?5), ?14, ?14, ?15)
       RETURNING ${ITEM_COLUMNS}`,
    )
    .bind(
      ...messageValues(message),
      targetUrl,
      outcome.state,
      outcome.attempted ? 1 : 0,
      outcome.httpStatus ?? null,
      outcome.state === "queued" ? iso(outcome.nextAttemptAtMs ?? nowMs) : null,
      outcome.detail,
      formatIsoUtc(message.dateEpochMs),
      now,
      outcome.state === "sent" ? now : null,
    );
  const results = outcome.state === "sent" ? await db.batch<OutboxItem>([insertSentMessage(db, message, nowMs), insert]) : [await insert.all<OutboxItem>()];
  const item = results.at(-1)?.results[0];
  if (!item) throw new Error("insertMessageAttempt: the outbox row was not stored");
  return item;
}

/** A received message, to answer it (npm run inbox -- reply messages <id>). */
export interface StoredMessagePeer extends Peer {
  direction: "received" | "sent";
}

export async function messagePeer(db: Db, id: number): Promise<StoredMessagePeer | null> {
  return db
    .prepare("SELECT direction, peer_user_id AS user_id, peer_username AS username, peer_user_link AS user_link FROM messages WHERE id = ?1")
    .bind(id)
    .first<StoredMessagePeer>();
}

/**
 * The last answer this account's server gave us (2xx or 403), over messages and notifications:
 * spec "Private Messaging" asks a client to remember whether a `selected` receiver accepts it.
 */
export interface LastAnswer {
  id: number;
  kind: OutboxKind;
  http_status: number;
  updated_at: string;
}

export async function lastAnswerFrom(db: Db, userLink: string): Promise<LastAnswer | null> {
  return db
    .prepare(
      `SELECT id, kind, http_status, updated_at FROM outbox
       WHERE peer_link_normalized = ?1 AND state IN ('sent', 'refused') AND http_status IS NOT NULL
       ORDER BY updated_at DESC, id DESC LIMIT 1`,
    )
    .bind(normalizedLink(userLink))
    .first<LastAnswer>();
}

// ---------------------------------------------------------------------------------------------
// Reconciling the build's list with the table

/** A queued notification as the reconcile sees it. */
export interface QueuedNotification {
  id: number;
  post_id: number;
  peer_link_normalized: string;
  status_id: string;
}

export async function queuedNotifications(db: Db): Promise<QueuedNotification[]> {
  const { results } = await db
    .prepare("SELECT id, post_id, peer_link_normalized, status_id FROM outbox WHERE post_id IS NOT NULL AND state = 'queued'")
    .all<QueuedNotification>();
  return results;
}

/** One notification's identity: the table's unique index, as a string for sets. */
export function notificationKey(postId: number, linkNormalized: string, statusId: string): string {
  return JSON.stringify([postId, linkNormalized, statusId]);
}

export interface NewNotification {
  kind: "reply" | "mention";
  postId: number;
  peer: Peer;
  /** '' for a mention. */
  statusId: string;
}

/** Statements per D1 batch: a large first deploy is reconciled in a few calls, not one huge one. */
const RECONCILE_CHUNK = 50;

/**
 * New notifications queued (a cancelled one whose post is back is queued again; any other existing
 * row is left alone, so a redeploy never queues twice), stale queued ones cancelled, and the list's
 * fingerprint stored last, so a reconcile cut off half-way is simply done again.
 */
export async function reconcile(
  db: Db,
  notifications: readonly NewNotification[],
  cancelIds: readonly number[],
  digest: string,
  nowMs: number,
): Promise<{ queued: number; cancelled: number }> {
  const now = formatIsoUtc(nowMs);
  const statements: DbStatement[] = notifications.map((n) =>
    db
      .prepare(
        `INSERT INTO outbox (kind, post_id, status_id, peer_user_id, peer_username, peer_user_link, peer_link_normalized, state, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8, ?8)
         ON CONFLICT (post_id, peer_link_normalized, status_id) WHERE post_id IS NOT NULL
         DO UPDATE SET state = 'queued', next_attempt_at = ?8, last_error = NULL, updated_at = ?8 WHERE outbox.state = 'cancelled'
         RETURNING id`,
      )
      .bind(n.kind, n.postId, n.statusId, n.peer.user_id, n.peer.username, n.peer.user_link, normalizedLink(n.peer.user_link), now),
  );
  const cancel =
    cancelIds.length > 0
      ? db
          .prepare(
            `UPDATE outbox SET state = 'cancelled', next_attempt_at = NULL, lease_until = NULL, updated_at = ?2,
               last_error = 'cancelled: the post no longer names this account (deleted or edited) before it was sent'
             WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'queued' RETURNING id`,
          )
          .bind(JSON.stringify(cancelIds), now)
      : undefined;
  const storeDigest = db
    .prepare("INSERT INTO outbox_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    .bind(DIGEST_KEY, digest);
  const all = [...statements, ...(cancel ? [cancel] : []), storeDigest];
  let queued = 0;
  let cancelled = 0;
  for (let start = 0; start < all.length; start += RECONCILE_CHUNK) {
    const chunk = all.slice(start, start + RECONCILE_CHUNK);
    const results = await db.batch<{ id: number }>(chunk);
    chunk.forEach((statement, i) => {
      const rows = results[i]?.results.length ?? 0;
      if (statement === cancel) cancelled += rows;
      else if (statement !== storeDigest) queued += rows;
    });
  }
  return { queued, cancelled };
}

// ---------------------------------------------------------------------------------------------
// The owner's view

export interface ListQuery {
  /** Only items with a smaller id (the cursor); undefined = from the newest. */
  beforeId?: number;
  state?: OutboxState;
  limit: number;
}

export interface Listed {
  items: OutboxItem[];
  /** Set when there are more: the id the next page starts below. */
  nextBeforeId?: number;
}

/** Newest first (id DESC), so a cursor stays valid while new rows arrive. */
export async function listOutbox(db: Db, query: ListQuery): Promise<Listed> {
  const { results } = await db
    .prepare(`SELECT ${ITEM_COLUMNS} FROM outbox WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR state = ?2) ORDER BY id DESC LIMIT ?3`)
    .bind(query.beforeId ?? null, query.state ?? null, query.limit + 1)
    .all<OutboxItem>();
  const items = results.slice(0, query.limit);
  const listed: Listed = { items };
  const last = items.at(-1);
  if (results.length > query.limit && last) listed.nextBeforeId = last.id;
  return listed;
}

export type RequeueResult = { status: "requeued"; item: OutboxItem } | { status: "not-retryable"; item: OutboxItem } | { status: "missing" };

/**
 * `npm run outbox -- retry <id>`: a refused or failed row goes back in the queue with a fresh set of
 * attempts, due now. Its last HTTP status is kept: the job then knows the owner asked for this
 * retry and does not refuse it again from memory (a `selected` receiver's remembered 403).
 */
export async function requeue(db: Db, id: number, nowMs: number): Promise<RequeueResult> {
  const now = formatIsoUtc(nowMs);
  const [updated, found] = await db.batch<OutboxItem>([
    db
      .prepare(
        `UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = ?2, lease_until = NULL, updated_at = ?2,
           last_error = 'queued again by the owner; last time: ' || COALESCE(last_error, state)
         WHERE id = ?1 AND state IN ('refused', 'failed') RETURNING id`,
      )
      .bind(id, now),
    db.prepare(`SELECT ${ITEM_COLUMNS} FROM outbox WHERE id = ?1`).bind(id),
  ]);
  const item = found?.results[0];
  if (!item) return { status: "missing" };
  return (updated?.results.length ?? 0) > 0 ? { status: "requeued", item } : { status: "not-retryable", item };
}

/** The owner's overview (lib/owner/): what waits and what did not go, by state, in one D1 call. */
export async function countOutbox(db: Db): Promise<Record<"queued" | "refused" | "failed", number>> {
  const { results } = await db
    .prepare("SELECT state, COUNT(*) AS n FROM outbox WHERE state IN ('queued', 'refused', 'failed') GROUP BY state")
    .all<{ state: "queued" | "refused" | "failed"; n: number }>();
  const counts = { queued: 0, refused: 0, failed: 0 };
  for (const row of results) counts[row.state] = Number(row.n);
  return counts;
}

/**
 * Messages to one account that are not delivered (queued, refused, failed), newest first: the
 * owner's conversation page shows them under the delivered ones, with why and when Skein tries
 * again. `peerLinkNormalized` is the conversation's key (messages.peer_link_normalized).
 */
export async function undeliveredMessages(db: Db, peerLinkNormalized: string, limit: number): Promise<OutboxItem[]> {
  const { results } = await db
    .prepare(
      `SELECT ${ITEM_COLUMNS} FROM outbox
       WHERE kind = 'message' AND peer_link_normalized = ?1 AND state IN ('queued', 'refused', 'failed')
       ORDER BY id DESC LIMIT ?2`,
    )
    .bind(peerLinkNormalized, limit)
    .all<OutboxItem>();
  return results;
}
