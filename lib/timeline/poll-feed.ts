/**
 * One poll of one followed feed: what is new since the last poll, read as cheaply as the free plan
 * needs, and the feed's new state. Nothing here writes: the job (poll-job.ts) stores the outcome's
 * items and state in one D1 batch.
 *
 * - Conditional GET on the head (If-None-Match / If-Modified-Since from the last 200): a 304 costs
 *   one subrequest, no bytes, no parsing, and no D1 write.
 * - The head is parsed only up to the first item already seen (seen.ts): usually a handful of items.
 * - No post lost (spec "Feed Paging"): when no seen item is on the head, the author's head rolled over
 *   since the last poll, and the walk follows next_node page by page until it reaches one. A walk that
 *   does not fit in this run -- the feed's share of subrequests, or the run's share of items to parse
 *   (10 ms of CPU) -- is saved as a cursor (page URL, items of it already read, the marker to stop at)
 *   and continued in the next run. Archive pages never change (spec: moved "as is"), so the cursor
 *   stays valid; items are stored deduplicated by (user_id, guid), so re-reading costs nothing twice.
 * - A first poll (new follow) backfills the newest items of the head page only, at most
 *   `backfillItems`: following someone does not pull in their whole history.
 * - Relocation (spec "Relocation", "Obligation of the Client": "immediately redirect their crawlers"):
 *   a <microblog:relocate> on the head, or a permanent redirect (301/308) of the head URL, switches
 *   polling to the new URL at once (this poll, when the budget allows) and records moved_to, which the
 *   owner sees in the follow status until follows.yaml is updated.
 */
import type { Budget } from "../shared/budget.ts";
import { parseFlexibleDate } from "../shared/dates.ts";
import { isListFeed, listFeedReason } from "../shared/feed-kind.ts";
import type { FeedPageFailure } from "../shared/remote-feed-page.ts";
import { nextNodeUrl } from "../shared/remote-feed-page.ts";
import type { Feed, FeedItem } from "../shared/remote-feed-reader.ts";
import type { PerFetchLimits } from "../shared/remote-fetch.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import { fetchTimelinePage } from "./fetch-page.ts";
import { absoluteLink, matchesIdentity, type NewTimelineItem, timelineItem } from "./items.ts";
import { backoffMinutes, MINUTE_MS } from "./schedule.ts";
import { advanceMarker, integerGuid, isSeen, itemKey, markerText, parseMarker, type SeenMarker } from "./seen.ts";
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

export interface PollLimits {
  /** A first poll stores at most this many of the head's newest items. */
  backfillItems: number;
  /** A walk gives up after this many pages (a feed whose guids all changed would otherwise be read to its start). */
  maxWalkPages: number;
  /** Per fetch: time, bytes, redirects (lib/shared/remote-fetch.ts defaults when absent). */
  fetch?: Partial<PerFetchLimits>;
}

export const DEFAULT_POLL_LIMITS: PollLimits = { backfillItems: 20, maxWalkPages: 20 };

/** Items the run may still parse (shared by every feed of the run: the run's CPU). */
export interface ItemAllowance {
  left: number;
}

export interface PollDeps {
  config: SiteConfig;
  fetch: typeof fetch;
  allowLoopback: boolean;
  /** The run's time, epoch ms. */
  nowMs: number;
  /** This feed's share of the run. */
  budget: Budget;
  allowance: ItemAllowance;
  /** New items this feed may store in this poll (feed-quota.ts); reading stops there, its cursor kept. */
  maxNewItems?: number;
  /** Whether the run can afford another fetch for this feed (its own D1 write stays reserved). */
  mayFetch(): boolean;
  mentions(item: FeedItem): boolean;
  limits: PollLimits;
}

export type PollStatus = "not-modified" | "no-new-items" | "new-items" | "catching-up" | "failed" | "deferred";

export interface PollOutcome {
  status: PollStatus;
  /** New items, oldest first (insertion order). */
  items: NewTimelineItem[];
  /** The name and feed the items are stored with. */
  account: { name: string | null; user_link: string };
  /** Columns of the follow's row to write; empty: write nothing. */
  update: FollowUpdate;
  /** Items not stored because they repost a blocked account. */
  blocked: number;
  failure?: string;
  notes: string[];
  pagesRead: number;
}

const MAX_NAME = 100;

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

/** Does this pair of consecutive items go up (the feed lists oldest first)? Undefined: cannot tell. */
function ascends(previous: FeedItem, current: FeedItem): boolean | undefined {
  const a = previous.guid ? integerGuid(previous.guid) : undefined;
  const b = current.guid ? integerGuid(current.guid) : undefined;
  if (a !== undefined && b !== undefined && a !== b) return b > a;
  const da = previous.pubDate ? parseFlexibleDate(previous.pubDate) : undefined;
  const db = current.pubDate ? parseFlexibleDate(current.pubDate) : undefined;
  if (da !== undefined && db !== undefined && da !== db) return db > da;
  return undefined;
}

function failureReason(failure: FeedPageFailure): string {
  return failure.detail.slice(0, 300);
}

export async function pollFeed(row: FollowRow, deps: PollDeps): Promise<PollOutcome> {
  const { limits } = deps;
  const savedWalk = parseWalk(row.walk);
  const update: FollowUpdate = {};
  const newest: NewTimelineItem[][] = [];
  const storedKeys = new Set<string>();
  const notes: string[] = [];
  let blocked = 0;
  let textless = 0;
  let name = row.name;
  let feedUrl = row.feed_url;
  let oldestFirst = row.oldest_first === 1;

  // Where reading starts: a saved walk, or the head.
  let url = savedWalk?.url ?? row.feed_url;
  let head = savedWalk === null;
  let first = savedWalk === null && row.seen === null;
  let skip = savedWalk?.skip ?? 0;
  let until: SeenMarker | null = savedWalk ? savedWalk.until : parseMarker(row.seen);
  let top: SeenMarker | null = savedWalk?.top ?? null;
  let pages = savedWalk?.pages ?? 0;
  let relocated = false;
  let pagesRead = 0;
  // New items read in this poll, every page: bounded by the feed's quota.
  let freshRead = 0;
  const maxNew = deps.maxNewItems ?? Number.POSITIVE_INFINITY;
  const visited = new Set<string>();

  const collected = (): NewTimelineItem[] => newest.flat().reverse();
  const newestItemMs = (): number | null => {
    let best = row.newest_item_ms;
    for (const item of newest.flat()) if (best === null || item.published_ms > best) best = item.published_ms;
    return best;
  };
  const finish = (status: PollStatus, extra: FollowUpdate = {}, failure?: string): PollOutcome => {
    const items = collected();
    if (textless) notes.push(`${textless === 1 ? "1 item" : `${textless} items`} without text not stored (spec "Required Item Elements": description)`);
    Object.assign(update, extra);
    if (items.length) update.newest_item_ms = newestItemMs();
    if (name !== row.name) update.name = name;
    if (oldestFirst !== (row.oldest_first === 1)) update.oldest_first = oldestFirst ? 1 : 0;
    // Only what differs from the row is written; a poll that changed nothing writes nothing.
    for (const key of Object.keys(update) as (keyof FollowUpdate)[]) if (update[key] === row[key]) delete update[key];
    if (Object.keys(update).length || items.length) update.last_poll_ms = deps.nowMs;
    const outcome: PollOutcome = {
      status: items.length && (status === "no-new-items" || status === "not-modified") ? "new-items" : status,
      items,
      account: { name, user_link: feedUrl },
      update,
      blocked,
      notes,
      pagesRead,
    };
    if (failure) outcome.failure = failure;
    return outcome;
  };
  const healthy: FollowUpdate = { failures: 0, last_error: null };
  /** Done: everything new is read. */
  const complete = (status: PollStatus): PollOutcome => finish(status, { ...healthy, seen: markerText(top ?? until), walk: null, due_ms: null });
  /** Stopped part-way: keep the cursor; `failure` backs off, otherwise the next run continues. */
  const interrupted = (reason: "budget" | "items" | "failure", failure?: string): PollOutcome => {
    // Nothing read yet and the run is out: the job puts the feed first in line for the next run.
    if (reason === "budget" && pagesRead === 0) return finish("deferred");
    const progress: FollowUpdate = {};
    if (until && top && !first) progress.walk = JSON.stringify({ url, skip, until, top, pages } satisfies Walk);
    else if (first && top) {
      // A first poll cut short keeps what it read: the backfill is bounded anyway.
      return complete("new-items");
    }
    if (reason === "failure") {
      const failures = row.failures + 1;
      return finish("failed", { ...progress, failures, last_error: failure ?? "failed", due_ms: deps.nowMs + backoffMinutes(failures) * MINUTE_MS }, failure);
    }
    const caughtUp = progress.walk !== undefined;
    return finish(caughtUp ? "catching-up" : "deferred", { ...progress, ...(caughtUp ? { ...healthy, due_ms: deps.nowMs } : {}) });
  };

  for (;;) {
    if (!deps.mayFetch()) return interrupted("budget");
    const conditional = head && !first && skip === 0;
    let parsed = 0;
    let fresh = 0;
    let boundary = false;
    let allowanceOut = false;
    let ascending: boolean | undefined = oldestFirst ? true : undefined;
    let previous: FeedItem | undefined;
    const seenBy = until;
    const read = await fetchTimelinePage(url, {
      fetch: deps.fetch,
      allowLoopback: deps.allowLoopback,
      budget: deps.budget,
      ...(limits.fetch ? { limits: limits.fetch } : {}),
      ...(conditional ? { etag: row.etag, lastModified: row.last_modified } : {}),
      skip,
      stopAfter: (item) => {
        parsed += 1;
        deps.allowance.left -= 1;
        if (previous && ascending === undefined) ascending = ascends(previous, item);
        previous = item;
        const key = itemKey(item);
        if (key !== undefined && isSeen(key, seenBy)) {
          boundary = true;
          // Newest first (Open Microblog feeds): everything after this item is older, so seen too.
          if (!ascending) return true;
        } else if (key !== undefined) {
          fresh += 1;
          freshRead += 1;
        }
        if (first && !ascending && fresh >= limits.backfillItems) return true;
        if (deps.allowance.left <= 0 || freshRead >= maxNew) {
          allowanceOut = true;
          return true;
        }
        return false;
      },
    });
    if (!read.ok) {
      if (read.error.kind === "budget") {
        // Out of the run's budget: not the feed's fault. Out of the feed's own share with nothing read: too costly.
        if (deps.budget.inheritedRefusal() || pagesRead > 0) return interrupted("budget");
        return interrupted("failure", `the feed needs more than one feed's share of a run (${failureReason(read.error)})`);
      }
      return interrupted("failure", failureReason(read.error));
    }
    const page = read.value;
    if (page.note && !notes.includes(page.note)) notes.push(page.note);
    if (head && page.movedTo && page.movedTo !== feedUrl) {
      feedUrl = page.movedTo;
      update.feed_url = feedUrl;
      update.moved_to = feedUrl;
      notes.push(`${url} moved permanently to ${feedUrl}: polling the new URL; update follows.yaml (npm run follow -- ${feedUrl})`);
    }
    if (page.notModified && !conditional) return interrupted("failure", `${page.url} answered 304 to a request that was not conditional`);
    if (page.notModified || !page.feed) {
      // A 304: nothing new, nothing parsed. Only a recovery from failures or a stale due time is written.
      return finish("not-modified", { ...healthy, due_ms: null });
    }
    const feed: Feed = page.feed;
    pagesRead += 1;
    pages += 1;
    visited.add(page.url);
    // Set inside stopAfter (TypeScript does not see that the callback ran).
    const order = ascending as boolean | undefined;
    if (head && order !== undefined) oldestFirst = order;

    if (head) {
      if (isListFeed(feed)) return interrupted("failure", `${listFeedReason(page.url)}; unfollow it (npm run unfollow -- ${feedUrl})`);
      const channelId = feed.channel.user_id;
      if (channelId !== undefined && channelId !== row.user_id) {
        return interrupted("failure", `the feed at ${page.url} belongs to user_id ${channelId.slice(0, 128)}, not ${row.user_id} as in follows.yaml`);
      }
      if (matchesIdentity(deps.config.blocks, channelId, page.url)) return interrupted("failure", `the feed at ${page.url} is an account in blocks.yaml`);
      const fullName = feed.channel.user_full_name?.slice(0, MAX_NAME) ?? null;
      if (fullName !== null) name = fullName;
      if (skip === 0) {
        update.etag = page.etag;
        update.last_modified = page.lastModified;
      }
    }

    // The page's items in reading order; new ones are kept. Listed oldest first, everything up to the
    // last item seen is older than it (seen too, whatever its guid).
    const pageItems: NewTimelineItem[] = [];
    const keysRead: string[] = [];
    let lastSeenIndex = -1;
    if (order)
      feed.items.forEach((item, index) => {
        const key = itemKey(item);
        if (key !== undefined && isSeen(key, seenBy)) lastSeenIndex = index;
      });
    for (const [index, item] of feed.items.entries()) {
      const key = itemKey(item);
      if (key === undefined) continue;
      keysRead.push(key);
      if (index <= lastSeenIndex || isSeen(key, seenBy) || storedKeys.has(key)) continue;
      const verdict = timelineItem(item, page.url, deps.nowMs, deps.config, deps.mentions);
      if (verdict.skipped === "blocked") blocked += 1;
      if (verdict.skipped === "no-text") textless += 1;
      if (!verdict.item) continue;
      storedKeys.add(key);
      pageItems.push(verdict.item);
    }
    const newestFirstKeys = order ? keysRead.reverse() : keysRead;
    const newestFirstItems = order ? pageItems.reverse() : pageItems;
    newest.push(first ? newestFirstItems.slice(0, limits.backfillItems) : newestFirstItems);
    if (head && skip === 0) top = advanceMarker(until, newestFirstKeys);

    const relocate = head ? absoluteLink(feed.channel.relocate, page.url) : null;
    if (relocate && normalizeUserLink(relocate) !== normalizeUserLink(feedUrl)) {
      if (relocated) {
        // A second relocation in one poll (a chain, or two feeds naming each other): back off like any
        // failing feed, instead of two fetches every run for ever.
        const reason = `${page.url} relocates again, to ${relocate}: a chain or loop of relocations, not followed further`;
        const failures = row.failures + 1;
        return finish("failed", { failures, last_error: reason, due_ms: deps.nowMs + backoffMinutes(failures) * MINUTE_MS }, reason);
      }
      // Spec "Obligation of the Client": the old URL is dead from now on. The new feed is read as a
      // first poll (bounded backfill; items it shares with the old one are stored once).
      feedUrl = relocate;
      Object.assign(update, { feed_url: relocate, moved_to: relocate, etag: null, last_modified: null, seen: null, walk: null });
      notes.push(`${page.url} relocated to ${relocate}: polling the new URL; update follows.yaml (npm run follow -- ${relocate})`);
      if (!deps.mayFetch()) return finish("new-items", { ...healthy, seen: null, walk: null, due_ms: deps.nowMs });
      relocated = true;
      url = relocate;
      head = true;
      first = true;
      skip = 0;
      until = null;
      top = null;
      pages = 0;
      continue;
    }

    if (boundary) return complete(collected().length ? "new-items" : "no-new-items");
    if (first) return complete(collected().length ? "new-items" : "no-new-items");
    if (allowanceOut && !feed.complete) {
      skip += parsed;
      return interrupted("items");
    }
    const next = nextNodeUrl(feed, page.url, visited);
    if (!next) return complete(collected().length ? "new-items" : "no-new-items");
    if (pages >= limits.maxWalkPages) {
      notes.push(`stopped catching up after ${pages} pages without reaching the last item seen: older items were not read`);
      return complete("new-items");
    }
    url = next;
    head = false;
    skip = 0;
  }
}
