/**
 * The item `npm run new -- --reply-to / --repost` answers, named three ways: a timeline id (the
 * number `npm run timeline -- --json` shows), their post's permalink (looked up by link in the
 * timeline store), or `<their feed URL>#<guid>` (read from their feed with the same guarded fetch and
 * lenient reader the poller uses). What comes back fills the spec's reply_to / repost elements (spec
 * "Replies", "Reposts"); their words stay text (lib/shared/post-file.ts quotes them).
 */
import { isLoopbackHost } from "../shared/address-guard.ts";
import type { ListPage, TimelineItem } from "../shared/api-types.ts";
import { Budget } from "../shared/budget.ts";
import { parseIsoDateTime, parseRfc822 } from "../shared/dates.ts";
import type { OtherItemRef } from "../shared/post-file.ts";
import { fetchFeedPage } from "../shared/remote-feed-page.ts";
import { plainTextOf } from "../shared/sanitize-html.ts";
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
/** One feed read: a page, its redirects, nothing more (lib/shared/budget.ts). */
const FEED_BUDGET = { subrequests: 4, bytes: 8 * 1024 * 1024, durationMs: 30_000 };

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
  const host = new URL(feed).hostname;
  const page = await fetchFeedPage(feed, {
    fetch: (input, init) => fetch(input, init),
    allowLoopback: isLoopbackHost(host),
    budget: new Budget(FEED_BUDGET, Date.now),
    stopAfter: (item) => item.guid === guid,
  });
  if (!page.ok) throw new CliError(`could not read ${feed}: ${page.error.detail}`);
  const { channel, items } = page.value.feed ?? { channel: {}, items: [] };
  const item = items.find((candidate) => candidate.guid === guid);
  if (!item) throw new CliError(`${feed} has no item with guid ${JSON.stringify(guid)} on its first page`);
  const userId = item.user_id ?? channel.user_id;
  if (!userId) throw new CliError(`${feed} names no user_id (spec "Channel Elements"): it is not an Open Microblog feed`);
  const pubdate = item.pubDate ? parseRfc822(item.pubDate) : undefined;
  const username = item.user_name ?? channel.username;
  return {
    user_id: userId,
    user_link: page.value.url,
    status_id: guid,
    ...(username ? { username } : {}),
    pubdate,
    text: plainTextOf(item.description ?? ""),
  };
}

/** Finds their item, or one clear CliError line. */
export function resolveItem(name: ItemName, api: () => OwnerApi): Promise<TheirItem> {
  if (name.kind === "feed") return fromFeed(name.feed, name.guid);
  if (name.kind === "timeline-id") return findInTimeline(api(), (item) => item.id === name.id, `timeline id ${name.id}`);
  return findInTimeline(api(), (item) => item.link === name.url, name.url);
}
