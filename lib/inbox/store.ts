/**
 * The inbox's D1 access: one small function per query, the database first, `?N` binds, and SQL
 * aliases that make each row the owner API's object as it is (lib/shared/api-types.ts).
 *
 * Writes are single statements or one batch, so each is atomic: a 201 means the row is committed,
 * and a failed write leaves nothing half-stored. Writes go through run()/all() so the D1 meter
 * (lib/shared/d1.ts) sees their meta.rows_written.
 */
import type { InboxCounts, InboxMessage, InboxReply, MessageDirection, ReplyModeration, Verification } from "../shared/api-types.ts";
import type { Db, DbStatement } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import type { DailyCap } from "./daily-cap.ts";
import type { InboxKind } from "./schemas.ts";

export interface Party {
  user_id: string;
  username: string;
  user_link: string;
}

export interface NewMessage {
  direction: MessageDirection;
  /** The sender of a received message, the recipient of a sent one. */
  peer: Party;
  message: string;
  /** The date as the sender wrote it, and the instant it names. */
  dateRaw: string;
  dateEpochMs: number;
  receivedAtMs: number;
  /** A received message's proof (lib/inbox/sender-proof.ts): the feed whose key verified it, and the signature's hash. */
  signature?: StoredSignature;
}

/** A verified signature as stored: signed_by (normalized feed URL) and the signature's SHA-256, base64url. */
export interface StoredSignature {
  signedBy: string;
  hash: string;
}

export interface NewReply {
  postId: number;
  sender: Party;
  statusId: string;
  receivedAtMs: number;
  /** When the sweep should check it if the background verification does not finish. */
  firstCheckAtMs: number;
  signature?: StoredSignature;
}

/** A duplicate's signature_hash (null: stored unsigned): equal to the request's, the request is a replay. */
export type InsertOutcome = { status: "inserted"; id: number } | { status: "duplicate"; id: number; signatureHash: string | null } | { status: "over-cap" };

/**
 * The daily cap's part of an insert's batch (lib/inbox/daily-cap.ts): a condition for the insert's
 * WHERE (binds ?first = the limit, or 0 for no check; ?first+1 = the day), and the statement that
 * counts the insert, run right after it: it adds one only if the insert stored a row (changes()).
 */
export function capCondition(first: number): string {
  return `(?${first} = 0 OR COALESCE((SELECT accepted FROM inbox_daily WHERE day = ?${first + 1}), 0) < ?${first})`;
}

export function capBinds(cap: DailyCap | undefined): [number, string] {
  return cap && !cap.exempt ? [cap.limit, cap.day] : [0, ""];
}

export function countStatement(db: Db, cap: DailyCap | undefined): DbStatement {
  return db
    .prepare("INSERT INTO inbox_daily (day, accepted) SELECT ?1, 1 WHERE ?2 = 1 AND changes() > 0 ON CONFLICT (day) DO UPDATE SET accepted = accepted + 1")
    .bind(cap?.day ?? "", cap && !cap.exempt && cap.limit > 0 ? 1 : 0);
}

/** The link as stored for matching; the schema already guaranteed an http(s) URL. */
function normalizedLink(link: string): string {
  return normalizeUserLink(link) ?? link;
}

/** Store a message once (idempotent), within the daily cap when one is given; one D1 call. */
export async function insertMessage(db: Db, message: NewMessage, cap?: DailyCap): Promise<InsertOutcome> {
  const { peer } = message;
  const insert = db
    .prepare(
      `INSERT INTO messages (direction, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, sent_at_raw, sent_at_iso, received_at,
                             signed_by, signature_hash)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?12, ?13 WHERE ${capCondition(10)} ON CONFLICT DO NOTHING RETURNING id`,
    )
    .bind(
      message.direction,
      peer.user_id,
      peer.username,
      peer.user_link,
      normalizedLink(peer.user_link),
      message.message,
      message.dateRaw,
      formatIsoUtc(message.dateEpochMs),
      formatIsoUtc(message.receivedAtMs),
      ...capBinds(cap),
      message.signature?.signedBy ?? null,
      message.signature?.hash ?? null,
    );
  const key = [message.direction, peer.user_id, formatIsoUtc(message.dateEpochMs), message.message] as const;
  const existing = db
    .prepare("SELECT id, signature_hash FROM messages WHERE direction = ?1 AND peer_user_id = ?2 AND sent_at_iso = ?3 AND body = ?4")
    .bind(...key);
  // A row stored unsigned, proven now by a signed duplicate: it becomes signed (one row written at
  // most), with the identity the signature proves. Run after the SELECT, so a replay is still told
  // by the hash stored before this request.
  const upgrade = db
    .prepare(
      `UPDATE messages SET signed_by = ?5, signature_hash = ?6, peer_username = ?7, peer_user_link = ?8, peer_link_normalized = ?5
       WHERE direction = ?1 AND peer_user_id = ?2 AND sent_at_iso = ?3 AND body = ?4 AND signature_hash IS NULL AND ?6 IS NOT NULL`,
    )
    .bind(...key, message.signature?.signedBy ?? null, message.signature?.hash ?? null, peer.username, peer.user_link);
  const [inserted, , found] = await db.batch<{ id: number; signature_hash: string | null }>([insert, countStatement(db, cap), existing, upgrade]);
  const newId = inserted?.results[0]?.id;
  if (newId !== undefined) return { status: "inserted", id: newId };
  const old = found?.results[0];
  return old === undefined ? { status: "over-cap" } : { status: "duplicate", id: old.id, signatureHash: old.signature_hash ?? null };
}

/** A stored reply's state, as the POST handler and the sweep need it. */
export interface ReplyState {
  id: number;
  verification: Verification;
  attempts: number;
  received_at: string;
  next_check_at: string | null;
  /** The stored request's signature hash (lib/inbox/sender-proof.ts); null: stored unsigned. */
  signature_hash: string | null;
}

/**
 * Insert (or find) a reply in one D1 call, within the daily cap when one is given: the batch's
 * SELECT sees the row either way; neither inserted nor found means the day's cap is reached.
 */
export async function insertReply(db: Db, reply: NewReply, cap?: DailyCap): Promise<{ inserted: boolean; state: ReplyState } | { overCap: true }> {
  const { sender } = reply;
  const insert = db
    .prepare(
      `INSERT INTO replies (post_id, sender_user_id, sender_username, sender_user_link, sender_link_normalized, status_id, received_at, next_check_at,
                            signed_by, signature_hash)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?11, ?12 WHERE ${capCondition(9)} ON CONFLICT DO NOTHING RETURNING id`,
    )
    .bind(
      reply.postId,
      sender.user_id,
      sender.username,
      sender.user_link,
      normalizedLink(sender.user_link),
      reply.statusId,
      formatIsoUtc(reply.receivedAtMs),
      formatIsoUtc(reply.firstCheckAtMs),
      ...capBinds(cap),
      reply.signature?.signedBy ?? null,
      reply.signature?.hash ?? null,
    );
  const select = db
    .prepare(
      "SELECT id, verification, attempts, received_at, next_check_at, signature_hash FROM replies WHERE post_id = ?1 AND sender_user_id = ?2 AND status_id = ?3",
    )
    .bind(reply.postId, sender.user_id, reply.statusId);
  // As for messages: an unsigned row from the same feed is proven by a signed duplicate (one row at
  // most). Only from the same feed: its verification was made against that feed.
  const upgrade = db
    .prepare(
      `UPDATE replies SET signed_by = ?4, signature_hash = ?5
       WHERE post_id = ?1 AND sender_user_id = ?2 AND status_id = ?3 AND signature_hash IS NULL AND ?5 IS NOT NULL AND sender_link_normalized = ?4`,
    )
    .bind(reply.postId, sender.user_id, reply.statusId, reply.signature?.signedBy ?? null, reply.signature?.hash ?? null);
  const [inserted, , found] = await db.batch<ReplyState & { id: number }>([insert, countStatement(db, cap), select, upgrade]);
  const state = found?.results[0];
  if (!state) return { overCap: true };
  return { inserted: (inserted?.results.length ?? 0) > 0, state };
}

/** What a verification attempt found, and when (if ever) to try again. */
export interface VerificationRecord {
  verification: Verification;
  detail: string;
  atMs: number;
  /** Null: final. */
  nextCheckAtMs: number | null;
  item?: { html?: string; link?: string; date?: string };
}

export async function recordVerification(db: Db, replyId: number, record: VerificationRecord): Promise<void> {
  await db
    .prepare(
      `UPDATE replies SET verification = ?2, verification_detail = ?3, verified_at = ?4, attempts = attempts + 1, next_check_at = ?5,
         item_html = COALESCE(?6, item_html), item_link = COALESCE(?7, item_link), item_date = COALESCE(?8, item_date)
       WHERE id = ?1`,
    )
    .bind(
      replyId,
      record.verification,
      record.detail,
      formatIsoUtc(record.atMs),
      record.nextCheckAtMs === null ? null : formatIsoUtc(record.nextCheckAtMs),
      record.item?.html ?? null,
      record.item?.link ?? null,
      record.item?.date ?? null,
    )
    .run();
}

/** A reply the sweep must check again: everything verifyReply needs. */
export interface DueReply {
  id: number;
  post_id: number;
  user_id: string;
  user_link: string;
  status_id: string;
  attempts: number;
}

/** Replies whose next check is due, oldest due first (the replies_due index holds only these). */
export async function dueReplies(db: Db, nowMs: number, limit: number): Promise<DueReply[]> {
  const { results } = await db
    .prepare(
      `SELECT id, post_id, sender_user_id AS user_id, sender_user_link AS user_link, status_id, attempts
       FROM replies WHERE next_check_at IS NOT NULL AND next_check_at <= ?1 ORDER BY next_check_at LIMIT ?2`,
    )
    .bind(formatIsoUtc(nowMs), limit)
    .all<DueReply>();
  return results;
}

const MESSAGE_COLUMNS = `id, direction, peer_user_id AS user_id, peer_username AS username, peer_user_link AS user_link, body AS message,
  sent_at_raw AS date, sent_at_iso AS date_iso, received_at, read_at,
  CASE WHEN direction = 'sent' THEN NULL WHEN signed_by IS NULL THEN 'not_proven' ELSE 'signed' END AS proof, signed_by`;

const REPLY_COLUMNS = `id, post_id, sender_user_id AS user_id, sender_username AS username, sender_user_link AS user_link, status_id, received_at,
  verification, verification_detail, verified_at, attempts, next_check_at, item_html, item_link, item_date, moderation, moderated_at, read_at,
  CASE WHEN signed_by IS NULL THEN 'not_proven' ELSE 'signed' END AS proof, signed_by`;

export interface ListQuery {
  unreadOnly: boolean;
  /** Replies only: only this verification state. */
  verification?: Verification;
  /** Replies only: only this moderation ("none" = not decided yet). */
  moderation?: ReplyModeration | "none";
  /** Only items with a smaller id (the cursor); undefined = from the newest. */
  beforeId?: number;
  limit: number;
}

export interface Listed<T> {
  items: T[];
  /** Set when there are more: the id the next page starts below. */
  nextBeforeId?: number;
}

/** A page of `limit` from `limit + 1` rows read, and where the next page starts below when there are more. */
function pageOf<T>(results: T[], limit: number, idOf: (row: T) => number): Listed<T> {
  const items = results.slice(0, limit);
  const listed: Listed<T> = { items };
  const last = items.at(-1);
  if (results.length > limit && last) listed.nextBeforeId = idOf(last);
  return listed;
}

/** Newest first (id DESC): ids only grow, so a cursor stays valid while new items arrive. */
async function listRows<T extends { id: number }>(db: Db, table: InboxKind, columns: string, query: ListQuery): Promise<Listed<T>> {
  const replyFilters = table === "replies" ? " AND (?4 IS NULL OR verification = ?4) AND (?5 IS NULL OR COALESCE(moderation, 'none') = ?5)" : "";
  const binds: unknown[] = [query.unreadOnly ? 1 : 0, query.beforeId ?? null, query.limit + 1];
  if (table === "replies") binds.push(query.verification ?? null, query.moderation ?? null);
  const { results } = await db
    .prepare(`SELECT ${columns} FROM ${table} WHERE (?1 = 0 OR read_at IS NULL) AND (?2 IS NULL OR id < ?2)${replyFilters} ORDER BY id DESC LIMIT ?3`)
    .bind(...binds)
    .all<T>();
  return pageOf(results, query.limit, (row) => row.id);
}

export function listMessages(db: Db, query: ListQuery): Promise<Listed<InboxMessage>> {
  return listRows<InboxMessage>(db, "messages", MESSAGE_COLUMNS, query);
}

export function listReplies(db: Db, query: ListQuery): Promise<Listed<InboxReply>> {
  return listRows<InboxReply>(db, "replies", REPLY_COLUMNS, query);
}

export async function countInbox(db: Db): Promise<InboxCounts> {
  const row = await db
    .prepare(
      `SELECT
        (SELECT COUNT(*) FROM messages) AS messages_total,
        (SELECT COUNT(*) FROM messages WHERE read_at IS NULL) AS messages_unread,
        (SELECT COUNT(*) FROM replies) AS replies_total,
        (SELECT COUNT(*) FROM replies WHERE read_at IS NULL) AS replies_unread,
        (SELECT COUNT(*) FROM replies WHERE verification = 'pending') AS pending,
        (SELECT COUNT(*) FROM replies WHERE verification = 'verified') AS verified,
        (SELECT COUNT(*) FROM replies WHERE verification = 'rejected') AS rejected,
        (SELECT COUNT(*) FROM replies WHERE verification = 'unreachable') AS unreachable`,
    )
    .first<Record<string, number>>();
  const n = (key: string): number => Number(row?.[key] ?? 0);
  return {
    messages: { total: n("messages_total"), unread: n("messages_unread") },
    replies: {
      total: n("replies_total"),
      unread: n("replies_unread"),
      pending: n("pending"),
      verified: n("verified"),
      rejected: n("rejected"),
      unreachable: n("unreachable"),
    },
  };
}

/** Idempotent: an item already read keeps its first read_at. False when there is no such item. */
export async function markRead(db: Db, kind: InboxKind, id: number, atMs: number): Promise<boolean> {
  const { meta } = await db.prepare(`UPDATE ${kind} SET read_at = COALESCE(read_at, ?2) WHERE id = ?1`).bind(id, formatIsoUtc(atMs)).run();
  return meta.changes > 0;
}

export async function deleteItem(db: Db, kind: InboxKind, id: number): Promise<boolean> {
  const { meta } = await db.prepare(`DELETE FROM ${kind} WHERE id = ?1`).bind(id).run();
  return meta.changes > 0;
}

/** Housekeeping: rejected notifications older than the cutoff (claims the sender's feed did not back). */
export async function deleteRejectedBefore(db: Db, cutoffMs: number): Promise<number> {
  const { meta } = await db.prepare("DELETE FROM replies WHERE verification = 'rejected' AND verified_at < ?1").bind(formatIsoUtc(cutoffMs)).run();
  return meta.changes;
}

/** One conversation: everything exchanged with one feed (grouped by its normalized link), newest activity first. */
export interface ConversationSummary {
  /** normalizeUserLink of the other party's feed: the conversation's key. */
  peer: string;
  user_id: string;
  username: string;
  user_link: string;
  last_id: number;
  last_at: string;
  last_message: string;
  last_direction: MessageDirection;
  total: number;
  unread: number;
}

/** Conversations newest activity first (the owner's inbox page); `beforeLastId` pages. */
export async function listConversations(db: Db, limit: number, beforeLastId?: number): Promise<Listed<ConversationSummary>> {
  const { results } = await db
    .prepare(
      `SELECT g.peer, m.peer_user_id AS user_id, m.peer_username AS username, m.peer_user_link AS user_link,
              g.last_id, m.received_at AS last_at, m.body AS last_message, m.direction AS last_direction, g.total, g.unread
       FROM (SELECT peer_link_normalized AS peer, MAX(id) AS last_id, COUNT(*) AS total,
                    SUM(CASE WHEN direction = 'received' AND read_at IS NULL THEN 1 ELSE 0 END) AS unread
             FROM messages GROUP BY peer_link_normalized) AS g
       JOIN messages AS m ON m.id = g.last_id
       WHERE ?1 IS NULL OR g.last_id < ?1
       ORDER BY g.last_id DESC LIMIT ?2`,
    )
    .bind(beforeLastId ?? null, limit + 1)
    .all<ConversationSummary>();
  return pageOf(results, limit, (row) => row.last_id);
}

/** The messages of one conversation, newest first (pages show them oldest first). */
export function conversationMessages(db: Db, peer: string, query: Omit<ListQuery, "unreadOnly">): Promise<Listed<InboxMessage>> {
  return db
    .prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE peer_link_normalized = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3`)
    .bind(peer, query.beforeId ?? null, query.limit + 1)
    .all<InboxMessage>()
    .then(({ results }) => pageOf(results, query.limit, (row) => row.id));
}

/** Mark every received message of one conversation read. */
export async function markConversationRead(db: Db, peer: string, atMs: number): Promise<number> {
  const { meta } = await db
    .prepare("UPDATE messages SET read_at = ?2 WHERE peer_link_normalized = ?1 AND direction = 'received' AND read_at IS NULL")
    .bind(peer, formatIsoUtc(atMs))
    .run();
  return meta.changes;
}

/** One reply notification (the owner's pages act on it). */
export async function getReply(db: Db, id: number): Promise<InboxReply | null> {
  return db.prepare(`SELECT ${REPLY_COLUMNS} FROM replies WHERE id = ?1`).bind(id).first<InboxReply>();
}

/**
 * The owner's decision about showing a reply on the site. Only a verified reply can be approved
 * (the feed backed it); any reply can be rejected. False when there is no such reply or it is not
 * verified.
 */
export async function setModeration(db: Db, id: number, moderation: ReplyModeration | null, atMs: number): Promise<boolean> {
  const { meta } = await db
    .prepare("UPDATE replies SET moderation = ?2, moderated_at = ?3 WHERE id = ?1 AND (?2 IS NOT 'approved' OR verification = 'verified')")
    .bind(id, moderation, moderation === null ? null : formatIsoUtc(atMs))
    .run();
  return meta.changes > 0;
}

/** The daily cap's counts of days before `day` ("2026-03-01"): no longer read (housekeeping). */
export async function deleteDailyCountsBefore(db: Db, day: string): Promise<number> {
  const { meta } = await db.prepare("DELETE FROM inbox_daily WHERE day < ?1").bind(day).run();
  return meta.changes;
}
