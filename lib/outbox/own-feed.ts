/**
 * Is our post live yet? A receiver such as Skein checks a notification by fetching our feed and
 * looking for the item (lib/inbox/verify-reply.ts), so a notification sent before the deploy is
 * public would be rejected. The job therefore reads our own head feed first and sends only for
 * posts it shows.
 *
 * Where the head feed is read: with Workers Static Assets (wrangler.toml) through the ASSETS binding
 * -- the files deployed together with this very Worker, which is what the public is served; a
 * Worker cannot fetch a URL of its own zone (it reaches no Worker: Cloudflare error 1042) -- and
 * otherwise (the API-only Worker, the site on another host) from config.owner.feed_url over the
 * network. An ASSETS binding without the feed (404) falls back to the network as well.
 */
import type { Budget } from "../shared/budget.ts";
import { readCappedBytes } from "../shared/capped-body.ts";
import { FEED_ACCEPT, fetchFeedPage } from "../shared/remote-feed-page.ts";
import { type Feed, FeedReadError, readFeed } from "../shared/remote-feed-reader.ts";
import { DEFAULT_FETCH_LIMITS } from "../shared/remote-fetch.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { decodeXmlBytes } from "../shared/xml-decoding.ts";
import type { AssetsFetcher } from "../worker-kit/env.ts";
import type { JobContext } from "../worker-kit/jobs.ts";

export interface OwnFeedOptions {
  feedUrl: string;
  assets?: AssetsFetcher | undefined;
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
}

/** What our head feed shows of the posts we ask about. */
export interface OwnFeedView {
  /** Guids of items seen (reading stops below the smallest one asked about). */
  seen: Set<number>;
  /** The smallest guid on the page, when the page was read to its end. */
  lowest?: number;
  /** The page links to older pages. */
  hasOlder: boolean;
}

/**
 * Posts asked about that are live: on the head page, or older than everything on a head page that
 * links to archive pages (guids grow with time, so such a post is archived, and was live before).
 */
export function livePosts(wanted: readonly number[], view: OwnFeedView): Set<number> {
  const live = new Set<number>();
  for (const id of wanted) {
    if (view.seen.has(id) || (view.hasOlder && view.lowest !== undefined && id < view.lowest)) live.add(id);
  }
  return live;
}

function viewOf(feed: Feed): OwnFeedView {
  const seen = new Set<number>();
  let lowest: number | undefined;
  for (const item of feed.items) {
    const guid = Number(item.guid);
    if (!Number.isSafeInteger(guid)) continue;
    seen.add(guid);
    lowest = lowest === undefined ? guid : Math.min(lowest, guid);
  }
  const view: OwnFeedView = { seen, hasOlder: Boolean(feed.channel.next_node) };
  if (feed.complete && lowest !== undefined) view.lowest = lowest;
  return view;
}

/**
 * Our head feed, read whole (bounded by the fetch's byte cap): items are in date order, and a post
 * written with a back date carries a higher id than newer posts, so no id tells where to stop.
 */
export async function readOwnFeed(options: OwnFeedOptions): Promise<Result<OwnFeedView, string>> {
  if (options.assets) {
    const refusal = options.budget.refusal();
    if (refusal) return err(`our feed was not read: ${refusal}`);
    options.budget.recordFetch();
    const response = await options.assets.fetch(new Request(options.feedUrl, { headers: { Accept: FEED_ACCEPT } }));
    if (response.status === 200) {
      const bytes = await readCappedBytes(response.body, DEFAULT_FETCH_LIMITS.maxBytes);
      if (!bytes) return err(`our feed (${options.feedUrl}) is larger than ${DEFAULT_FETCH_LIMITS.maxBytes} bytes`);
      options.budget.recordBytes(bytes.byteLength);
      const decoded = decodeXmlBytes(bytes, response.headers.get("Content-Type"));
      if (!decoded.ok) return err(`our feed: ${decoded.error}`);
      try {
        return ok(viewOf(readFeed(decoded.value.text)));
      } catch (error) {
        if (error instanceof FeedReadError) return err(`our feed (${options.feedUrl}) cannot be read: ${error.message}`.slice(0, 300));
        throw error;
      }
    }
    await response.body?.cancel().catch(() => {});
    if (response.status !== 404) return err(`our feed (${options.feedUrl}) answered HTTP ${response.status} from the static assets`);
  }
  const read = await fetchFeedPage(options.feedUrl, { fetch: options.fetch, allowLoopback: options.allowLoopback, budget: options.budget });
  if (!read.ok) return err(`our feed could not be read: ${read.error.detail}`);
  if (!read.value.feed) return err(`our feed (${options.feedUrl}) answered 304 to a request that was not conditional`);
  return ok(viewOf(read.value.feed));
}

/** Which of the wanted posts a scheduled job finds live in our own feed; `error` says why none could be checked. */
export async function liveAmong(context: JobContext, wanted: readonly number[]): Promise<{ live: Set<number>; error?: string }> {
  const own = await readOwnFeed({
    feedUrl: context.config.owner.feed_url,
    assets: context.env.ASSETS,
    fetch: context.fetch,
    allowLoopback: context.allowLoopback,
    budget: context.budget,
  });
  return own.ok ? { live: livePosts(wanted, own.value) } : { live: new Set<number>(), error: own.error };
}
