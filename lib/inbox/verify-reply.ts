/**
 * Checks a reply notification against the truth: the sender's own feed (spec "The Feed": "the
 * feed holds the truth"). Spec "Replies/Mentions" has the sender POST only user_id, username,
 * user_link and status_id, so anyone could claim anything; we read <user_link>, follow next_node
 * a few pages to the item whose guid is status_id, and accept it when that item replies to our
 * post (in_reply_to_status_id + our user_id or feed URL) or mentions us.
 *
 * Outcomes: verified; rejected = we read the feed and it does not back the claim, or the URL may
 * not be fetched (lib/shared/address-guard.ts); unreachable = no usable feed could be read (network
 * error, timeout, non-2xx, too many redirects or a loop, over the size cap, not RSS, or the budget ran
 * out). Unreachable is worth retrying (the sweep does, with backoff); the others are final.
 *
 * One notification costs at most the Budget it is given: the POST handler gives each 6 fetches
 * (redirect hops included), 2 MB and 15 s in all, so a 130-byte notification cannot make us fetch
 * more -- and the sweep draws from its run's budget. Each page is parsed only up to the
 * item looked for (the free plan's 10 ms of CPU per invocation).
 */
import type { Budget } from "../shared/budget.ts";
import { fetchFeedPage, nextNodeUrl } from "../shared/remote-feed-page.ts";
import type { FeedItem } from "../shared/remote-feed-reader.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";

export type VerifyStatus = "verified" | "rejected" | "unreachable";

export interface VerifyOutcome {
  verification: VerifyStatus;
  /** One short line for the owner ("item 42 replies to post 3"). */
  detail: string;
  /** The replier's item when it was found (verified or not): kept for the owner's pages. */
  item?: ItemSnapshot;
  /** The replier's feed's channel, when read: their profile page and name (for showing the reply). */
  feed?: { profile?: string; username?: string; full_name?: string };
  /** Our own budget ran out before the feed could be read: not the sender's fault, not an attempt. */
  deferred?: boolean;
}

/** Feed pages read at most (the head plus next_node pages); the Budget caps fetches and bytes. */
export const MAX_VERIFY_PAGES = 5;

/** One notification's share when it is verified on its own (the POST handler's background task). */
export const VERIFY_BUDGET = { subrequests: 6, bytes: 2 * 1024 * 1024, durationMs: 15_000 };

/** Backoff of the sweep after an unreachable feed: minutes after attempt 1, 2, ... (then final). */
export const RETRY_AFTER_MINUTES = [5, 15, 60, 240, 720] as const;
export const MAX_VERIFY_ATTEMPTS = RETRY_AFTER_MINUTES.length + 1;

/** When to check again after `attempts` attempts ended unreachable; null once they are used up. */
export function nextCheckAfter(attempts: number, nowMs: number): number | null {
  const minutes = RETRY_AFTER_MINUTES[attempts - 1];
  return minutes === undefined ? null : nowMs + minutes * 60_000;
}

export interface VerifyRequest {
  owner: SiteConfig["owner"];
  postId: number;
  sender: { user_id: string; user_link: string };
  statusId: string;
}

export interface VerifyOptions {
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
}

/** The item's HTML kept for the owner's pages: enough for any microblog post. */
const MAX_ITEM_HTML = 20_000;

const rejected = (detail: string): VerifyOutcome => ({ verification: "rejected", detail });
const unreachable = (detail: string): VerifyOutcome => ({ verification: "unreachable", detail });

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Does the item reply to our post (spec "Replies": in_reply_to_status_id plus our user_id or feed link)? */
export function repliesToPost(item: FeedItem, request: Pick<VerifyRequest, "owner" | "postId">): boolean {
  if (item.in_reply_to_status_id?.trim() !== String(request.postId)) return false;
  if (item.in_reply_to_user_id?.trim() === request.owner.user_id) return true;
  const link = item.in_reply_to_user_link ? normalizeUserLink(item.in_reply_to_user_link) : undefined;
  return link !== undefined && link === normalizeUserLink(request.owner.feed_url);
}

/** Does the item's text mention us: our feed, profile or the post's permalink, or @username as a word? */
export function mentionsOwner(item: FeedItem, request: Pick<VerifyRequest, "owner" | "postId">): boolean {
  const text = item.description ?? "";
  if (!text) return false;
  const { owner } = request;
  const urls = [owner.feed_url, owner.profile_url, `${owner.post_url_prefix}${request.postId}/`];
  if (urls.some((url) => text.includes(url))) return true;
  return new RegExp(`(?<![\\w@/.])@${escapeRegExp(owner.username)}(?![\\w])`, "i").test(text);
}

export interface ItemSnapshot {
  html?: string;
  link?: string;
  date?: string;
  /** What the item itself replies to (spec "Replies"), when it says so. */
  in_reply_to?: { status_id: string; user_id?: string; user_link?: string };
}

function itemSnapshot(item: FeedItem): ItemSnapshot {
  const snapshot: ItemSnapshot = {};
  if (item.description) snapshot.html = item.description.slice(0, MAX_ITEM_HTML);
  if (item.link) snapshot.link = item.link.slice(0, 2048);
  if (item.pubDate) snapshot.date = item.pubDate.slice(0, 64);
  if (item.in_reply_to_status_id) {
    const inReplyTo: NonNullable<ItemSnapshot["in_reply_to"]> = { status_id: item.in_reply_to_status_id.slice(0, 128) };
    if (item.in_reply_to_user_id) inReplyTo.user_id = item.in_reply_to_user_id.slice(0, 128);
    if (item.in_reply_to_user_link) inReplyTo.user_link = item.in_reply_to_user_link.slice(0, 2048);
    snapshot.in_reply_to = inReplyTo;
  }
  return snapshot;
}

function feedSnapshot(channel: { profile?: string; username?: string; user_full_name?: string }): NonNullable<VerifyOutcome["feed"]> {
  const snapshot: NonNullable<VerifyOutcome["feed"]> = {};
  if (channel.profile) snapshot.profile = channel.profile.slice(0, 2048);
  if (channel.username) snapshot.username = channel.username.slice(0, 64);
  if (channel.user_full_name) snapshot.full_name = channel.user_full_name.slice(0, 200);
  return snapshot;
}

export async function verifyReply(request: VerifyRequest, options: VerifyOptions): Promise<VerifyOutcome> {
  const visited = new Set<string>();
  let next: string | undefined = request.sender.user_link;
  let feedInfo: VerifyOutcome["feed"];
  for (let pageNumber = 1; next !== undefined && pageNumber <= MAX_VERIFY_PAGES; pageNumber++) {
    const read = await fetchFeedPage(next, {
      fetch: options.fetch,
      allowLoopback: options.allowLoopback,
      budget: options.budget,
      stopAfter: (item) => item.guid === request.statusId,
    });
    if (!read.ok) {
      if (read.error.kind === "budget") {
        // The run is out of budget: not the sender's doing; the sweep tries again next run.
        if (options.budget.inheritedRefusal()) return { ...unreachable(read.error.detail), deferred: true };
        return unreachable(`the feed needs more than one notification's share to check (${read.error.detail})`);
      }
      return read.error.kind === "refused" ? rejected(read.error.detail) : unreachable(read.error.detail);
    }
    const { url, feed } = read.value;
    if (!feed) return unreachable(`${url} answered 304 to a request that was not conditional`);
    visited.add(url);
    if (pageNumber === 1) feedInfo = feedSnapshot(feed.channel);
    const feedUserId = feed.channel.user_id;
    if (pageNumber === 1 && feedUserId !== undefined && feedUserId !== request.sender.user_id) {
      return rejected(`the feed at ${url} belongs to user_id ${feedUserId.slice(0, 128)}, not ${request.sender.user_id}`);
    }
    const item = feed.items.find((candidate) => candidate.guid === request.statusId);
    if (item) {
      const found = { item: itemSnapshot(item), ...(feedInfo ? { feed: feedInfo } : {}) };
      if (repliesToPost(item, request)) return { verification: "verified", detail: `item ${request.statusId} replies to post ${request.postId}`, ...found };
      if (mentionsOwner(item, request)) return { verification: "verified", detail: `item ${request.statusId} mentions @${request.owner.username}`, ...found };
      return { ...rejected(`item ${request.statusId} neither replies to post ${request.postId} nor mentions @${request.owner.username}`), ...found };
    }
    next = nextNodeUrl(feed, url, visited);
  }
  // A reply is the sender's own recent item: not within the newest pages means it is not there.
  return rejected(
    `no item with guid ${request.statusId} in the ${visited.size} feed page${visited.size === 1 ? "" : "s"} read from ${request.sender.user_link}`,
  );
}
