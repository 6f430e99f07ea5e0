/**
 * The write path's D1 access (migrations/0012_written_posts.sql): one small function per query, the
 * database first. Each write is one statement.
 */
import type { Db } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";
import type { PostDraft } from "../shared/post-file.ts";

export type WrittenKind = "post" | "reply" | "repost";
export type WrittenState = "committed" | "live" | "failed";

export interface WrittenPost {
  id: number;
  post_id: number | null;
  kind: WrittenKind;
  state: WrittenState;
  path: string | null;
  commit_sha: string | null;
  commit_url: string | null;
  draft: PostDraft;
  error: string | null;
  created_at: string;
  live_at: string | null;
}

type Row = Omit<WrittenPost, "draft"> & { draft: string };

const COLUMNS = "id, post_id, kind, state, path, commit_sha, commit_url, draft, error, created_at, live_at";

function fromRow(row: Row): WrittenPost {
  let draft: PostDraft;
  try {
    draft = JSON.parse(row.draft) as PostDraft;
  } catch {
    draft = { text: "" };
  }
  return { ...row, draft };
}

export function kindOf(draft: PostDraft): WrittenKind {
  return draft.reply_to || draft.in_reply_to ? "reply" : draft.repost ? "repost" : "post";
}

/** The highest post id this Worker has committed (failed rows hold none that count). */
export async function highestWrittenId(db: Db): Promise<number | undefined> {
  const row = await db.prepare("SELECT MAX(post_id) AS id FROM written_posts WHERE state IN ('committed', 'live')").first<{ id: number | null }>();
  return row?.id ?? undefined;
}

export interface Outcome {
  state: "committed" | "failed";
  post_id?: number | undefined;
  path?: string | undefined;
  commit_sha?: string | undefined;
  commit_url?: string | undefined;
  error?: string | undefined;
}

export async function recordWritten(db: Db, draft: PostDraft, outcome: Outcome, nowMs: number): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO written_posts (post_id, kind, state, path, commit_sha, commit_url, draft, error, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id`,
    )
    .bind(
      outcome.post_id ?? null,
      kindOf(draft),
      outcome.state,
      outcome.path ?? null,
      outcome.commit_sha ?? null,
      outcome.commit_url ?? null,
      JSON.stringify(draft),
      outcome.error ?? null,
      formatIsoUtc(nowMs),
    )
    .first<{ id: number }>();
  return row!.id;
}

export async function writtenPost(db: Db, id: number): Promise<WrittenPost | undefined> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM written_posts WHERE id = ?1`).bind(id).first<Row>();
  return row ? fromRow(row) : undefined;
}

/** Newest first. */
export async function listWritten(db: Db, limit: number): Promise<WrittenPost[]> {
  const { results } = await db.prepare(`SELECT ${COLUMNS} FROM written_posts ORDER BY id DESC LIMIT ?1`).bind(limit).all<Row>();
  return results.map(fromRow);
}

/** Committed rows waiting to be seen live, oldest post first. */
export async function committedPostIds(db: Db, limit: number): Promise<number[]> {
  const { results } = await db
    .prepare("SELECT post_id FROM written_posts WHERE state = 'committed' AND post_id IS NOT NULL ORDER BY post_id LIMIT ?1")
    .bind(limit)
    .all<{ post_id: number }>();
  return results.map((row) => row.post_id);
}

export async function markLive(db: Db, postIds: readonly number[], nowMs: number): Promise<void> {
  if (!postIds.length) return;
  await db
    .prepare("UPDATE written_posts SET state = 'live', live_at = ?2 WHERE state = 'committed' AND post_id IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(postIds), formatIsoUtc(nowMs))
    .run();
}

/** The committed or live post with this id (Micropub's q=source); the state index covers it. */
export async function writtenByPostId(db: Db, postId: number): Promise<WrittenPost | undefined> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM written_posts WHERE state IN ('committed', 'live') AND post_id = ?1 ORDER BY id DESC LIMIT 1`)
    .bind(postId)
    .first<Row>();
  return row ? fromRow(row) : undefined;
}
