/**
 * Checks a reply notification against the truth: the sender's own feed (spec "The Feed": "the
 * feed holds the truth"). Spec "Replies/Mentions" has the sender POST only user_id, username,
 * user_link and status_id, so anyone could claim anything; we read <user_link>, follow next_node
 * a few pages to the item whose guid is status_id, and accept it when that item replies to our
 * post (in_reply_to_status_id + our user_id or feed URL) or mentions us.
 *
 * Outcomes: verified; rejected = we read the feed and it does not back the claim, or the URL may
 * not be fetched (lib/shared/address-guard.ts); unreachable = no usable feed could be read (network error,
 * timeout, non-2xx, too many redirects or a loop, over the size cap, not RSS). Unreachable is worth
 * retrying; the others are final. Other people's feeds are read leniently (lib/shared/remote-feed-reader.ts).
 */
import { checkFetchUrl } from "../shared/address-guard.ts";
import { readCappedBytes } from "../shared/capped-body.ts";
import { FeedReadError, readFeed, type Feed, type FeedItem } from "../shared/remote-feed-reader.ts";
import type { InboxConfig } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";

export type VerifyStatus = "verified" | "rejected" | "unreachable";

export interface VerifyOutcome {
  verification: VerifyStatus;
  /** One short line for the owner ("item 42 replies to post 3"). */
  detail: string;
}

export interface VerifyLimits {
  /** Feed pages read at most: the head plus next_node pages. */
  maxPages: number;
  /** Redirects followed per fetch. */
  maxRedirects: number;
  /** Bytes read per page; a longer body is cut off and counts as unreachable. */
  maxBytes: number;
  /** Per fetch, headers and body. */
  timeoutMs: number;
}

export const DEFAULT_VERIFY_LIMITS: VerifyLimits = { maxPages: 5, maxRedirects: 3, maxBytes: 1024 * 1024, timeoutMs: 5000 };

export interface VerifyRequest {
  owner: InboxConfig["owner"];
  postId: number;
  sender: { user_id: string; user_link: string };
  statusId: string;
}

export interface VerifyOptions {
  fetch: typeof fetch;
  allowPrivateHosts: boolean;
  limits?: Partial<VerifyLimits>;
}

type PageResult = { ok: true; text: string; url: string } | { ok: false; outcome: VerifyOutcome };

const unreachable = (detail: string): PageResult => ({ ok: false, outcome: { verification: "unreachable", detail } });
const rejected = (detail: string): VerifyOutcome => ({ verification: "rejected", detail });

const ACCEPT = "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1";

/**
 * Read at most maxBytes of a body; undefined if it is longer (the rest is never downloaded).
 * Every read also races the timeout, so a server that sends headers and then trickles (or stalls)
 * the body cannot hold the verification past its time cap.
 */
async function readCapped(response: Response, maxBytes: number, signal: AbortSignal): Promise<string | undefined> {
  const declared = Number(response.headers.get("Content-Length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  const bytes = await readCappedBytes(response.body, maxBytes, signal);
  if (!bytes) return undefined;
  // Lenient: feeds that are not quite UTF-8 still read; bad bytes become U+FFFD.
  return new TextDecoder().decode(bytes);
}

/** Fetch one feed page, following at most maxRedirects redirects by hand, each hop re-checked. */
async function fetchPage(start: string, options: VerifyOptions, limits: VerifyLimits): Promise<PageResult> {
  const seen = new Set<string>();
  let target = start;
  for (let hop = 0; ; hop++) {
    const allowed = checkFetchUrl(target, options.allowPrivateHosts);
    if (!allowed.ok) return { ok: false, outcome: rejected(allowed.reason) };
    const url = allowed.url.href;
    if (seen.has(url)) return unreachable(`redirect loop at ${url}`);
    seen.add(url);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
    try {
      const response = await options.fetch(url, {
        redirect: "manual",
        signal: controller.signal,
        headers: { Accept: ACCEPT, "User-Agent": "Skein reply verifier (+https://github.com/Sonictherocketman/Open-Microblog)" },
      });
      if (response.status >= 300 && response.status < 400 && response.headers.has("Location")) {
        await response.body?.cancel().catch(() => {});
        if (hop >= limits.maxRedirects) return unreachable(`more than ${limits.maxRedirects} redirects from ${start}`);
        target = new URL(response.headers.get("Location")!, url).href;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        return unreachable(`${url} answered HTTP ${response.status}`);
      }
      const text = await readCapped(response, limits.maxBytes, controller.signal);
      if (text === undefined) return unreachable(`${url} is larger than ${limits.maxBytes} bytes`);
      return { ok: true, text, url };
    } catch (error) {
      if (controller.signal.aborted) return unreachable(`${url} did not answer within ${limits.timeoutMs / 1000} s`);
      // workerd reports DNS and connection failures as "internal error; reference = ...": say what it means.
      const message = error instanceof Error ? error.message : String(error);
      return unreachable(`${url} could not be fetched (${/internal error/i.test(message) ? "network error: no such host or connection refused" : message})`.slice(0, 300));
    } finally {
      clearTimeout(timer);
    }
  }
}

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

export async function verifyReply(request: VerifyRequest, options: VerifyOptions): Promise<VerifyOutcome> {
  const limits: VerifyLimits = { ...DEFAULT_VERIFY_LIMITS, ...options.limits };
  const visited = new Set<string>();
  let next: string | undefined = request.sender.user_link;
  for (let pageNumber = 1; next !== undefined && pageNumber <= limits.maxPages; pageNumber++) {
    const page = await fetchPage(next, options, limits);
    if (!page.ok) return page.outcome;
    visited.add(page.url);
    let feed: Feed;
    try {
      feed = readFeed(page.text);
    } catch (error) {
      if (error instanceof FeedReadError) return { verification: "unreachable", detail: `${page.url} is not a readable RSS feed: ${error.message}`.slice(0, 300) };
      throw error;
    }
    const feedUserId = feed.channel.user_id;
    if (pageNumber === 1 && feedUserId !== undefined && feedUserId !== request.sender.user_id) {
      return rejected(`the feed at ${page.url} belongs to user_id ${feedUserId.slice(0, 128)}, not ${request.sender.user_id}`);
    }
    const item = feed.items.find((candidate) => candidate.guid === request.statusId);
    if (item) {
      if (repliesToPost(item, request)) return { verification: "verified", detail: `item ${request.statusId} replies to post ${request.postId}` };
      if (mentionsOwner(item, request)) return { verification: "verified", detail: `item ${request.statusId} mentions @${request.owner.username}` };
      return rejected(`item ${request.statusId} neither replies to post ${request.postId} nor mentions @${request.owner.username}`);
    }
    const nextNode = feed.channel.next_node;
    next = undefined;
    if (nextNode) {
      let resolved: string | undefined;
      try {
        resolved = new URL(nextNode, page.url).href;
      } catch {
        resolved = undefined;
      }
      if (resolved && !visited.has(resolved)) next = resolved;
    }
  }
  return rejected(`no item with guid ${request.statusId} in the ${visited.size} feed page${visited.size === 1 ? "" : "s"} read from ${request.sender.user_link}`);
}
