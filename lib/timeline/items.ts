/**
 * A followed account's feed item as the timeline keeps it: the HTML as received (sanitized wherever
 * it is shown: the owner API runs sanitizeHtml on the way out), the date read leniently, the spec's
 * reply and repost elements, and whether it mentions the owner (spec "Replies/Mentions").
 *
 * Blocks (spec "Blocking", blocks.yaml): a followed account cannot be blocked (the build refuses
 * both), but their reposts can carry a blocked account's post; those items are never stored.
 */
import { parseFlexibleDate } from "../shared/dates.ts";
import { isListEntry } from "../shared/feed-kind.ts";
import type { FeedItem } from "../shared/remote-feed-reader.ts";
import type { FollowedAccount, Identity, SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink, parseHttpUrl } from "../shared/urls.ts";
import { itemKey } from "./seen.ts";

/** Enough for any microblog post; a longer description is cut (and stays safe: it is sanitized when shown). */
export const MAX_ITEM_HTML = 20_000;
const MAX_FIELD = 2048;

export interface ReplyRef {
  user_id?: string;
  status_id?: string;
  user_link?: string;
}

export interface RepostRef extends ReplyRef {
  pubdate?: string;
}

/** One row of timeline_items before it is stored (the account's fields are added by the store). */
export interface NewTimelineItem {
  guid: string;
  /** Epoch ms: the item's pubDate, or the time it was read when it has none (never later than that). */
  published_ms: number;
  html: string;
  link: string | null;
  in_reply_to: ReplyRef | null;
  repost: RepostRef | null;
  mention: boolean;
}

function capped(value: string | undefined, max = MAX_FIELD): string | undefined {
  return value === undefined ? undefined : value.slice(0, max);
}

function compact<T extends object>(value: T): T | null {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length ? (Object.fromEntries(entries) as T) : null;
}

/** An absolute http(s) link, resolved against the page it was read on; anything else is no link. */
export function absoluteLink(value: string | undefined, pageUrl: string): string | null {
  if (!value) return null;
  try {
    const resolved = new URL(value, pageUrl).href;
    return resolved.length <= MAX_FIELD && parseHttpUrl(resolved) ? resolved : null;
  } catch {
    return null;
  }
}

export function matchesIdentity(list: readonly Identity[], userId: string | undefined, link: string | undefined): boolean {
  return isListed(list, userId, link ? normalizeUserLink(link) : undefined);
}

/** matchesIdentity with the link already normalized (normalizeUserLink). */
export function isListed(list: readonly Identity[], userId: string | undefined, normalizedLink: string | undefined): boolean {
  return list.some((entry) => (userId !== undefined && entry.user_id === userId) || (normalizedLink !== undefined && entry.link === normalizedLink));
}

/*
 * Per-isolate caches of what depends only on the bundled SiteConfig. The config is a module constant
 * of the Worker (functions/index.ts), so within an isolate every scheduled run and request sees the
 * same objects; the cron asks for these every minute, and each costs CPU proportional to follows.yaml
 * (a URL parse per follow, for the block check) or a RegExp compile. Keyed by the object itself
 * (WeakMap): another config -- a test's, a new deploy's -- is another key and is computed afresh.
 */
const followedCache = new WeakMap<SiteConfig, readonly FollowedAccount[]>();
const mentionCache = new WeakMap<SiteConfig["owner"], (item: FeedItem) => boolean>();

/**
 * The accounts the timeline reads: follows.yaml without anyone in blocks.yaml (the build refuses an
 * account in both, but a block by link can still catch a follow), matched on the link the build
 * normalized (FollowedAccount.link), so no URL is parsed. Once per config.
 */
export function followedAccounts(config: SiteConfig): readonly FollowedAccount[] {
  let followed = followedCache.get(config);
  if (!followed) {
    followed = Object.freeze(config.follows.filter((follow) => !isListed(config.blocks, follow.user_id, follow.link)));
    followedCache.set(config, followed);
  }
  return followed;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A compiled mention test for one owner (compiled once per owner object: see the caches above). */
export function mentionTest(owner: SiteConfig["owner"]): (item: FeedItem) => boolean {
  let test = mentionCache.get(owner);
  if (!test) {
    test = compileMentionTest(owner);
    mentionCache.set(owner, test);
  }
  return test;
}

function compileMentionTest(owner: SiteConfig["owner"]): (item: FeedItem) => boolean {
  const word = new RegExp(`(?<![\\w@/.])@${escapeRegExp(owner.username)}(?![\\w])`, "i");
  const urls = [owner.feed_url, owner.profile_url, owner.post_url_prefix];
  const feedLink = normalizeUserLink(owner.feed_url);
  return (item) => {
    if (item.in_reply_to_user_id?.trim() === owner.user_id) return true;
    if (item.in_reply_to_user_link && normalizeUserLink(item.in_reply_to_user_link) === feedLink) return true;
    const text = item.description ?? "";
    return text !== "" && (urls.some((url) => text.includes(url)) || word.test(text));
  };
}

export interface ItemVerdict {
  item?: NewTimelineItem;
  /**
   * Why it is not stored: no guid or link to know it by, no text (spec "Required Item Elements":
   * description; a list entry is an account, not a post), or a repost of a blocked account.
   */
  skipped?: "no-guid" | "no-text" | "blocked";
}

/** The timeline's row for `item`, read on `pageUrl` at `nowMs`. */
export function timelineItem(item: FeedItem, pageUrl: string, nowMs: number, config: SiteConfig, mentions: (item: FeedItem) => boolean): ItemVerdict {
  const guid = itemKey(item);
  if (guid === undefined) return { skipped: "no-guid" };
  const html = item.description ?? item.title;
  if (html === undefined || isListEntry(item)) return { skipped: "no-text" };
  if ((item.reposted_status_user_id || item.reposted_user_link) && matchesIdentity(config.blocks, item.reposted_status_user_id, item.reposted_user_link)) {
    return { skipped: "blocked" };
  }
  const dated = item.pubDate ? parseFlexibleDate(item.pubDate) : undefined;
  // A date in the future would keep the item on top of the timeline for ever: not later than now.
  const published = dated === undefined ? nowMs : Math.min(dated, nowMs);
  return {
    item: {
      guid,
      published_ms: published,
      html: html.slice(0, MAX_ITEM_HTML),
      link: absoluteLink(item.link, pageUrl),
      in_reply_to: compact<ReplyRef>({
        user_id: capped(item.in_reply_to_user_id, 128),
        status_id: capped(item.in_reply_to_status_id, 128),
        user_link: capped(item.in_reply_to_user_link),
      }),
      repost: compact<RepostRef>({
        user_id: capped(item.reposted_status_user_id, 128),
        status_id: capped(item.reposted_status_id, 128),
        user_link: capped(item.reposted_user_link),
        pubdate: capped(item.reposted_status_pubdate, 64),
      }),
      mention: mentions(item),
    },
  };
}
