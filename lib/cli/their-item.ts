/**
 * The item `npm run new -- --reply-to / --repost` answers, named three ways: a timeline id (the
 * number `npm run timeline -- --json` shows), their post's permalink (looked up by link in the
 * timeline store), or `<their feed URL>#<guid>` (read from their feed with the same guarded fetch and
 * lenient reader the poller uses: the head page, then older pages by next_node, spec "Feed Paging",
 * at most FEED_PAGES). What comes back fills the spec's reply_to / repost elements (spec "Replies",
 * "Reposts") and their item's own page (`link`, for microformats2's u-in-reply-to / u-repost-of)
 * when known; their words stay text (lib/shared/post-file.ts quotes them).
 */
import { isLoopbackHost } from "../shared/address-guard.ts";
import type { ListPage, TimelineItem } from "../shared/api-types.ts";
import { Budget } from "../shared/budget.ts";
import { parseIsoDateTime, parseRfc822 } from "../shared/dates.ts";
import type { OtherItemRef } from "../shared/post-file.ts";
import { fetchFeedPage, nextNodeUrl } from "../shared/remote-feed-page.ts";
import type { FeedChannel, FeedItem } from "../shared/remote-feed-reader.ts";
import { plainTextOf } from "../shared/sanitize-html.ts";
import { parseHttpUrl } from "../shared/urls.ts";
import type { ApiAnswer, OwnerApi } from "./owner-api.ts";
import { CliError, UsageError } from "./run.ts";

/** Their item as a reply or a repost needs it. */
export interface TheirItem extends OtherItemRef {
  /** Epoch ms (a repost's pubdate), when their feed gives one. */
  pubdate: number | undefined;
  /** Their words as text (a repost's quoted text). */
  text: string;
}

/** How far a lookup in the timeline store reads: 10 pages of 100, newest first. */
const TIMELINE_PAGES = 10;
/** Feed pages read at most for their item: the head page and four older ones (as the outbox looks). */
export const FEED_PAGES = 5;
/** The whole lookup (lib/shared/budget.ts): each page with a redirect or two, 8 MiB a page. */
const FEED_BUDGET = { subrequests: 4 * FEED_PAGES, bytes: FEED_PAGES * 8 * 1024 * 1024, durationMs: 60_000 };

/** Their item's own page, when it is an http(s) URL. */
function itemLink(link: string | undefined): { link?: string } {
  const url = link ? parseHttpUrl(link) : undefined;
  return url ? { link: url.href } : {};
}

export type ItemName = { kind: "timeline-id"; id: number } | { kind: "permalink"; url: string } | { kind: "feed"; feed: string; guid: string };

/** Reads the argument: digits are a timeline id; a URL with a #fragment is feed + guid; any other URL a permalink. */
export function parseItemName(arg: string, option: string): ItemName {
  if (/^\d{1,15}$/.test(arg)) return { kind: "timeline-id", id: Number(arg) };
  let url: URL;
  try {
    url = new URL(arg);
  } catch {
    throw new UsageError(`${option} takes a timeline id, a permalink or <feed URL>#<guid>, got ${JSON.stringify(arg)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`${option} takes an http(s) URL, got ${JSON.stringify(arg)}`);
  if (!url.hash || url.hash === "#") return { kind: "permalink", url: url.href };
  const guid = decodeURIComponent(url.hash.slice(1));
  url.hash = "";
  return { kind: "feed", feed: url.href, guid };
}

function fromTimeline(item: TimelineItem): TheirItem {
  return {
    user_id: item.user_id,
    user_link: item.user_link,
    status_id: item.guid,
    username: item.username,
    ...itemLink(item.link ?? undefined),
    pubdate: parseIsoDateTime(item.date),
    text: item.text,
  };
}

async function findInTimeline(api: OwnerApi, matches: (item: TimelineItem) => boolean, what: string): Promise<TheirItem> {
  let cursor: string | null = null;
  for (let page = 0; page < TIMELINE_PAGES; page++) {
    const query: string = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const answer: ApiAnswer<ListPage<TimelineItem>> = await api.call<ListPage<TimelineItem>>("GET", `/api/timeline${query}`);
    const found = answer.body?.items.find(matches);
    if (found) return fromTimeline(found);
    cursor = answer.body?.next_cursor ?? null;
    if (!cursor) break;
  }
  throw new CliError(`${what} is not in your timeline (npm run timeline -- --json lists it); name it as <feed URL>#<guid> instead`);
}

async function fromFeed(feed: string, guid: string): Promise<TheirItem> {
  const options = {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    allowLoopback: isLoopbackHost(new URL(feed).hostname),
    budget: new Budget(FEED_BUDGET, Date.now),
    stopAfter: (item: FeedItem) => item.guid === guid,
  };
  const head = await fetchFeedPage(feed, options);
  if (!head.ok) throw new CliError(`could not read ${feed}: ${head.error.detail}`);
  const channel: FeedChannel = head.value.feed?.channel ?? {};
  let page = head.value;
  const visited = new Set([page.url]);
  let item = page.feed?.items.find(options.stopAfter);
  while (!item && visited.size < FEED_PAGES && page.feed) {
    const next = nextNodeUrl(page.feed, page.url, visited);
    if (!next) break;
    const read = await fetchFeedPage(next, options);
    if (!read.ok) throw new CliError(`could not read ${next} (an older page of ${feed}): ${read.error.detail}`);
    visited.add(read.value.url);
    page = read.value;
    item = page.feed?.items.find(options.stopAfter);
  }
  const pages = `${visited.size === 1 ? "its first page" : `its ${visited.size} newest pages`}`;
  if (!item) throw new CliError(`${feed} has no item with guid ${JSON.stringify(guid)} in ${pages}`);
  const userId = item.user_id ?? channel.user_id;
  if (!userId) throw new CliError(`${feed} names no user_id (spec "Channel Elements"): it is not an Open Microblog feed`);
  const pubdate = item.pubDate ? parseRfc822(item.pubDate) : undefined;
  const username = item.user_name ?? channel.username;
  return {
    user_id: userId,
    user_link: head.value.url,
    status_id: guid,
    ...(username ? { username } : {}),
    ...itemLink(item.link),
    pubdate,
    text: plainTextOf(item.description ?? ""),
  };
}

/** Finds their item, or one clear CliError line. */
export function resolveItem(name: ItemName, api: () => OwnerApi): Promise<TheirItem> {
  if (name.kind === "feed") return fromFeed(name.feed, name.guid);
  if (name.kind === "timeline-id") return findInTimeline(api(), (item) => item.id === name.id, `timeline id ${name.id}`);
  return findInTimeline(api(), (item) => item.link === name.url, name.url).then((item) => ({ ...item, link: name.url }));
}
