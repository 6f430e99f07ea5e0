/**
 * Reading the other party before Skein writes to them: their head feed (the channel's message URL,
 * its accept policy, their follows and blocks lists), the item a notification answers, and the
 * courteous checks the spec asks of a client (spec "Private Messaging": "If the value is follows then
 * it should be courteous and do the necessary checks if a user follows them before sending
 * messages"; spec "Blocking": a user's published block list of accounts they do not want contact
 * from). Every fetch goes through fetchFeedPage (the address guard, caps, and the caller's Budget).
 *
 * Failures are sorted by what they mean for a retry:
 *   transient  their server failed for now (network, timeout, 5xx, 408, 429): try again later
 *   final      it will not work by trying again (a refused address, 4xx, not a feed, too large)
 *   deferred   our run's budget ran out first: not their doing; nothing is counted
 */
import type { Budget } from "../shared/budget.ts";
import { feedLinksOf } from "../shared/feed-links.ts";
import { fetchFeedPage, nextNodeUrl } from "../shared/remote-feed-page.ts";
import { type Feed, type FeedChannel, type FeedItem, FeedReadError, readFeed } from "../shared/remote-feed-reader.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { normalizeUserLink, parseHttpUrl } from "../shared/urls.ts";
import { decodeXmlBytes } from "../shared/xml-decoding.ts";

export interface ReadOptions {
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
}

export interface ReadFailure {
  kind: "transient" | "final" | "deferred";
  /** One line for the owner, naming the URL. */
  detail: string;
}

/** Us, as their lists would name us: our user_id or our feed URL (spec "Alternate Feed Layout"). */
export interface Us {
  user_id: string;
  feed_url: string;
}

/** Feed pages read at most to find a replied-to item (the head plus next_node pages). */
export const MAX_ITEM_PAGES = 5;
/** Pages of a follows or blocks list read at most (500 entries each, spec "Blocks"/"Follows"). */
export const MAX_LIST_PAGES = 3;

/** An HTTP status worth trying again later (RFC 9110: 408 timeout, 425, 429 too many, 5xx). */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

function failureOf(error: { kind: string; status?: number; detail: string }, budget: Budget): ReadFailure {
  if (error.kind === "budget") {
    return budget.inheritedRefusal() ? { kind: "deferred", detail: error.detail } : { kind: "transient", detail: error.detail };
  }
  if (error.kind === "unreachable") return { kind: "transient", detail: error.detail };
  if (error.kind === "http" && error.status !== undefined && isTransientStatus(error.status)) return { kind: "transient", detail: error.detail };
  return { kind: "final", detail: error.detail };
}

export interface HeadFeed {
  /** The URL that answered (after redirects and relocations): their feed URL as we use it. */
  url: string;
  /** The URL we started from, when their feed said it moved (spec "Relocation"). */
  relocatedFrom?: string;
  channel: FeedChannel;
  /** The items read (reading may stop early). */
  items: FeedItem[];
  feed: Feed;
}

/** Relocations followed at most when reading someone's head feed: a move, and one more. */
export const MAX_RELOCATIONS = 2;

/**
 * Where their head feed says they moved, when it does (spec "Relocation": "Clients who come across a
 * <relocate> tag should immediately redirect their crawlers at this new feed URL. The old URL can be
 * discarded and is considered dead."). Undefined when it does not, or names a URL already read.
 */
function relocationOf(feed: Feed, pageUrl: string, read: ReadonlySet<string>): string | undefined {
  const target = absoluteUrl(feed.channel.relocate?.trim(), pageUrl);
  return target !== undefined && !read.has(feedKey(target)) ? target : undefined;
}

/** One key for the URLs of one feed, however they are written. */
function feedKey(url: string): string {
  return normalizeUserLink(url) ?? url;
}

/**
 * The head page of a feed, read up to the first item for which `stopAfter` is true. A head that
 * relocates is not theirs any more: the new feed is read instead (at most MAX_RELOCATIONS moves;
 * a relocation back to a URL already read is ignored, so two feeds naming each other end).
 */
export async function readHead(
  url: string,
  options: ReadOptions,
  stopAfter?: (item: FeedItem, index: number) => boolean,
): Promise<Result<HeadFeed, ReadFailure>> {
  return followHead(url, options, stopAfter, { origin: url, moves: 0, read: new Set() });
}

/** Where a read of someone's head feed started, how often it moved, and the URLs read so far. */
interface HeadTrail {
  origin: string;
  moves: number;
  read: Set<string>;
}

async function followHead(
  url: string,
  options: ReadOptions,
  stopAfter: ((item: FeedItem, index: number) => boolean) | undefined,
  trail: HeadTrail,
): Promise<Result<HeadFeed, ReadFailure>> {
  let current = url;
  for (let moves = trail.moves; ; moves++) {
    const page = await fetchFeedPage(current, { ...options, ...(stopAfter ? { stopAfter } : {}) });
    if (!page.ok) return err(failureOf(page.error, options.budget));
    const { feed } = page.value;
    if (!feed) return err({ kind: "final", detail: `${page.value.url} answered 304 to a request that was not conditional` });
    const here = page.value.movedTo ?? current;
    trail.read.add(feedKey(here));
    trail.read.add(feedKey(page.value.url));
    const relocate = relocationOf(feed, page.value.url, trail.read);
    if (relocate === undefined) {
      return ok({ url: here, ...(moves > 0 ? { relocatedFrom: trail.origin } : {}), channel: feed.channel, items: feed.items, feed });
    }
    if (moves >= MAX_RELOCATIONS) {
      return err({ kind: "final", detail: `${trail.origin} moved ${moves} times and ${here} relocates again, to ${relocate}: not followed further` });
    }
    current = relocate;
  }
}

/** A URL a feed gives (message, reply, follows, blocks), made absolute against the page; undefined if unusable. */
export function absoluteUrl(value: string | undefined, base: string): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value, base).href;
    return parseHttpUrl(url) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The item a notification answers, and the head channel that came with it. */
export interface TargetItem {
  head: HeadFeed;
  item: FeedItem;
}

/** Their item with guid `statusId`: the head page, then next_node pages, up to MAX_ITEM_PAGES. */
export async function findItem(feedUrl: string, statusId: string, options: ReadOptions): Promise<Result<TargetItem, ReadFailure>> {
  const wanted = (item: FeedItem) => item.guid === statusId;
  const head = await readHead(feedUrl, options, wanted);
  if (!head.ok) return head;
  const visited = new Set([head.value.url]);
  let page = head.value.feed;
  let pageUrl = head.value.url;
  for (let pages = 1; ; pages++) {
    const item = page.items.find(wanted);
    if (item) return ok({ head: head.value, item });
    const next = pages < MAX_ITEM_PAGES ? nextNodeUrl(page, pageUrl, visited) : undefined;
    if (!next) break;
    const read = await fetchFeedPage(next, { ...options, stopAfter: wanted });
    if (!read.ok) return err(failureOf(read.error, options.budget));
    if (!read.value.feed) return err({ kind: "final", detail: `${read.value.url} answered 304 to a request that was not conditional` });
    visited.add(read.value.url);
    page = read.value.feed;
    pageUrl = read.value.url;
  }
  return err({
    kind: "final",
    detail: `their item ${statusId} is not in the ${visited.size} newest page${visited.size === 1 ? "" : "s"} of ${feedUrl} (deleted, or older than we look)`,
  });
}

/** Their newest item (the first in the head page): what a mention answers. */
export async function newestItem(feedUrl: string, options: ReadOptions): Promise<Result<TargetItem, ReadFailure>> {
  const head = await readHead(feedUrl, options, (_, index) => index === 0);
  if (!head.ok) return head;
  const item = head.value.items[0];
  if (!item) return err({ kind: "final", detail: `${feedUrl} has no items, so no reply URL to notify` });
  return ok({ head: head.value, item });
}

function isUs(entry: FeedItem, us: Us): boolean {
  if (entry.user_id !== undefined && entry.user_id === us.user_id) return true;
  const link = entry.user_link ? normalizeUserLink(entry.user_link) : undefined;
  return link !== undefined && link === normalizeUserLink(us.feed_url);
}

/** Does their list feed (follows or blocks) name us? Reads up to MAX_LIST_PAGES pages, stopping at us. */
export async function listNamesUs(listUrl: string, us: Us, options: ReadOptions): Promise<Result<boolean, ReadFailure>> {
  const visited = new Set<string>();
  let next: string | undefined = listUrl;
  for (let pages = 0; next !== undefined && pages < MAX_LIST_PAGES; pages++) {
    const read = await fetchFeedPage(next, { ...options, stopAfter: (entry) => isUs(entry, us) });
    if (!read.ok) return err(failureOf(read.error, options.budget));
    const { feed, url } = read.value;
    if (!feed) return err({ kind: "final", detail: `${url} answered 304 to a request that was not conditional` });
    if (feed.items.some((entry) => isUs(entry, us))) return ok(true);
    visited.add(url);
    next = nextNodeUrl(feed, url, visited);
  }
  return ok(false);
}

/** What the courteous checks found: go ahead, or not, and why. */
export type Courtesy = { send: true } | { send: false; refused: string } | { send: false; failure: ReadFailure };

/** The accept policy their channel declares (spec "Private Messaging"), lower case; undefined without a message element. */
export function acceptPolicy(channel: FeedChannel): string | undefined {
  if (!channel.message) return undefined;
  return (channel.message.accept ?? "everyone").trim().toLowerCase();
}

/**
 * The checks before writing to them: their public blocks list must not name us; under
 * accept="follows" their public follows list must (a policy we cannot check is a no: we do not
 * write where we would probably be refused); accept="off" takes nothing. accept="selected" is the
 * caller's (it remembers their last answer in D1). `who` names them in the reasons.
 */
export async function courtesyChecks(head: HeadFeed, us: Us, who: string, options: ReadOptions): Promise<Courtesy> {
  const blocks = absoluteUrl(head.channel.blocks?.url, head.url);
  if (blocks) {
    const blocked = await listNamesUs(blocks, us, options);
    if (!blocked.ok) return { send: false, failure: blocked.error };
    if (blocked.value) return { send: false, refused: `${who} blocks you (their public blocks list names you); nothing was sent` };
  }
  const accept = acceptPolicy(head.channel);
  if (accept === "off") return { send: false, refused: `${who} accepts nothing (accept="off"); nothing was sent` };
  if (accept === "follows") {
    const follows = absoluteUrl(head.channel.follows?.url, head.url);
    if (!follows)
      return { send: false, refused: `${who} accepts only accounts they follow (accept="follows") and publish no follows list to check; nothing was sent` };
    const followed = await listNamesUs(follows, us, options);
    if (!followed.ok) return { send: false, failure: followed.error };
    if (!followed.value) return { send: false, refused: `${who} accepts only accounts they follow (accept="follows") and do not follow you; nothing was sent` };
  }
  return { send: true };
}

/** Bytes of a profile page read to find its feed link (the <head> is near the start). */
const PROFILE_PAGE_BYTES = 256 * 1024;

/**
 * A recipient given as a feed URL or a profile URL: the feed itself, or the feed the profile page
 * links to. The head page is read up to its first item (the channel is what we need).
 */
export async function resolveFeed(url: string, options: ReadOptions): Promise<Result<HeadFeed, ReadFailure>> {
  const fetched = await fetchRemote(url, {
    fetch: options.fetch,
    allowLoopback: options.allowLoopback,
    budget: options.budget,
    headers: { Accept: "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1" },
  });
  if (!fetched.ok) return err(failureOf(fetched.error, options.budget));
  const answer = fetched.value;
  if (answer.status < 200 || answer.status > 299) {
    return err(failureOf({ kind: "http", status: answer.status, detail: `${answer.url} answered HTTP ${answer.status}` }, options.budget));
  }
  const type = answer.headers.get("Content-Type") ?? "";
  const start = new TextDecoder().decode(answer.bytes.subarray(0, 512)).trimStart().toLowerCase();
  if (/html/i.test(type) || start.startsWith("<!doctype html") || start.startsWith("<html")) {
    const html = new TextDecoder().decode(answer.bytes.subarray(0, PROFILE_PAGE_BYTES));
    const feedUrl = feedLinksOf(html, answer.url)[0];
    if (!feedUrl) return err({ kind: "final", detail: `${answer.url} is a web page that links to no RSS feed; give their feed URL` });
    return readHead(feedUrl, options, (_, index) => index === 0);
  }
  const decoded = decodeXmlBytes(answer.bytes, type);
  if (!decoded.ok) return err({ kind: "final", detail: `${answer.url}: ${decoded.error}` });
  // The one feed reader, on the bytes we have (no second fetch).
  try {
    const feed = readFeed(decoded.value.text, { stopAfter: (_, index) => index === 0 });
    const here = answer.movedTo ?? url;
    const read = new Set([feedKey(here), feedKey(answer.url)]);
    const relocate = relocationOf(feed, answer.url, read);
    if (relocate !== undefined) return followHead(relocate, options, (_, index) => index === 0, { origin: url, moves: 1, read });
    return ok({ url: here, channel: feed.channel, items: feed.items, feed });
  } catch (error) {
    if (error instanceof FeedReadError) return err({ kind: "final", detail: `${answer.url} is neither a feed nor a web page: ${error.message}`.slice(0, 300) });
    throw error;
  }
}
