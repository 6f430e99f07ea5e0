/**
 * Where one poll of a followed feed is (poll-feed.ts): what it has read, where it reads next, and the
 * outcome it ends with -- complete, interrupted (a walk's cursor kept for the next run) or failed
 * (backed off, schedule.ts). Only what differs from the follow's row is written.
 */

import type { NewTimelineItem } from "./items.ts";
import type { PollDeps, PollOutcome, PollStatus } from "./poll-feed.ts";
import { backoffMinutes, MINUTE_MS } from "./schedule.ts";
import { markerText, parseMarker, type SeenMarker } from "./seen.ts";
import type { FollowRow, FollowUpdate } from "./store.ts";

/** A catch-up walk along next_node, saved between runs. */
export interface Walk {
  /** The page to read next. */
  url: string;
  /** Items at the top of that page already read. */
  skip: number;
  /** Stop at the first item this marker has seen (the position of the poll before the rollover). */
  until: SeenMarker;
  /** The marker to keep once the walk is done (the head's newest items when the walk started). */
  top: SeenMarker;
  /** Pages read so far, the head included. */
  pages: number;
}

export function parseWalk(text: string | null): Walk | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Walk;
    if (typeof value.url !== "string" || !Number.isSafeInteger(value.skip) || !value.until || !value.top) return null;
    return { url: value.url, skip: value.skip, until: value.until, top: value.top, pages: Number.isSafeInteger(value.pages) ? value.pages : 0 };
  } catch {
    return null;
  }
}

/** Where one poll is: what it has read, where it reads next, and what it will write. */
export interface PollState {
  row: FollowRow;
  deps: PollDeps;
  update: FollowUpdate;
  /** New items of each page read, newest first. */
  newest: NewTimelineItem[][];
  storedKeys: Set<string>;
  notes: string[];
  blocked: number;
  textless: number;
  name: string | null;
  feedUrl: string;
  oldestFirst: boolean;
  /** The page to read next: a saved walk's, or the head. */
  url: string;
  head: boolean;
  first: boolean;
  skip: number;
  until: SeenMarker | null;
  top: SeenMarker | null;
  pages: number;
  relocated: boolean;
  pagesRead: number;
  /** New items read in this poll, every page: bounded by the feed's quota. */
  freshRead: number;
  visited: Set<string>;
}

export function startPoll(row: FollowRow, deps: PollDeps): PollState {
  const savedWalk = parseWalk(row.walk);
  return {
    row,
    deps,
    update: {},
    newest: [],
    storedKeys: new Set(),
    notes: [],
    blocked: 0,
    textless: 0,
    name: row.name,
    feedUrl: row.feed_url,
    oldestFirst: row.oldest_first === 1,
    url: savedWalk?.url ?? row.feed_url,
    head: savedWalk === null,
    first: savedWalk === null && row.seen === null,
    skip: savedWalk?.skip ?? 0,
    until: savedWalk ? savedWalk.until : parseMarker(row.seen),
    top: savedWalk?.top ?? null,
    pages: savedWalk?.pages ?? 0,
    relocated: false,
    pagesRead: 0,
    freshRead: 0,
    visited: new Set(),
  };
}

export const collected = (s: PollState): NewTimelineItem[] => s.newest.flat().reverse();

function newestItemMs(s: PollState): number | null {
  let best = s.row.newest_item_ms;
  for (const item of s.newest.flat()) if (best === null || item.published_ms > best) best = item.published_ms;
  return best;
}

export function finish(s: PollState, status: PollStatus, extra: FollowUpdate = {}, failure?: string): PollOutcome {
  const { row, update } = s;
  const items = collected(s);
  if (s.textless) s.notes.push(`${s.textless === 1 ? "1 item" : `${s.textless} items`} without text not stored (spec "Required Item Elements": description)`);
  Object.assign(update, extra);
  if (items.length) update.newest_item_ms = newestItemMs(s);
  if (s.name !== row.name) update.name = s.name;
  if (s.oldestFirst !== (row.oldest_first === 1)) update.oldest_first = s.oldestFirst ? 1 : 0;
  // Only what differs from the row is written; a poll that changed nothing writes nothing.
  for (const key of Object.keys(update) as (keyof FollowUpdate)[]) if (update[key] === row[key]) delete update[key];
  if (Object.keys(update).length || items.length) update.last_poll_ms = s.deps.nowMs;
  const outcome: PollOutcome = {
    status: items.length && (status === "no-new-items" || status === "not-modified") ? "new-items" : status,
    items,
    account: { name: s.name, user_link: s.feedUrl },
    update,
    blocked: s.blocked,
    notes: s.notes,
    pagesRead: s.pagesRead,
  };
  if (failure) outcome.failure = failure;
  return outcome;
}

export const HEALTHY: FollowUpdate = { failures: 0, last_error: null };

/** Done: everything new is read. */
export function complete(s: PollState, status: PollStatus): PollOutcome {
  return finish(s, status, { ...HEALTHY, seen: markerText(s.top ?? s.until), walk: null, due_ms: null });
}

/** The feed failed: back off (schedule.ts), keeping `progress` (a walk's cursor). */
export function failed(s: PollState, reason: string, progress: FollowUpdate = {}): PollOutcome {
  const failures = s.row.failures + 1;
  return finish(s, "failed", { ...progress, failures, last_error: reason, due_ms: s.deps.nowMs + backoffMinutes(failures) * MINUTE_MS }, reason);
}

/** Stopped part-way: keep the cursor; `failure` backs off, otherwise the next run continues. */
export function interrupted(s: PollState, reason: "budget" | "items" | "failure", failure?: string): PollOutcome {
  // Nothing read yet and the run is out: the job puts the feed first in line for the next run.
  if (reason === "budget" && s.pagesRead === 0) return finish(s, "deferred");
  const { url, skip, until, top, pages } = s;
  const progress: FollowUpdate = {};
  if (until && top && !s.first) progress.walk = JSON.stringify({ url, skip, until, top, pages } satisfies Walk);
  else if (s.first && top) {
    // A first poll cut short keeps what it read: the backfill is bounded anyway.
    return complete(s, "new-items");
  }
  if (reason === "failure") return failed(s, failure ?? "failed", progress);
  const caughtUp = progress.walk !== undefined;
  return finish(s, caughtUp ? "catching-up" : "deferred", { ...progress, ...(caughtUp ? { ...HEALTHY, due_ms: s.deps.nowMs } : {}) });
}
