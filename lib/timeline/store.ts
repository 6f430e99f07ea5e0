/**
 * The timeline's D1 access (migrations/0003_timeline.sql): one small function per query, the
 * database first, `?N` binds. Statement builders return prepared statements so the poller can put a
 * feed's new items and its state in ONE batch: one D1 call per feed that changed, atomic, so a stored
 * marker never points past items that were not stored.
 *
 * What a poll writes (D1's own meta.rows_written, see the notes and bench/timeline.ts): a new item
 * is 3 rows (the row, its (user_id, guid) uniqueness index, its place in the date index; 4 when it
 * mentions the owner); a follow's state row is 1 (a WITHOUT ROWID table has no separate key index).
 */
import type { Db, DbStatement } from "../shared/d1.ts";
import type { NewTimelineItem } from "./items.ts";
import { DAY_MINUTES, MAX_POLL_MINUTES, POLL_TIERS } from "./schedule.ts";

/** A row of timeline_follows, as the poller reads and writes it. Times are epoch ms. */
export interface FollowRow {
  user_id: string;
  username: string;
  /** As written in follows.yaml. */
  user_link: string;
  /** Where the feed is polled: user_link, or where it moved (relocate, 301/308). */
  feed_url: string;
  /** Set when the feed moved and follows.yaml still names the old URL. */
  moved_to: string | null;
  /** The feed's user_full_name (for display). */
  name: string | null;
  phase: number;
  added_ms: number;
  /** An explicit due time; null: the slot schedule (schedule.ts). */
  due_ms: number | null;
  etag: string | null;
  last_modified: string | null;
  /** JSON SeenMarker (seen.ts); null: never read (the next poll is a first poll with a bounded backfill). */
  seen: string | null;
  /** JSON Walk (poll-feed.ts): a catch-up in progress. */
  walk: string | null;
  newest_item_ms: number | null;
  oldest_first: number;
  failures: number;
  last_error: string | null;
  /** The last poll that wrote this row (polls that change nothing write nothing). */
  last_poll_ms: number | null;
  /** The UTC day (its midnight, epoch ms) items_today counts for (feed-quota.ts). */
  items_day_ms: number | null;
  /** Items stored for this feed on that day. */
  items_today: number;
  /** Set while the feed is paused for storing its day's number of items. */
  paused_until_ms: number | null;
}

export type FollowUpdate = Partial<Omit<FollowRow, "user_id" | "phase" | "added_ms">>;

const FOLLOW_COLUMNS =
  "user_id, username, user_link, feed_url, moved_to, name, phase, added_ms, due_ms, etag, last_modified, seen, walk, newest_item_ms, oldest_first, failures, last_error, last_poll_ms, items_day_ms, items_today, paused_until_ms";

/** Columns a poll may set (a fixed list: update keys never come from outside). */
const UPDATABLE = new Set<keyof FollowUpdate>([
  "username",
  "user_link",
  "feed_url",
  "moved_to",
  "name",
  "due_ms",
  "etag",
  "last_modified",
  "seen",
  "walk",
  "newest_item_ms",
  "oldest_first",
  "failures",
  "last_error",
  "last_poll_ms",
  "items_day_ms",
  "items_today",
  "paused_until_ms",
]);

/**
 * What a run needs of EVERY follow -- to reconcile with follows.yaml and to decide what is due -- and
 * nothing more: these rows are read and decoded in every run (once a minute, 300 follows), which is
 * CPU of the Worker's own; a due feed's whole row is read afterwards (loadFollowRows).
 */
export interface FollowBrief {
  user_id: string;
  username: string;
  user_link: string;
  moved_to: string | null;
  phase: number;
  due_ms: number | null;
  newest_item_ms: number | null;
  /** 1: never read (its next poll is a first poll). */
  first: number;
  /** 1: a catch-up walk is in progress. */
  walking: number;
}

export interface PollerState {
  follows: FollowBrief[];
  /** The minute of the last run that polled anything (slots after it are due). */
  lastRunMinute: number | null;
}

/** Everything a run needs to decide what is due, in one D1 call. */
export async function loadPollerState(db: Db): Promise<PollerState> {
  const [follows, meta] = await db.batch<unknown>([
    db.prepare(
      "SELECT user_id, username, user_link, moved_to, phase, due_ms, newest_item_ms, seen IS NULL AS first, walk IS NOT NULL AS walking FROM timeline_follows",
    ),
    db.prepare("SELECT last_run_minute FROM timeline_poller WHERE id = 1"),
  ]);
  const last = (meta?.results[0] as { last_run_minute?: number } | undefined)?.last_run_minute;
  return { follows: (follows?.results ?? []) as FollowBrief[], lastRunMinute: typeof last === "number" ? last : null };
}

/**
 * What a run needs when D1 already matches follows.yaml (every run but the first after a deploy that
 * changed it): the follows that are due, the schedule (schedule.ts) evaluated by SQLite, so a run reads
 * back a handful of rows instead of every follow -- 300 rows turned into objects by the D1 binding and
 * walked in JavaScript each minute would be most of a quiet run's CPU. `consistent` is false when D1 and
 * follows.yaml differ (a row missing, unlisted, or with another username or user_link): the caller
 * then takes the full path (loadPollerState + reconcile), which also writes the difference.
 */
export interface DueFollows {
  consistent: boolean;
  /** Follow rows in D1. */
  stored: number;
  lastRunMinute: number | null;
  /** The due follows (only meaningful when consistent). */
  due: FollowBrief[];
}

/** pollIntervalMinutes (schedule.ts) in SQL, from its own tiers; ?2 = now (ms). */
const INTERVAL_SQL = `CASE WHEN f.newest_item_ms IS NULL THEN ${MAX_POLL_MINUTES} ${POLL_TIERS.map(
  (tier) => `WHEN max(0, ?2 - f.newest_item_ms) < ${tier.youngerThanMs} THEN ${tier.minutes}`,
).join(" ")} ELSE ${MAX_POLL_MINUTES} END`;

/**
 * `listedJson`: JSON [[user_id, username, user_link], ...] of the followed accounts (distinct
 * user_ids); ?3 = the run's minute; ?4 = the interval of a follow a WebSub hub feeds (active lease).
 * slotDue (schedule.ts) in SQL: from = last run + 1 (at most a day back; this minute when there is no
 * last run); due when the first slot at or after `from`, from + ((-(from + phase)) mod interval), is
 * not after this minute. SQLite's % keeps the dividend's sign, hence ((x % n) + n) % n.
 * One scan of timeline_follows (the rows D1 reads are the same as loadPollerState's); one row back.
 */
export async function loadDueFollows(
  db: Db,
  listedJson: string,
  listedCount: number,
  nowMs: number,
  nowMinute: number,
  hubFedMinutes: number,
): Promise<DueFollows> {
  const row = await db
    .prepare(
      `WITH listed AS (
         SELECT json_extract(value, '$[0]') AS user_id, json_extract(value, '$[1]') AS username, json_extract(value, '$[2]') AS user_link FROM json_each(?1)
       ),
       hub_fed AS (SELECT user_id FROM websub_follows WHERE state = 'active' AND lease_expires_ms > ?2),
       meta AS (SELECT (SELECT last_run_minute FROM timeline_poller WHERE id = 1) AS last_run),
       follows AS (
         SELECT f.user_id, f.username, f.user_link, f.moved_to, f.phase, f.due_ms, f.newest_item_ms, f.seen IS NULL AS first, f.walk IS NOT NULL AS walking,
                l.user_id IS NOT NULL AS is_listed,
                l.user_id IS NOT NULL AND (l.username IS NOT f.username OR l.user_link IS NOT f.user_link) AS differs,
                CASE WHEN f.user_id IN (SELECT user_id FROM hub_fed) THEN ?4 ELSE ${INTERVAL_SQL} END AS interval_minutes,
                CASE WHEN meta.last_run IS NULL THEN ?3 ELSE max(meta.last_run + 1, ?3 - ${DAY_MINUTES - 1}) END AS from_minute
         FROM timeline_follows AS f CROSS JOIN meta LEFT JOIN listed AS l ON l.user_id = f.user_id
       )
       SELECT COUNT(*) AS stored, COALESCE(SUM(is_listed), 0) AS listed, COALESCE(SUM(differs), 0) AS differing, (SELECT last_run FROM meta) AS last_run_minute,
              json_group_array(json_array(user_id, username, user_link, moved_to, phase, due_ms, newest_item_ms, first, walking)) FILTER (
                WHERE CASE WHEN due_ms IS NOT NULL THEN due_ms <= ?2
                           ELSE from_minute <= ?3 AND from_minute + (((-(from_minute + phase)) % interval_minutes) + interval_minutes) % interval_minutes <= ?3 END
              ) AS due
       FROM follows`,
    )
    .bind(listedJson, nowMs, nowMinute, hubFedMinutes)
    .first<{ stored: number; listed: number; differing: number; last_run_minute: number | null; due: string | null }>();
  const stored = Number(row?.stored ?? 0);
  const consistent = stored === listedCount && Number(row?.listed ?? 0) === listedCount && Number(row?.differing ?? 0) === 0;
  const due: FollowBrief[] = [];
  if (consistent && row?.due) {
    for (const [user_id, username, user_link, moved_to, phase, due_ms, newest_item_ms, first, walking] of JSON.parse(row.due) as [
      string,
      string,
      string,
      string | null,
      number,
      number | null,
      number | null,
      number,
      number,
    ][]) {
      due.push({ user_id, username, user_link, moved_to, phase, due_ms, newest_item_ms, first, walking });
    }
  }
  const last = row?.last_run_minute;
  return { consistent, stored, lastRunMinute: typeof last === "number" ? last : null, due };
}

/** The whole rows of the follows a run polls (one D1 call). */
export async function loadFollowRows(db: Db, userIds: readonly string[]): Promise<Map<string, FollowRow>> {
  const { results } = await db
    .prepare(`SELECT ${FOLLOW_COLUMNS} FROM timeline_follows WHERE user_id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(userIds))
    .all<FollowRow>();
  return new Map(results.map((row) => [row.user_id, row]));
}

export function insertFollowStatement(db: Db, follow: { user_id: string; username: string; user_link: string; phase: number; added_ms: number }): DbStatement {
  return db
    .prepare(
      `INSERT INTO timeline_follows (user_id, username, user_link, feed_url, phase, added_ms, due_ms) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?5)
       ON CONFLICT (user_id) DO NOTHING`,
    )
    .bind(follow.user_id, follow.username, follow.user_link, follow.phase, follow.added_ms);
}

export function updateFollowStatement(db: Db, userId: string, update: FollowUpdate): DbStatement | undefined {
  const keys = (Object.keys(update) as (keyof FollowUpdate)[]).filter((key) => UPDATABLE.has(key) && update[key] !== undefined);
  if (!keys.length) return undefined;
  const set = keys.map((key, i) => `${key} = ?${i + 2}`).join(", ");
  return db.prepare(`UPDATE timeline_follows SET ${set} WHERE user_id = ?1`).bind(userId, ...keys.map((key) => update[key] ?? null));
}

export function deleteFollowStatement(db: Db, userId: string): DbStatement {
  return db.prepare("DELETE FROM timeline_follows WHERE user_id = ?1").bind(userId);
}

/** A blocked account's items leave the timeline (blocks.yaml wins over what was stored earlier). */
export function deleteItemsOfStatement(db: Db, userId: string): DbStatement {
  return db.prepare("DELETE FROM timeline_items WHERE user_id = ?1").bind(userId);
}

export interface ItemAccount {
  user_id: string;
  username: string;
  name: string | null;
  /** The feed the items were read from. */
  user_link: string;
}

/** A bound value may be at most 2,000,000 bytes in D1; one statement's JSON stays well below. */
export const MAX_ITEMS_JSON_BYTES = 1_000_000;

/**
 * A page's new items in as few statements as D1 allows: the items go in as one JSON parameter (D1
 * allows 100 bound parameters per statement, a JSON array any number of items) and json_each makes
 * the rows; a new statement starts when the JSON would pass MAX_ITEMS_JSON_BYTES (long posts). The
 * statements go into the feed's one batch, so they still cost one D1 call. Duplicates of
 * (user_id, guid) are skipped, so re-reading a page stores nothing twice.
 */
export function insertItemsStatements(db: Db, account: ItemAccount, items: readonly NewTimelineItem[], receivedMs: number): DbStatement[] {
  const chunks: string[][] = [[]];
  let size = 0;
  for (const item of items) {
    const json = JSON.stringify({
      guid: item.guid,
      published_ms: item.published_ms,
      html: item.html,
      link: item.link,
      in_reply_to: item.in_reply_to ? JSON.stringify(item.in_reply_to) : null,
      repost: item.repost ? JSON.stringify(item.repost) : null,
      mention: item.mention ? 1 : 0,
    });
    // Counted in UTF-16 code units x 3: an upper bound of the UTF-8 bytes.
    if (size + json.length * 3 > MAX_ITEMS_JSON_BYTES && chunks.at(-1)!.length) {
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)!.push(json);
    size += json.length * 3;
  }
  return chunks.filter((chunk) => chunk.length).map((chunk) => insertRowsStatement(db, account, `[${chunk.join(",")}]`, receivedMs));
}

/** All of `items` in ONE statement (a caller that knows their JSON stays under MAX_ITEMS_JSON_BYTES). */
export function insertItemsStatement(db: Db, account: ItemAccount, items: readonly NewTimelineItem[], receivedMs: number): DbStatement {
  const statements = insertItemsStatements(db, account, items, receivedMs);
  if (statements.length !== 1) throw new Error(`insertItemsStatement: ${items.length} items need ${statements.length} statements; use insertItemsStatements`);
  return statements[0]!;
}

function insertRowsStatement(db: Db, account: ItemAccount, rowsJson: string, receivedMs: number): DbStatement {
  return db
    .prepare(
      `INSERT INTO timeline_items (user_id, username, name, user_link, guid, published_ms, received_ms, html, link, in_reply_to, repost, mention)
       SELECT ?1, ?2, ?3, ?4, json_extract(value, '$.guid'), json_extract(value, '$.published_ms'), ?5, json_extract(value, '$.html'),
              json_extract(value, '$.link'), json_extract(value, '$.in_reply_to'), json_extract(value, '$.repost'), json_extract(value, '$.mention')
       FROM json_each(?6) WHERE true
       ON CONFLICT (user_id, guid) DO NOTHING`,
    )
    .bind(account.user_id, account.username, account.name, account.user_link, receivedMs, rowsJson);
}

/** The end of a run: its minute, and feeds that were due but did not fit (due at `nowMs`, so first next run). */
export async function finishRun(db: Db, nowMinute: number, nowMs: number, deferred: readonly string[]): Promise<void> {
  const statements = [
    db
      .prepare("INSERT INTO timeline_poller (id, last_run_minute) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET last_run_minute = excluded.last_run_minute")
      .bind(nowMinute),
  ];
  if (deferred.length) {
    statements.push(
      db
        .prepare("UPDATE timeline_follows SET due_ms = ?1 WHERE user_id IN (SELECT value FROM json_each(?2)) AND (due_ms IS NULL OR due_ms > ?1)")
        .bind(nowMs, JSON.stringify(deferred)),
    );
  }
  await db.batch(statements);
}

// ---------------------------------------------------------------------------------------------
// Reading the timeline (owner API)

export interface ItemRow {
  id: number;
  user_id: string;
  username: string;
  name: string | null;
  user_link: string;
  guid: string;
  published_ms: number;
  received_ms: number;
  html: string;
  link: string | null;
  in_reply_to: string | null;
  repost: string | null;
  mention: number;
}

export interface TimelineQuery {
  /** Only this account's items (its user_id). */
  userId?: string;
  /** Only items whose user_id or username (any case) is this: an account no longer followed. */
  userIdOrName?: string;
  mentionsOnly: boolean;
  /** Items older than this position (published_ms, id): the cursor. */
  before?: { publishedMs: number; id: number };
  limit: number;
}

const ITEM_COLUMNS = "id, user_id, username, name, user_link, guid, published_ms, received_ms, html, link, in_reply_to, repost, mention";

/**
 * Newest first by the post's date, ties by id. Each filter has its own statement so SQLite can use
 * its index: the date index for everything, the partial mentions index for ?mentions=1, the
 * (user_id, guid) index for one account.
 */
export async function listTimeline(db: Db, query: TimelineQuery): Promise<{ items: ItemRow[]; more: boolean }> {
  const where: string[] = [];
  const binds: unknown[] = [];
  const bind = (value: unknown) => {
    binds.push(value);
    return `?${binds.length}`;
  };
  if (query.userId !== undefined) where.push(`user_id = ${bind(query.userId)}`);
  if (query.userIdOrName !== undefined) {
    const value = bind(query.userIdOrName);
    where.push(`(user_id = ${value} OR username = ${value} COLLATE NOCASE)`);
  }
  if (query.mentionsOnly) where.push("mention = 1");
  if (query.before) {
    const ms = bind(query.before.publishedMs);
    where.push(`(published_ms < ${ms} OR (published_ms = ${ms} AND id < ${bind(query.before.id)}))`);
  }
  const sql = `SELECT ${ITEM_COLUMNS} FROM timeline_items ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY published_ms DESC, id DESC LIMIT ${bind(query.limit + 1)}`;
  const { results } = await db
    .prepare(sql)
    .bind(...binds)
    .all<ItemRow>();
  return { items: results.slice(0, query.limit), more: results.length > query.limit };
}

export interface FollowStatusRows {
  follows: FollowRow[];
  counts: Map<string, number>;
  lastRunMinute: number | null;
}

/** Follow states, item counts and the last run, in one D1 call. */
export async function followStatusRows(db: Db): Promise<FollowStatusRows> {
  const [follows, counts, meta] = await db.batch<unknown>([
    db.prepare(`SELECT ${FOLLOW_COLUMNS} FROM timeline_follows`),
    db.prepare("SELECT user_id, COUNT(*) AS n FROM timeline_items GROUP BY user_id"),
    db.prepare("SELECT last_run_minute FROM timeline_poller WHERE id = 1"),
  ]);
  const last = (meta?.results[0] as { last_run_minute?: number } | undefined)?.last_run_minute;
  return {
    follows: (follows?.results ?? []) as FollowRow[],
    counts: new Map(((counts?.results ?? []) as { user_id: string; n: number }[]).map((row) => [row.user_id, row.n])),
    lastRunMinute: typeof last === "number" ? last : null,
  };
}

export interface RecentTimelineCounts {
  /** Posts dated at or after `postsSinceMs`. */
  posts: number;
  /** Posts that mention the owner, dated at or after `mentionsSinceMs`. */
  mentions: number;
}

/**
 * The owner's overview (lib/owner/): how many posts and mentions arrived lately, in one D1 call.
 * Both counts are ranges of an index (the date index, the partial mentions index), so they read
 * only the rows they count, never the whole history.
 */
export async function countRecentTimeline(db: Db, since: { postsSinceMs: number; mentionsSinceMs: number }): Promise<RecentTimelineCounts> {
  const row = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM timeline_items WHERE published_ms >= ?1) AS posts,
              (SELECT COUNT(*) FROM timeline_items WHERE mention = 1 AND published_ms >= ?2) AS mentions`,
    )
    .bind(since.postsSinceMs, since.mentionsSinceMs)
    .first<RecentTimelineCounts>();
  return { posts: Number(row?.posts ?? 0), mentions: Number(row?.mentions ?? 0) };
}

/** One stored item by its row id (the owner's Reply and Repost buttons). */
export async function loadTimelineItem(db: Db, id: number): Promise<ItemRow | undefined> {
  return (await db.prepare(`SELECT ${ITEM_COLUMNS} FROM timeline_items WHERE id = ?1`).bind(id).first<ItemRow>()) ?? undefined;
}

/**
 * One stored item named by a URL (Micropub's in-reply-to / repost-of, lib/micropub/): its page, as
 * their feed links it (any of `links`, spellings of one URL), or `<the feed it was read from>#<guid>`.
 * No index covers `link`: this reads the items table once, which a post written now and then can
 * afford and an index (one more row written for every item the poller stores) could not.
 */
export async function findTimelineItemByUrl(db: Db, links: readonly string[], feedItem?: { userLink: string; guid: string }): Promise<ItemRow | undefined> {
  const linkList = links.map((_, index) => `?${index + 1}`).join(", ") || "NULL";
  const n = links.length;
  const byFeed = feedItem ? ` OR (user_link = ?${n + 1} AND guid = ?${n + 2})` : "";
  const binds: unknown[] = feedItem ? [...links, feedItem.userLink, feedItem.guid] : [...links];
  return (
    (await db
      .prepare(`SELECT ${ITEM_COLUMNS} FROM timeline_items WHERE link IN (${linkList})${byFeed} ORDER BY published_ms DESC, id DESC LIMIT 1`)
      .bind(...binds)
      .first<ItemRow>()) ?? undefined
  );
}
