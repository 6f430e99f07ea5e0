/**
 * One page of a followed feed: lib/shared/remote-feed-page.ts's fetchFeedPage (the guarded fetch,
 * every XML encoding, the lenient reader, conditional GET, movedTo), plus resuming a page after its
 * first `skip` items (page-slice.ts) when a catch-up walk continues in a later run. The resumed
 * read goes through the same guarded fetch and the same decoder; only the text handed to the reader
 * is cut.
 */
import { FEED_ACCEPT, type FeedPage, type FeedPageFailure, type FeedPageOptions, fetchFeedPage } from "../shared/remote-feed-page.ts";
import { FeedReadError, readFeed } from "../shared/remote-feed-reader.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { decodeXmlBytes } from "../shared/xml-decoding.ts";
import { withoutFirstItems } from "./page-slice.ts";

export interface TimelinePageOptions extends FeedPageOptions {
  /** Items at the top of the page already read in an earlier run. */
  skip?: number;
}

export async function fetchTimelinePage(url: string, options: TimelinePageOptions): Promise<Result<FeedPage, FeedPageFailure>> {
  const skip = options.skip ?? 0;
  if (skip <= 0) return fetchFeedPage(url, options);
  const fetched = await fetchRemote(url, {
    fetch: options.fetch,
    allowLoopback: options.allowLoopback,
    budget: options.budget,
    headers: { Accept: FEED_ACCEPT },
    ...(options.limits ? { limits: options.limits } : {}),
  });
  if (!fetched.ok) return err(fetched.error);
  const answer = fetched.value;
  if (answer.status < 200 || answer.status > 299) return err({ kind: "http", status: answer.status, detail: `${answer.url} answered HTTP ${answer.status}` });
  const decoded = decodeXmlBytes(answer.bytes, answer.headers.get("Content-Type"));
  if (!decoded.ok) return err({ kind: "not-a-feed", detail: `${answer.url}: ${decoded.error}` });
  const page: FeedPage = { url: answer.url, notModified: false, etag: answer.headers.get("ETag"), lastModified: answer.headers.get("Last-Modified") };
  if (answer.movedTo) page.movedTo = answer.movedTo;
  if (decoded.value.note) page.note = `${answer.url}: ${decoded.value.note}`;
  try {
    page.feed = readFeed(withoutFirstItems(decoded.value.text, skip), options.stopAfter ? { stopAfter: options.stopAfter } : {});
  } catch (error) {
    if (error instanceof FeedReadError) return err({ kind: "not-a-feed", detail: `${answer.url} is not a readable RSS feed: ${error.message}`.slice(0, 300) });
    throw error;
  }
  return ok(page);
}
