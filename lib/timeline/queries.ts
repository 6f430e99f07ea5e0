/**
 * The owner's read models of the timeline: one page of posts (GET /api/timeline and the owner's
 * timeline page) and each followed feed's state (GET /api/timeline/follows and the owner's follows
 * page), so both follow one set of rules.
 *
 * Other people's HTML is stored as received and sanitized here, on the way out (sanitizeHtml): every
 * reader gets safe HTML and its plain text.
 */
import * as z from "zod/mini";
import type { FollowState, FollowStatus, ListPage, TimelineFollows, TimelineItem } from "../shared/api-types.ts";
import type { Db } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";
import { parseInteger } from "../shared/integers.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { plainTextOf, sanitizeHtml } from "../shared/sanitize-html.ts";
import { flagText, idPattern, integerText } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, MAX_PAGE_SIZE } from "../worker-kit/cursor.ts";
import { parseWalk } from "./poll-state.ts";
import { lastSlotMinute, MINUTE_MS, minuteOf, nextSlotMinute, pollIntervalMinutes } from "./schedule.ts";
import { type FollowRow, followStatusRows, type ItemRow, listTimeline } from "./store.ts";
import { hubFedFollows } from "./websub-store.ts";
import { HUB_FED_POLL_MINUTES } from "./websub-subscribe-job.ts";

/** ?user=: a user_id, or a username with or without its "@". */
const userFilter = z.string().check(
  z.maxLength(128, "must be a user_id or a username"),
  z.refine((value: string) => idPattern.test(value) || /^@?[\p{L}\p{N}_.-]{1,25}$/u.test(value), "must be a user_id or a username"),
);

export const timelineQuery = z.object({
  user: z.optional(userFilter),
  mentions: z.optional(flagText),
  limit: z.optional(integerText(1, MAX_PAGE_SIZE)),
  cursor: z.optional(z.string().check(z.maxLength(64, "is not a cursor of the timeline"))),
});

/** Opaque to clients: the position (date, id) of the last item of the page. */
export function encodeTimelineCursor(publishedMs: number, id: number): string {
  return encodeCursor("t", publishedMs, id);
}

export function decodeTimelineCursor(cursor: string): { publishedMs: number; id: number } | undefined {
  const [ms, id, ...rest] = decodeCursor("t", cursor) ?? [];
  const publishedMs = parseInteger(ms);
  const rowId = parseInteger(id, { min: 1 });
  return publishedMs !== undefined && rowId !== undefined && rest.length === 0 ? { publishedMs, id: rowId } : undefined;
}

function parseObject<T extends object>(text: string | null): T | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

export function timelineItemOf(row: ItemRow): TimelineItem {
  const item: TimelineItem = {
    id: row.id,
    user_id: row.user_id,
    username: row.username,
    name: row.name,
    user_link: row.user_link,
    guid: row.guid,
    date: formatIsoUtc(row.published_ms),
    received_at: formatIsoUtc(row.received_ms),
    html: sanitizeHtml(row.html),
    text: plainTextOf(row.html),
    link: row.link,
    mention: row.mention === 1,
  };
  const inReplyTo = parseObject<NonNullable<TimelineItem["in_reply_to"]>>(row.in_reply_to);
  if (inReplyTo) item.in_reply_to = inReplyTo;
  const repost = parseObject<NonNullable<TimelineItem["repost"]>>(row.repost);
  if (repost) item.repost = repost;
  return item;
}

function stateOf(row: FollowRow, nowMs: number): FollowState {
  if (row.failures > 0) return "failing";
  if (row.paused_until_ms !== null && row.paused_until_ms > nowMs) return "paused";
  if (row.moved_to) return "moved";
  if (row.walk && parseWalk(row.walk)) return "catching-up";
  if (row.seen === null) return "new";
  return "ok";
}

/**
 * One follow's status. Polls that find nothing new write nothing, so the last poll of a feed on its
 * slot schedule is the last slot at or before the last run (every due feed of a run is polled, or
 * gets a due time of its own).
 */
export function followStatusOf(row: FollowRow, items: number, lastRunMinute: number | null, nowMs: number, hubFed = false): FollowStatus {
  // A feed a hub pushes to us is polled only as a backup (the poller's own rule, poll-job.ts).
  const intervalAt = (ms: number) => (hubFed ? HUB_FED_POLL_MINUTES : pollIntervalMinutes(row.newest_item_ms, ms));
  const interval = intervalAt(nowMs);
  let lastPoll = row.last_poll_ms;
  if (row.due_ms === null && lastRunMinute !== null && lastPoll !== null) {
    const slot = lastSlotMinute(lastRunMinute, row.phase, intervalAt(lastRunMinute * MINUTE_MS)) * MINUTE_MS;
    if (slot > lastPoll) lastPoll = slot;
  }
  let nextPoll: number | null;
  if (row.due_ms !== null) nextPoll = row.due_ms > nowMs ? row.due_ms : null;
  else nextPoll = nextSlotMinute(Math.max(minuteOf(nowMs), (lastRunMinute ?? 0) + 1), row.phase, interval) * MINUTE_MS;
  return {
    user_id: row.user_id,
    username: row.username,
    name: row.name,
    user_link: row.user_link,
    feed_url: row.feed_url,
    state: stateOf(row, nowMs),
    moved_to: row.moved_to,
    last_poll_at: lastPoll === null ? null : formatIsoUtc(lastPoll),
    last_error: row.last_error,
    failures: row.failures,
    next_poll_at: nextPoll === null ? null : formatIsoUtc(nextPoll),
    poll_every_minutes: interval,
    newest_post_at: row.newest_item_ms === null ? null : formatIsoUtc(row.newest_item_ms),
    items,
  };
}

/** A follow in follows.yaml the poller has not run for yet (it is polled at the next run). */
function notYetPolled(follow: SiteConfig["follows"][number], items: number): FollowStatus {
  return {
    user_id: follow.user_id,
    username: follow.username,
    name: null,
    user_link: follow.user_link,
    feed_url: follow.user_link,
    state: "new",
    moved_to: null,
    last_poll_at: null,
    last_error: null,
    failures: 0,
    next_poll_at: null,
    poll_every_minutes: pollIntervalMinutes(null, 0),
    newest_post_at: null,
    items,
  };
}

export type TimelineRequest = z.output<typeof timelineQuery>;

/**
 * One page of the timeline as GET /api/timeline answers it; the owner's pages (lib/owner/) call the
 * same function, so ?user=, ?mentions=, ?limit= and the cursor follow one set of rules. The error is
 * the one line a client gets for a cursor that is not one of ours.
 */
export async function readTimeline(db: Db, config: SiteConfig, request: TimelineRequest): Promise<Result<ListPage<TimelineItem>, string>> {
  const { user, mentions, limit, cursor } = request;
  const query: Parameters<typeof listTimeline>[1] = { mentionsOnly: mentions ?? false, limit: limit ?? DEFAULT_PAGE_SIZE };
  if (user !== undefined) {
    const name = user.replace(/^@/, "").toLowerCase();
    // A followed account by username or user_id (the index serves it); else any stored account by either.
    const followed = config.follows.find((follow) => follow.user_id === user || follow.username.toLowerCase() === name);
    if (followed) query.userId = followed.user_id;
    else query.userIdOrName = user.replace(/^@/, "");
  }
  if (cursor !== undefined) {
    const before = decodeTimelineCursor(cursor);
    if (!before) return err("cursor: not a cursor of the timeline; use next_cursor from the previous page");
    query.before = before;
  }
  const { items, more } = await listTimeline(db, query);
  const last = items.at(-1);
  return ok({
    items: items.map(timelineItemOf),
    next_cursor: more && last ? encodeTimelineCursor(last.published_ms, last.id) : null,
  });
}

/** Each followed feed's state as GET /api/timeline/follows answers it (and the owner's pages show it). */
export async function readFollows(db: Db, config: SiteConfig, nowMs: number): Promise<TimelineFollows> {
  const [{ follows, counts, lastRunMinute }, hubFed] = await Promise.all([followStatusRows(db), hubFedFollows(db, nowMs)]);
  const rows = new Map(follows.map((row) => [row.user_id, row]));
  return {
    // follows.yaml is the list (rows of unfollowed accounts are gone at the next run).
    follows: config.follows.map((follow) => {
      const row = rows.get(follow.user_id);
      const items = counts.get(follow.user_id) ?? 0;
      return row ? followStatusOf(row, items, lastRunMinute, nowMs, hubFed.has(row.user_id)) : notYetPolled(follow, items);
    }),
    last_run_at: lastRunMinute === null ? null : formatIsoUtc(lastRunMinute * MINUTE_MS),
  };
}
