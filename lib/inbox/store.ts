/**
 * The inbox's D1 access: one small function per query, the database first, `?N` positional binds,
 * and mappers from snake_case rows to the owner API's objects. Writes that accept a request go
 * through ONE db.batch() with the rate-limit counters (lib/inbox/rate-limit.ts), so "201" always means
 * "the row is committed" and a request over a limit stores nothing.
 */
import { formatIsoUtc } from "../shared/dates.ts";
import type { InboxDb } from "../shared/d1.ts";
import { counterStatements, gateBinds, gateCondition, overLimit, type RateGate } from "./rate-limit.ts";
import { normalizeUserLink } from "../shared/urls.ts";

export const INBOX_KINDS = ["messages", "replies"] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

export const VERIFICATIONS = ["pending", "verified", "rejected", "unreachable"] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export interface SenderFields {
  user_id: string;
  username: string;
  user_link: string;
}

export interface NewMessage {
  sender: SenderFields;
  message: string;
  /** The date as the sender wrote it, and the instant it names. */
  dateRaw: string;
  dateEpochMs: number;
  receivedAtMs: number;
}

export interface NewReply {
  postId: number;
  sender: SenderFields;
  statusId: string;
  receivedAtMs: number;
}

/** What the owner API lists. Field names follow the spec's JSON bodies. */
export interface MessageItem {
  id: number;
  user_id: string;
  username: string;
  user_link: string;
  message: string;
  /** As sent. */
  date: string;
  /** The same instant in ISO 8601 UTC. */
  date_iso: string;
  received_at: string;
  read_at: string | null;
}

export interface ReplyItem {
  id: number;
  post_id: number;
  user_id: string;
  username: string;
  user_link: string;
  status_id: string;
  received_at: string;
  verification: Verification;
  verification_detail: string | null;
  verified_at: string | null;
  read_at: string | null;
}

export type StoreOutcome =
  | { status: "inserted"; id: number }
  | { status: "duplicate"; id?: number; verification?: Verification }
  | { status: "limited"; retryAfter: number };

interface MessageRow {
  id: number;
  sender_user_id: string;
  sender_username: string;
  sender_user_link: string;
  body: string;
  sent_at_raw: string;
  sent_at_iso: string;
  received_at: string;
  read_at: string | null;
}

interface ReplyRow {
  id: number;
  post_id: number;
  sender_user_id: string;
  sender_username: string;
  sender_user_link: string;
  status_id: string;
  received_at: string;
  verification: Verification;
  verification_detail: string | null;
  verified_at: string | null;
  read_at: string | null;
}

export function messageFromRow(row: MessageRow): MessageItem {
  return {
    id: row.id,
    user_id: row.sender_user_id,
    username: row.sender_username,
    user_link: row.sender_user_link,
    message: row.body,
    date: row.sent_at_raw,
    date_iso: row.sent_at_iso,
    received_at: row.received_at,
    read_at: row.read_at,
  };
}

export function replyFromRow(row: ReplyRow): ReplyItem {
  return {
    id: row.id,
    post_id: row.post_id,
    user_id: row.sender_user_id,
    username: row.sender_username,
    user_link: row.sender_user_link,
    status_id: row.status_id,
    received_at: row.received_at,
    verification: row.verification,
    verification_detail: row.verification_detail,
    verified_at: row.verified_at,
    read_at: row.read_at,
  };
}

/** The link as stored for matching; the schema already guaranteed an http(s) URL. */
function normalizedLink(link: string): string {
  return normalizeUserLink(link) ?? link;
}

/** Counters, then the gated insert: results [cleanup, ip count, sender count, inserted id]. */
async function gatedInsert(db: InboxDb, gate: RateGate, insertSql: string, binds: unknown[]): Promise<{ id?: number; limited: boolean }> {
  const results = await db.batch<{ count?: number; id?: number }>([
    ...counterStatements(db, gate),
    db.prepare(`${insertSql} WHERE ${gateCondition(binds.length + 1)} ON CONFLICT DO NOTHING RETURNING id`).bind(...binds, ...gateBinds(gate)),
  ]);
  const ipCount = results[1]?.results[0]?.count ?? 0;
  const senderCount = results[2]?.results[0]?.count ?? 0;
  const id = results[3]?.results[0]?.id;
  if (id !== undefined) return { id, limited: false };
  return { limited: overLimit(gate, ipCount, senderCount) };
}

export async function insertMessage(db: InboxDb, message: NewMessage, gate: RateGate): Promise<StoreOutcome> {
  const { sender } = message;
  const result = await gatedInsert(
    db,
    gate,
    `INSERT INTO messages (sender_user_id, sender_username, sender_user_link, sender_link_normalized, body, sent_at_raw, sent_at_iso, received_at)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8`,
    [sender.user_id, sender.username, sender.user_link, normalizedLink(sender.user_link), message.message, message.dateRaw, formatIsoUtc(message.dateEpochMs), formatIsoUtc(message.receivedAtMs)],
  );
  if (result.id !== undefined) return { status: "inserted", id: result.id };
  return result.limited ? { status: "limited", retryAfter: gate.retryAfter } : { status: "duplicate" };
}

export async function insertReply(db: InboxDb, reply: NewReply, gate: RateGate): Promise<StoreOutcome> {
  const { sender } = reply;
  const result = await gatedInsert(
    db,
    gate,
    `INSERT INTO replies (post_id, sender_user_id, sender_username, sender_user_link, sender_link_normalized, status_id, received_at)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7`,
    [reply.postId, sender.user_id, sender.username, sender.user_link, normalizedLink(sender.user_link), reply.statusId, formatIsoUtc(reply.receivedAtMs)],
  );
  if (result.id !== undefined) return { status: "inserted", id: result.id };
  if (result.limited) return { status: "limited", retryAfter: gate.retryAfter };
  const existing = await db
    .prepare("SELECT id, verification FROM replies WHERE post_id = ?1 AND sender_user_id = ?2 AND status_id = ?3")
    .bind(reply.postId, sender.user_id, reply.statusId)
    .first<{ id: number; verification: Verification }>();
  return existing ? { status: "duplicate", id: existing.id, verification: existing.verification } : { status: "duplicate" };
}

export async function recordVerification(db: InboxDb, replyId: number, verification: Verification, detail: string, atMs: number): Promise<void> {
  await db
    .prepare("UPDATE replies SET verification = ?2, verification_detail = ?3, verified_at = ?4 WHERE id = ?1")
    .bind(replyId, verification, detail, formatIsoUtc(atMs))
    .run();
}

export interface ListQuery {
  unreadOnly: boolean;
  /** Only items with a smaller id (the cursor); undefined = from the newest. */
  beforeId?: number;
  limit: number;
}

export interface Page<T> {
  items: T[];
  /** id of the last item when there are more, else undefined. */
  nextBeforeId?: number;
}

async function listRows<Row>(db: InboxDb, table: InboxKind, query: ListQuery): Promise<{ rows: Row[]; more: boolean }> {
  const { results } = await db
    .prepare(`SELECT * FROM ${table} WHERE (?1 = 0 OR read_at IS NULL) AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3`)
    .bind(query.unreadOnly ? 1 : 0, query.beforeId ?? null, query.limit + 1)
    .all<Row>();
  return { rows: results.slice(0, query.limit), more: results.length > query.limit };
}

function page<Row extends { id: number }, T>(rows: Row[], more: boolean, map: (row: Row) => T): Page<T> {
  const result: Page<T> = { items: rows.map(map) };
  const last = rows.at(-1);
  if (more && last) result.nextBeforeId = last.id;
  return result;
}

/** Newest first (id DESC): ids only grow, so a cursor stays valid while new items arrive. */
export async function listMessages(db: InboxDb, query: ListQuery): Promise<Page<MessageItem>> {
  const { rows, more } = await listRows<MessageRow>(db, "messages", query);
  return page(rows, more, messageFromRow);
}

export async function listReplies(db: InboxDb, query: ListQuery): Promise<Page<ReplyItem>> {
  const { rows, more } = await listRows<ReplyRow>(db, "replies", query);
  return page(rows, more, replyFromRow);
}

export interface InboxCounts {
  messages: { total: number; unread: number };
  replies: { total: number; unread: number } & Record<Verification, number>;
}

export async function countInbox(db: InboxDb): Promise<InboxCounts> {
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
export async function markRead(db: InboxDb, kind: InboxKind, id: number, atMs: number): Promise<boolean> {
  const { meta } = await db.prepare(`UPDATE ${kind} SET read_at = COALESCE(read_at, ?2) WHERE id = ?1`).bind(id, formatIsoUtc(atMs)).run();
  return meta.changes > 0;
}

export async function deleteItem(db: InboxDb, kind: InboxKind, id: number): Promise<boolean> {
  const { meta } = await db.prepare(`DELETE FROM ${kind} WHERE id = ?1`).bind(id).run();
  return meta.changes > 0;
}
