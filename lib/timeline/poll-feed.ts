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
import { collected, complete, failed, finish, HEALTHY, interrupted, type PollState, startPoll } from "./poll-state.ts";
import { advanceMarker, integerGuid, isSeen, itemKey, type SeenMarker } from "./seen.ts";
import type { FollowRow, FollowUpdate } from "./store.ts";

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

/** What reading one page found, beside the page: set while the reader hands over its items. */
interface PageScan {
  parsed: number;
  /** An item already seen was reached. */
  boundary: boolean;
  /** The run's items to parse, or the feed's quota of new ones, ran out on this page. */
  allowanceOut: boolean;
  /** The page lists oldest first (undefined: cannot tell). */
  ascending: boolean | undefined;
  seenBy: SeenMarker | null;
}

/** Fetch and read the page at s.url, only as far as this poll needs. */
async function readPage(s: PollState, conditional: boolean) {
  const { deps, row } = s;
  const maxNew = deps.maxNewItems ?? Number.POSITIVE_INFINITY;
  const scan: PageScan = { parsed: 0, boundary: false, allowanceOut: false, ascending: s.oldestFirst ? true : undefined, seenBy: s.until };
  let fresh = 0;
  let previous: FeedItem | undefined;
  const read = await fetchTimelinePage(s.url, {
    fetch: deps.fetch,
    allowLoopback: deps.allowLoopback,
    budget: deps.budget,
    ...(deps.limits.fetch ? { limits: deps.limits.fetch } : {}),
    ...(conditional ? { etag: row.etag, lastModified: row.last_modified } : {}),
    skip: s.skip,
    stopAfter: (item) => {
      scan.parsed += 1;
      deps.allowance.left -= 1;
      if (previous && scan.ascending === undefined) scan.ascending = ascends(previous, item);
      previous = item;
      const key = itemKey(item);
      if (key !== undefined && isSeen(key, scan.seenBy)) {
        scan.boundary = true;
        // Newest first (Open Microblog feeds): everything after this item is older, so seen too.
        if (!scan.ascending) return true;
      } else if (key !== undefined) {
        fresh += 1;
        s.freshRead += 1;
      }
      if (s.first && !scan.ascending && fresh >= deps.limits.backfillItems) return true;
      if (deps.allowance.left <= 0 || s.freshRead >= maxNew) {
        scan.allowanceOut = true;
        return true;
      }
      return false;
    },
  });
  return { read, scan };
}

/** The head page's checks and what it says of the account; an outcome when the poll must stop. */
function readHead(s: PollState, feed: Feed, pageUrl: string, validators: { etag: string | null; lastModified: string | null }): PollOutcome | undefined {
  const { row, deps } = s;
  if (isListFeed(feed)) return interrupted(s, "failure", `${listFeedReason(pageUrl)}; unfollow it (npm run unfollow -- ${s.feedUrl})`);
  const channelId = feed.channel.user_id;
  if (channelId !== undefined && channelId !== row.user_id) {
    return interrupted(s, "failure", `the feed at ${pageUrl} belongs to user_id ${channelId.slice(0, 128)}, not ${row.user_id} as in follows.yaml`);
  }
  if (matchesIdentity(deps.config.blocks, channelId, pageUrl)) return interrupted(s, "failure", `the feed at ${pageUrl} is an account in blocks.yaml`);
  const fullName = feed.channel.user_full_name?.slice(0, MAX_NAME) ?? null;
  if (fullName !== null) s.name = fullName;
  if (s.skip === 0) {
    s.update.etag = validators.etag;
    s.update.last_modified = validators.lastModified;
  }
  return undefined;
}

/**
 * The page's items in reading order; new ones are kept, newest first. Listed oldest first, everything
 * up to the last item seen is older than it (seen too, whatever its guid). Moves the head's marker.
 */
function keepNewItems(s: PollState, feed: Feed, pageUrl: string, scan: PageScan, order: boolean | undefined): void {
  const { deps } = s;
  const pageItems: NewTimelineItem[] = [];
  const keysRead: string[] = [];
  let lastSeenIndex = -1;
  if (order)
    feed.items.forEach((item, index) => {
      const key = itemKey(item);
      if (key !== undefined && isSeen(key, scan.seenBy)) lastSeenIndex = index;
    });
  for (const [index, item] of feed.items.entries()) {
    const key = itemKey(item);
    if (key === undefined) continue;
    keysRead.push(key);
    if (index <= lastSeenIndex || isSeen(key, scan.seenBy) || s.storedKeys.has(key)) continue;
    const verdict = timelineItem(item, pageUrl, deps.nowMs, deps.config, deps.mentions);
    if (verdict.skipped === "blocked") s.blocked += 1;
    if (verdict.skipped === "no-text") s.textless += 1;
    if (!verdict.item) continue;
    s.storedKeys.add(key);
    pageItems.push(verdict.item);
  }
  const newestFirstKeys = order ? keysRead.reverse() : keysRead;
  const newestFirstItems = order ? pageItems.reverse() : pageItems;
  s.newest.push(s.first ? newestFirstItems.slice(0, deps.limits.backfillItems) : newestFirstItems);
  if (s.head && s.skip === 0) s.top = advanceMarker(s.until, newestFirstKeys);
}

/**
 * A <microblog:relocate> on the head naming another feed: poll that one from now on. "continue": read
 * the new head in this poll; an outcome: stop here.
 */
function relocate(s: PollState, to: string, pageUrl: string): PollOutcome | "continue" {
  if (s.relocated) {
    // A second relocation in one poll (a chain, or two feeds naming each other): back off like any
    // failing feed, instead of two fetches every run for ever.
    return failed(s, `${pageUrl} relocates again, to ${to}: a chain or loop of relocations, not followed further`);
  }
  // Spec "Obligation of the Client": the old URL is dead from now on. The new feed is read as a
  // first poll (bounded backfill; items it shares with the old one are stored once).
  s.feedUrl = to;
  Object.assign(s.update, { feed_url: to, moved_to: to, etag: null, last_modified: null, seen: null, walk: null });
  s.notes.push(`${pageUrl} relocated to ${to}: polling the new URL; update follows.yaml (npm run follow -- ${to})`);
  if (!s.deps.mayFetch()) return finish(s, "new-items", { ...HEALTHY, seen: null, walk: null, due_ms: s.deps.nowMs });
  Object.assign(s, { relocated: true, url: to, head: true, first: true, skip: 0, until: null, top: null, pages: 0 });
  return "continue";
}

/** Where reading goes after a page that neither relocated nor failed: an outcome, or on to the next page. */
function afterPage(s: PollState, feed: Feed, pageUrl: string, scan: PageScan): PollOutcome | undefined {
  if (scan.boundary || s.first) return complete(s, collected(s).length ? "new-items" : "no-new-items");
  if (scan.allowanceOut && !feed.complete) {
    s.skip += scan.parsed;
    return interrupted(s, "items");
  }
  const next = nextNodeUrl(feed, pageUrl, s.visited);
  if (!next) return complete(s, collected(s).length ? "new-items" : "no-new-items");
  if (s.pages >= s.deps.limits.maxWalkPages) {
    s.notes.push(`stopped catching up after ${s.pages} pages without reaching the last item seen: older items were not read`);
    return complete(s, "new-items");
  }
  Object.assign(s, { url: next, head: false, skip: 0 });
  return undefined;
}

export async function pollFeed(row: FollowRow, deps: PollDeps): Promise<PollOutcome> {
  const s = startPoll(row, deps);
  for (;;) {
    if (!deps.mayFetch()) return interrupted(s, "budget");
    const conditional = s.head && !s.first && s.skip === 0;
    const { read, scan } = await readPage(s, conditional);
    if (!read.ok) {
      if (read.error.kind === "budget") {
        // Out of the run's budget: not the feed's fault. Out of the feed's own share with nothing read: too costly.
        if (deps.budget.inheritedRefusal() || s.pagesRead > 0) return interrupted(s, "budget");
        return interrupted(s, "failure", `the feed needs more than one feed's share of a run (${failureReason(read.error)})`);
      }
      return interrupted(s, "failure", failureReason(read.error));
    }
    const page = read.value;
    if (page.note && !s.notes.includes(page.note)) s.notes.push(page.note);
    if (s.head && page.movedTo && page.movedTo !== s.feedUrl) {
      s.feedUrl = page.movedTo;
      s.update.feed_url = s.feedUrl;
      s.update.moved_to = s.feedUrl;
      s.notes.push(`${s.url} moved permanently to ${s.feedUrl}: polling the new URL; update follows.yaml (npm run follow -- ${s.feedUrl})`);
    }
    if (page.notModified && !conditional) return interrupted(s, "failure", `${page.url} answered 304 to a request that was not conditional`);
    // A 304: nothing new, nothing parsed. Only a recovery from failures or a stale due time is written.
    if (page.notModified || !page.feed) return finish(s, "not-modified", { ...HEALTHY, due_ms: null });
    const feed: Feed = page.feed;
    s.pagesRead += 1;
    s.pages += 1;
    s.visited.add(page.url);
    const order = scan.ascending;
    if (s.head && order !== undefined) s.oldestFirst = order;
    if (s.head) {
      const stop = readHead(s, feed, page.url, page);
      if (stop) return stop;
    }
    keepNewItems(s, feed, page.url, scan, order);
    const relocateTo = s.head ? absoluteLink(feed.channel.relocate, page.url) : null;
    if (relocateTo && normalizeUserLink(relocateTo) !== normalizeUserLink(s.feedUrl)) {
      const next = relocate(s, relocateTo, page.url);
      if (next === "continue") continue;
      return next;
    }
    const outcome = afterPage(s, feed, page.url, scan);
    if (outcome) return outcome;
  }
}
