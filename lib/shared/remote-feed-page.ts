/**
 * One page of someone else's Open Microblog feed, fetched through the guard (lib/shared/remote-fetch.ts)
 * and read leniently (lib/shared/remote-feed-reader.ts) in whatever encoding XML allows
 * (lib/shared/xml-decoding.ts). The reply verifier, the timeline poller and the outbox all read
 * strangers' feeds through this, so they share one set of caps and one reading of the spec.
 *
 * A conditional GET (validators from an earlier read) that answers 304 comes back as `notModified`
 * with no feed: nothing was downloaded or parsed.
 */
import type { Budget } from "./budget.ts";
import { type Feed, FeedReadError, type ReadOptions, readFeed } from "./remote-feed-reader.ts";
import { fetchRemote, type PerFetchLimits, type RemoteFailure } from "./remote-fetch.ts";
import { err, ok, type Result } from "./result.ts";
import { decodeXmlBytes } from "./xml-decoding.ts";

export const FEED_ACCEPT = "application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1";

export interface FeedPageOptions extends ReadOptions {
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
  limits?: Partial<PerFetchLimits>;
  /** Validators of an earlier read, for a conditional GET. */
  etag?: string | null;
  lastModified?: string | null;
}

export interface FeedPage {
  /** The URL that answered (after redirects). */
  url: string;
  /** Set when every redirect on the way was permanent (301/308): follow this URL from now on. */
  movedTo?: string;
  /** 304: the page has not changed since the validators were given. */
  notModified: boolean;
  /** The feed, unless notModified. */
  feed?: Feed;
  etag: string | null;
  lastModified: string | null;
  /** How the bytes were read when they were not what they said (xml-decoding.ts), for the owner. */
  note?: string;
}

/** Why a page could not be read: the fetch failed (RemoteFailure's kinds), an HTTP error, or not a feed. */
export interface FeedPageFailure {
  kind: RemoteFailure["kind"] | "http" | "not-a-feed";
  /** The HTTP status of an `http` failure. */
  status?: number;
  detail: string;
}

export async function fetchFeedPage(url: string, options: FeedPageOptions): Promise<Result<FeedPage, FeedPageFailure>> {
  const headers: Record<string, string> = { Accept: FEED_ACCEPT };
  if (options.etag) headers["If-None-Match"] = options.etag;
  if (options.lastModified) headers["If-Modified-Since"] = options.lastModified;
  const fetched = await fetchRemote(url, {
    fetch: options.fetch,
    allowLoopback: options.allowLoopback,
    budget: options.budget,
    headers,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  if (!fetched.ok) return err(fetched.error);
  const answer = fetched.value;
  const page: FeedPage = {
    url: answer.url,
    notModified: false,
    etag: answer.headers.get("ETag"),
    lastModified: answer.headers.get("Last-Modified"),
  };
  if (answer.movedTo) page.movedTo = answer.movedTo;
  if (answer.status === 304) return ok({ ...page, notModified: true });
  if (answer.status < 200 || answer.status > 299) return err({ kind: "http", status: answer.status, detail: `${answer.url} answered HTTP ${answer.status}` });
  const decoded = decodeXmlBytes(answer.bytes, answer.headers.get("Content-Type"));
  if (!decoded.ok) return err({ kind: "not-a-feed", detail: `${answer.url}: ${decoded.error}` });
  if (decoded.value.note) page.note = `${answer.url}: ${decoded.value.note}`;
  try {
    page.feed = readFeed(decoded.value.text, options.stopAfter ? { stopAfter: options.stopAfter } : {});
  } catch (error) {
    if (error instanceof FeedReadError) return err({ kind: "not-a-feed", detail: `${answer.url} is not a readable RSS feed: ${error.message}`.slice(0, 300) });
    throw error;
  }
  return ok(page);
}

/** The page's next_node (spec "Feed Paging") as an absolute URL, unless it is unreadable or already seen. */
export function nextNodeUrl(feed: Feed, pageUrl: string, seen: ReadonlySet<string>): string | undefined {
  const nextNode = feed.channel.next_node;
  if (!nextNode) return undefined;
  let resolved: string;
  try {
    resolved = new URL(nextNode, pageUrl).href;
  } catch {
    return undefined;
  }
  return seen.has(resolved) ? undefined : resolved;
}
