/**
 * Is a feed a person's feed (spec "Main Feed Layout") or a follows / blocks list (spec "Alternate
 * Feed Layout")? Both are RSS with the same channel elements; the items tell them apart. A list entry
 * names an account (user_id, user_name, user_link: the list layout's required item elements) and has
 * no post text; a post has a description (main layout, required) and never an item-level user_id.
 * A list with no entries yet is known by the list sample's <channel count> without a <profile>
 * (required in the main layout only). When the caller read the whole page (`complete`: not cut after
 * the items it had seen, as the poller does), also by having none of the main layout's own channel
 * elements (profile and language are required there; Skein's own empty list feeds carry neither).
 */
import type { Feed, FeedChannel, FeedItem } from "./remote-feed-reader.ts";

export function isListEntry(item: FeedItem): boolean {
  return (item.user_id !== undefined || item.user_link !== undefined || item.user_name !== undefined) && item.description === undefined;
}

export function isListFeed(feed: Feed, complete = false): boolean {
  if (!feed.items.length) {
    return feed.channel.profile === undefined && (feed.channel.count !== undefined || (complete && !hasMainChannelElements(feed.channel)));
  }
  return feed.items.some(isListEntry) && feed.items.every((item) => item.description === undefined);
}

/** Spec "Main Feed Layout" channel elements the list layout does not have. */
function hasMainChannelElements(channel: FeedChannel): boolean {
  const { language, user_full_name, message, follows, blocks, header, portrait, relocate } = channel;
  return [language, user_full_name, message, follows, blocks, header, portrait, relocate].some((value) => value !== undefined);
}

/** What the URL is, for a refusal (the caller says what to do instead). */
export function listFeedReason(url: string): string {
  return `${url} is a follows or blocks list (spec "Alternate Feed Layout": its items are accounts, not posts), not a person's feed`;
}
