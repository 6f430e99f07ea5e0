/**
 * Webmentions in D1 (migrations/0013_webmentions.sql): one row per (source, target). Small
 * functions, the database first. The accepting write is one batch: the row (inserted, or set back to
 * pending when the sender notifies again, §3.2.2 "updates") and the inbox's daily count for
 * strangers, the cap checked inside the statement so a refusal writes nothing.
 */
import type { DailyCap } from "../inbox/daily-cap.ts";
import { capBinds, capCondition, countStatement } from "../inbox/store.ts";
import type { ReceivedWebmention } from "../shared/api-types.ts";
import type { Db } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";
import type { MentionKind } from "./source-page.ts";

export type WebmentionState = "pending" | "verified" | "rejected" | "gone" | "unreachable";

export interface NewWebmention {
  source: string;
  target: string;
  postId: number | null;
  sourceHost: string;
  receivedAtMs: number;
}

/** Store (or set back to pending) a webmention within the daily cap; false: the cap is reached, nothing written. */
export async function acceptWebmention(db: Db, mention: NewWebmention, cap?: DailyCap): Promise<boolean> {
  const at = formatIsoUtc(mention.receivedAtMs);
  const upsert = db
    .prepare(
      `INSERT INTO webmentions (source, target, post_id, source_host, received_at, next_check_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?5 WHERE ${capCondition(6)}
       ON CONFLICT (source, target) DO UPDATE SET state = 'pending', next_check_at = excluded.received_at, attempts = 0
       RETURNING id`,
    )
    .bind(mention.source, mention.target, mention.postId, mention.sourceHost, at, ...capBinds(cap));
  const [stored] = await db.batch<{ id: number }>([upsert, countStatement(db, cap)]);
  return (stored?.results.length ?? 0) > 0;
}

export interface DueWebmention {
  id: number;
  source: string;
  target: string;
  state: WebmentionState;
  attempts: number;
}

export async function dueWebmentions(db: Db, nowMs: number, limit: number): Promise<DueWebmention[]> {
  const { results } = await db
    .prepare(
      "SELECT id, source, target, state, attempts FROM webmentions WHERE next_check_at IS NOT NULL AND next_check_at <= ?1 ORDER BY next_check_at LIMIT ?2",
    )
    .bind(formatIsoUtc(nowMs), limit)
    .all<DueWebmention>();
  return results;
}

/** What a check of the source found. `reading` only when verified. */
export interface WebmentionCheck {
  state: Exclude<WebmentionState, "pending">;
  detail: string;
  atMs: number;
  /** Null: no further check (verified, rejected, gone). */
  nextCheckAtMs: number | null;
  reading?: {
    kind: MentionKind;
    authorName?: string;
    authorUrl?: string;
    authorPhoto?: string;
    content?: string;
    published?: string;
    url?: string;
  };
}

/**
 * Record a check. A source that no longer links (rejected) or answers 410 (gone) loses what it said:
 * the Recommendation's deletion (§3.2.2), so an un-linked page stops showing in the owner's pages.
 */
export async function recordCheck(db: Db, id: number, check: WebmentionCheck): Promise<void> {
  const r = check.reading;
  await db
    .prepare(
      `UPDATE webmentions SET state = ?2, detail = ?3, checked_at = ?4, next_check_at = ?5, attempts = attempts + 1,
         kind = ?6, author_name = ?7, author_url = ?8, author_photo = ?9, content = ?10, published = ?11, url = ?12
       WHERE id = ?1`,
    )
    .bind(
      id,
      check.state,
      check.detail,
      formatIsoUtc(check.atMs),
      check.nextCheckAtMs === null ? null : formatIsoUtc(check.nextCheckAtMs),
      r?.kind ?? null,
      r?.authorName ?? null,
      r?.authorUrl ?? null,
      r?.authorPhoto ?? null,
      r?.content ?? null,
      r?.published ?? null,
      r?.url ?? null,
    )
    .run();
}

/** The owner API's row (lib/shared/api-types.ts, shared with the commands). */
export type ListedWebmention = ReceivedWebmention;

/** Newest first, `before` an id (a cursor), optionally one state only. */
export async function listWebmentions(db: Db, query: { limit: number; before?: number; state?: WebmentionState }): Promise<ListedWebmention[]> {
  const { results } = await db
    .prepare(
      `SELECT id, source, target, post_id, state, detail, kind, author_name, author_url, author_photo, content, published, url, received_at, checked_at, read, moderation
       FROM webmentions WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR state = ?2) ORDER BY id DESC LIMIT ?3`,
    )
    .bind(query.before ?? null, query.state ?? null, query.limit)
    .all<ListedWebmention>();
  return results;
}

export async function moderateWebmention(db: Db, id: number, moderation: "approved" | "hidden" | null): Promise<boolean> {
  const { meta } = await db.prepare("UPDATE webmentions SET moderation = ?2, read = 1 WHERE id = ?1").bind(id, moderation).run();
  return meta.changes > 0;
}

export async function deleteWebmention(db: Db, id: number): Promise<boolean> {
  const { meta } = await db.prepare("DELETE FROM webmentions WHERE id = ?1").bind(id).run();
  return meta.changes > 0;
}
