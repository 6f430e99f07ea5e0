/**
 * What an Atom entry replies to or reposts, made into front matter where the source gives enough.
 * Atom names the other entry by its atom:id (RFC 4685 §3 thr:in-reply-to ref) and where it is (href),
 * and a repost only by the other feed (the Atom microblog design: link rel="via" title="repost"); an
 * Open Microblog reply_to / repost needs the account's user_id and the item's status_id (spec "Main
 * Feed Layout" › Optional Item Elements). So the head page of the feed named is read once
 * (readTargetFeeds, through the import's own guarded loader) and an item is taken only when it is
 * identified exactly (resolveAtomTargets):
 *
 * - a reply: the ref is the item's atom:id as Skein's Atom feed writes it
 *   (lib/publish/feed/atom-ids.ts: a v5 UUID of user_id and guid), its guid, or its link; or the href
 *   ends in #<guid>. Otherwise, when the ref or href is a web page rather than a feed, the post gets
 *   the plain-URL `in_reply_to:` (a reply to a web page, as IndieWeb posts write it).
 * - a repost: the via href ends in #<guid> or is an item's link, or the quoted text (the entry's
 *   trailing blockquote) is, as plain text, exactly one item's text on that page.
 *
 * What is not identified stays text with a note saying exactly why (atomNotes): nothing is guessed.
 */

import { atomEntryId } from "../publish/feed/atom-ids.ts";
import { plainText } from "../publish/markdown.ts";
import { type Feed, type FeedItem, FeedReadError, readFeed } from "../shared/remote-feed-reader.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { PageLoader } from "../validate/page-loader.ts";
import type { SourceItem } from "./source-page.ts";

/** Other feeds read for one import: each is one page of at most the import's page cap. */
export const MAX_TARGET_FEEDS = 20;

/** A feed named by a reply or repost, as read: an RSS feed with its URL, or why it is not one. */
export type TargetPage = Result<{ url: string; feed: Feed }, { reason: string; webPage?: boolean }>;

const withoutFragment = (url: string) => url.replace(/#.*$/, "");
const isHttp = (url: string | undefined): url is string => url !== undefined && /^https?:\/\/[^\s]+$/i.test(url);

function targetUrls(items: readonly SourceItem[]): string[] {
  const urls = new Set<string>();
  for (const item of items) {
    for (const url of [item.atomReply?.href, item.atomRepostOf]) if (isHttp(url)) urls.add(withoutFragment(url));
  }
  return [...urls];
}

/** Read the head page of every feed the entries' replies and reposts name (at most MAX_TARGET_FEEDS). */
export async function readTargetFeeds(items: readonly SourceItem[], loader: PageLoader, progress?: (line: string) => void): Promise<Map<string, TargetPage>> {
  const pages = new Map<string, TargetPage>();
  const urls = targetUrls(items);
  for (const url of urls.slice(0, MAX_TARGET_FEEDS)) {
    progress?.(`reading ${url}, which a reply or repost names`);
    const loaded = await loader.load(url);
    if (!loaded.ok) {
      pages.set(url, err({ reason: `${url} cannot be read (${loaded.error.detail})` }));
      continue;
    }
    try {
      pages.set(url, ok({ url: loaded.value.url, feed: readFeed(loaded.value.text) }));
    } catch (error) {
      if (!(error instanceof FeedReadError)) throw error;
      pages.set(url, err({ reason: `${url} is not an RSS feed`, webPage: /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html)\b/i.test(loaded.value.text) }));
    }
  }
  for (const url of urls.slice(MAX_TARGET_FEEDS)) pages.set(url, err({ reason: `${url} was not read (at most ${MAX_TARGET_FEEDS} other feeds an import)` }));
  return pages;
}

interface Found {
  user_id: string;
  user_link: string;
  item: FeedItem & { guid: string };
}

function findItem(page: TargetPage | undefined, matches: (item: FeedItem & { guid: string }, userId: string) => boolean): Found | undefined {
  if (!page?.ok) return undefined;
  const userId = page.value.feed.channel.user_id;
  if (!userId) return undefined;
  const found = page.value.feed.items.filter(
    (item): item is FeedItem & { guid: string } => item.guid !== undefined && matches({ ...item, guid: item.guid }, userId),
  );
  return found.length === 1 ? { user_id: userId, user_link: page.value.url, item: found[0]! } : undefined;
}

const fragmentOf = (url: string | undefined) => (url?.includes("#") ? decodeURIComponent(url.slice(url.indexOf("#") + 1)) : undefined);
const words = (html: string) => plainText(html).replace(/\s+/g, " ").trim();

/** Why a named feed gave no item, for the note. */
function whyNot(page: TargetPage | undefined, url: string, what: string): string {
  if (!page) return `Atom gives no user_id and status_id for it`;
  if (!page.ok) return page.error.reason;
  if (!page.value.feed.channel.user_id) return `${url} is not an Open Microblog feed (no user_id)`;
  return `no item on the head page of ${url} matches ${what}`;
}

function resolveReply(item: SourceItem, pages: ReadonlyMap<string, TargetPage>): SourceItem {
  const { ref, href } = item.atomReply!;
  const page = isHttp(href) ? pages.get(withoutFragment(href)) : undefined;
  const fragment = fragmentOf(href);
  const found = findItem(
    page,
    (candidate, userId) => [atomEntryId(userId, candidate.guid), candidate.guid, candidate.link].includes(ref) || candidate.guid === fragment,
  );
  const { atomReply: _, ...rest } = item;
  if (found) return { ...rest, reply: { user_id: found.user_id, user_link: found.user_link, status_id: found.item.guid } };
  // A reply to a web page, not to a feed's item: the plain-URL reply.
  if (isHttp(href) && page && !page.ok && page.error.webPage) return { ...rest, inReplyTo: href };
  if (!isHttp(href) && isHttp(ref)) return { ...rest, inReplyTo: ref };
  return { ...item, atomReply: { ...item.atomReply!, unresolved: whyNot(page, href ?? ref, `the entry ${ref}`) } };
}

function resolveRepost(item: SourceItem, pages: ReadonlyMap<string, TargetPage>, quote: string | undefined): SourceItem {
  const via = item.atomRepostOf!;
  const page = isHttp(via) ? pages.get(withoutFragment(via)) : undefined;
  const fragment = fragmentOf(via);
  const quoted = quote === undefined ? undefined : words(quote);
  const found =
    findItem(page, (candidate) => candidate.guid === fragment || candidate.link === via) ??
    (quoted ? findItem(page, (candidate) => candidate.description !== undefined && words(candidate.description) === quoted) : undefined);
  if (found?.item.pubDate) {
    const { atomRepostOf: _, ...rest } = item;
    return { ...rest, repost: { user_id: found.user_id, user_link: found.user_link, status_id: found.item.guid, pubdate: found.item.pubDate } };
  }
  const why = found ? `the item it quotes on ${via} has no date` : whyNot(page, via, "the quoted text");
  return { ...item, atomRepostUnresolved: why };
}

/** The items with the replies and reposts identified on the feeds read; the rest keep their Atom data. */
export function resolveAtomTargets(
  items: readonly SourceItem[],
  pages: ReadonlyMap<string, TargetPage>,
  trailingQuote: (html: string) => string | undefined,
): SourceItem[] {
  return items.map((item) => {
    let resolved = item;
    if (resolved.atomReply) resolved = resolveReply(resolved, pages);
    if (resolved.atomRepostOf) resolved = resolveRepost(resolved, pages, trailingQuote(resolved.html ?? ""));
    return resolved;
  });
}

/** What an Atom entry's reply or repost could not carry over, and why: said, not guessed. */
export function atomNotes(item: SourceItem): string[] {
  const notes: string[] = [];
  if (item.atomReply) {
    const { ref, href, unresolved } = item.atomReply;
    notes.push(
      `reply_to is left out: the entry replies to ${ref}${href ? ` (${href})` : ""} (thr:in-reply-to), and ${unresolved ?? "Atom gives no user_id and status_id for it"}; the text is kept`,
    );
  }
  if (item.atomRepostOf)
    notes.push(
      `repost is left out: the entry reposts from ${item.atomRepostOf} (link rel="via" title="repost"), and ${item.atomRepostUnresolved ?? "Atom gives no user_id, status_id and pubdate for it"}; the text is kept as your own, the quote as a quote`,
    );
  return notes;
}
