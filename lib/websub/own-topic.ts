/**
 * One of our own head pages (a WebSub topic) exactly as the public gets it now: through the ASSETS
 * binding when the Worker serves the site (Workers Static Assets: the files deployed with this very
 * Worker; a Worker cannot fetch a URL of its own zone, Cloudflare error 1042), else -- the API-only
 * Worker with the site on another host, or no such file among the assets -- over the network. The
 * publisher compares its hash with the build's (is the deploy live?); the hub delivers its bytes.
 */
import type { Budget } from "../shared/budget.ts";
import { DEFAULT_FETCH_LIMITS, fetchRemote } from "../shared/remote-fetch.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { WebSubTopic } from "../shared/site-config.ts";
import type { AssetsFetcher } from "../worker-kit/env.ts";
import { sha256Hex } from "./protocol.ts";

export interface OwnTopicOptions {
  assets?: AssetsFetcher | undefined;
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
}

export interface OwnTopicPage {
  bytes: Uint8Array;
  sha256: string;
  /** False when the page came from this isolate's memory: no read and no hash this time. */
  read: boolean;
}

/**
 * Head pages read through ASSETS whose hash is the build's, by URL. The static assets are the
 * Worker's own version's (deployed with it, never changed), so while an isolate lives such a page
 * cannot change: the hub reads and hashes it once per isolate, not every run it delivers (a 240 KB
 * page: about 0.35 ms of a run's CPU, bench/websub.ts). A page that is not the build's (not live yet)
 * or that came over the network (the API-only Worker: the site lives elsewhere) is never kept. At
 * most one entry per head page (the profile's feeds: a few).
 */
const livePages = new Map<string, OwnTopicPage>();

export async function readOwnTopic(topic: WebSubTopic, options: OwnTopicOptions): Promise<Result<OwnTopicPage, string>> {
  const maxBytes = DEFAULT_FETCH_LIMITS.maxBytes;
  if (options.assets) {
    const kept = livePages.get(topic.url);
    if (kept && kept.sha256 === topic.sha256) return ok({ ...kept, read: false });
    const refusal = options.budget.refusal();
    if (refusal) return err(`${topic.url} was not read: ${refusal}`);
    options.budget.recordFetch();
    const response = await options.assets.fetch(new Request(topic.url, { headers: { Accept: topic.content_type } }));
    if (response.status === 200) {
      // Our own file (Workers Static Assets: 25 MiB at most): read whole by the runtime, one native copy.
      // Read chunk by chunk in JavaScript (readCappedBytes), a 240 KB head page cost about 0.4 ms of the
      // run's CPU, more than signing it once (bench/websub.ts --profile, on 2026-11-29); the hub reads its
      // pages every run it delivers.
      const read = new Uint8Array(await response.arrayBuffer());
      const bytes = read.byteLength <= maxBytes ? read : undefined;
      if (!bytes) return err(`${topic.url} is larger than ${maxBytes} bytes`);
      options.budget.recordBytes(bytes.byteLength);
      const page = { bytes, sha256: await sha256Hex(bytes), read: true };
      if (page.sha256 === topic.sha256) livePages.set(topic.url, page);
      return ok(page);
    }
    await response.body?.cancel().catch(() => {});
    if (response.status !== 404) return err(`${topic.url} answered HTTP ${response.status} from the static assets`);
  }
  const fetched = await fetchRemote(topic.url, {
    fetch: options.fetch,
    allowLoopback: options.allowLoopback,
    budget: options.budget,
    headers: { Accept: topic.content_type },
  });
  if (!fetched.ok) return err(fetched.error.detail);
  if (fetched.value.status !== 200) return err(`${topic.url} answered HTTP ${fetched.value.status}`);
  return ok({ bytes: fetched.value.bytes, sha256: await sha256Hex(fetched.value.bytes), read: true });
}
