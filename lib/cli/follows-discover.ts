/**
 * What `npm run follow -- <URL>` reads before it writes anything: the account behind a URL. The URL
 * may be the feed itself or a profile page that names its feed with
 * <link rel="alternate" type="application/rss+xml" href="...">. The feed must be Open Microblog:
 * RSS with the spec's required <microblog:user_id> and <microblog:username> (spec "Required Channel
 * Elements") -- those two are what follows.yaml records. A <microblog:relocate> is followed (spec
 * "Obligation of the Client": the old URL is dead), as is a permanent redirect.
 *
 * This runs on the owner's machine with Node's fetch, with caps so a hostile or broken server cannot
 * hang the command or fill its memory: 10 s per request, 2 MB per answer, 5 redirects, 8 requests.
 * Feeds are decoded and read with the same code the Worker uses (lib/shared/xml-decoding.ts,
 * lib/shared/remote-feed-reader.ts), so every encoding XML allows is read here too.
 */
import { isListFeed, listFeedReason } from "../shared/feed-kind.ts";
import { feedLinksOf } from "../shared/feed-links.ts";
import { type Feed, FeedReadError, readFeed } from "../shared/remote-feed-reader.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { otherUserId, otherUsername } from "../shared/schemas.ts";
import { normalizeUserLink, parseHttpUrl } from "../shared/urls.ts";
import { decodeXmlBytes } from "../shared/xml-decoding.ts";
import { CliError } from "./run.ts";

export interface DiscoveryLimits {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  maxRequests: number;
}

export const DISCOVERY_LIMITS: DiscoveryLimits = { timeoutMs: 10_000, maxBytes: 2 * 1024 * 1024, maxRedirects: 5, maxRequests: 8 };

export interface DiscoveredFeed {
  /** The feed URL to record in follows.yaml. */
  url: string;
  user_id: string;
  username: string;
  name?: string;
  /** What happened on the way, one line each (found through a page, relocated, moved). */
  notes: string[];
  /**
   * Feed URLs (normalized) that said the account moved on the way here: a <microblog:relocate> or a
   * permanent redirect (301/308). Spec "Obligation of the Client": such an old URL "is considered dead".
   */
  movedFrom: string[];
}

interface Answer {
  url: string;
  /** Every redirect on the way was permanent (301/308). */
  permanent: boolean;
  redirected: boolean;
  contentType: string | null;
  bytes: Uint8Array;
}

class Fetcher {
  private requests = 0;
  constructor(
    private readonly limits: DiscoveryLimits,
    private readonly fetchImpl: typeof fetch,
  ) {}

  async get(start: string): Promise<Answer> {
    let url = start;
    let permanent = true;
    for (let hop = 0; ; hop++) {
      if (++this.requests > this.limits.maxRequests)
        throw new CliError(`gave up after ${this.limits.maxRequests} requests while looking for the feed of ${start}`);
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          redirect: "manual",
          signal: AbortSignal.timeout(this.limits.timeoutMs),
          headers: { Accept: "application/rss+xml, application/xml;q=0.9, text/html;q=0.8, */*;q=0.1", "User-Agent": "Skein (npm run follow)" },
        });
      } catch (error) {
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
        const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
        throw new CliError(timedOut ? `${url} did not answer within ${this.limits.timeoutMs / 1000} s` : `could not fetch ${url} (${cause})`);
      }
      const location = response.headers.get("Location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => {});
        if (hop >= this.limits.maxRedirects) throw new CliError(`${start} redirects more than ${this.limits.maxRedirects} times`);
        if (response.status !== 301 && response.status !== 308) permanent = false;
        const next = parseHttpUrl(new URL(location, url).href);
        if (!next) throw new CliError(`${url} redirects to ${location}, which is not an http(s) URL`);
        url = next.href;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw new CliError(`${url} answered HTTP ${response.status}`);
      }
      return { url, permanent, redirected: hop > 0, contentType: response.headers.get("Content-Type"), bytes: await this.capped(response, url) };
    }
  }

  private async capped(response: Response, url: string): Promise<Uint8Array> {
    const declared = Number(response.headers.get("Content-Length") ?? "");
    const tooLarge = () => new CliError(`${url} is larger than ${this.limits.maxBytes / (1024 * 1024)} MB: not a feed Skein will follow`);
    if (Number.isFinite(declared) && declared > this.limits.maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    const reader = response.body?.getReader();
    if (!reader) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > this.limits.maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }
}

function looksLikeHtml(answer: Answer, text: string): boolean {
  // What the body says wins over a misconfigured Content-Type.
  if (/^\uFEFF?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<rss\b/i.test(text.slice(0, 4096))) return false;
  if (/html/i.test(answer.contentType ?? "")) return true;
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html)\b/i.test(text.slice(0, 2048));
}

/** Why an answer is not a feed; an HTML page comes with its text, to look for the feed's link in it. */
interface NotAFeed {
  reason: string;
  html?: string;
}

type Reading = Result<Feed, NotAFeed>;

function readAnswer(answer: Answer): Reading {
  const decoded = decodeXmlBytes(answer.bytes, answer.contentType);
  if (!decoded.ok) return err({ reason: `${answer.url}: ${decoded.error}` });
  if (looksLikeHtml(answer, decoded.value.text)) return err({ reason: `${answer.url} is an HTML page`, html: decoded.value.text });
  try {
    return ok(readFeed(decoded.value.text));
  } catch (error) {
    if (error instanceof FeedReadError) return err({ reason: `${answer.url} is not an RSS feed (${error.message})` });
    throw error;
  }
}

/** Why a readable RSS feed is not one follows.yaml can hold, or undefined when it is. */
function notOpenMicroblog(feed: Feed, url: string): string | undefined {
  // A list carries the same channel elements as a person's feed; its items are accounts, not posts.
  if (isListFeed(feed, true)) return `${listFeedReason(url)}; follow the account's own feed instead`;
  const { user_id, username } = feed.channel;
  if (!user_id && !username) {
    return `${url} is an RSS feed but not an Open Microblog feed: it has no <microblog:user_id> and no <microblog:username> (spec "Required Channel Elements")`;
  }
  if (!user_id) return `${url} is not a complete Open Microblog feed: it has no <microblog:user_id> (spec "Required Channel Elements")`;
  if (!username) return `${url} is not a complete Open Microblog feed: it has no <microblog:username> (spec "Required Channel Elements")`;
  if (!otherUserId.safeParse(user_id).success)
    return `${url} has a user_id follows.yaml cannot hold (1-128 URL-safe characters): ${JSON.stringify(user_id.slice(0, 80))}`;
  if (!otherUsername.safeParse(username).success) {
    return `${url} has a username follows.yaml cannot hold (1-25 letters, digits, "_", "." or "-"): ${JSON.stringify(username.slice(0, 80))}`;
  }
  return undefined;
}

export async function discoverFeed(input: string, options: { fetch?: typeof fetch; limits?: Partial<DiscoveryLimits> } = {}): Promise<DiscoveredFeed> {
  const start = parseHttpUrl(input.trim());
  if (!start) throw new CliError(`not an http(s) URL: ${JSON.stringify(input)} (give the feed URL or the profile page, e.g. https://bob.example/)`);
  const fetcher = new Fetcher({ ...DISCOVERY_LIMITS, ...options.limits }, options.fetch ?? fetch);
  const notes: string[] = [];
  const movedFrom: string[] = [];
  let relocatedFrom: { url: string; user_id: string } | undefined;
  let url = start.href;
  for (let relocations = 0; ; relocations++) {
    let answer = await fetcher.get(url);
    let reading = readAnswer(answer);
    if (!reading.ok && reading.error.html !== undefined) {
      const candidates = feedLinksOf(reading.error.html, answer.url);
      if (!candidates.length) {
        throw new CliError(`${answer.url} is a web page with no <link rel="alternate" type="application/rss+xml"> to a feed; give the feed's URL instead`);
      }
      let found: { requested: string; answer: Answer; reading: Reading } | undefined;
      const reasons: string[] = [];
      for (const candidate of candidates.slice(0, 3)) {
        const candidateAnswer = await fetcher.get(candidate);
        const candidateReading = readAnswer(candidateAnswer);
        const why = candidateReading.ok ? notOpenMicroblog(candidateReading.value, candidateAnswer.url) : candidateReading.error.reason;
        if (!why) {
          found = { requested: candidate, answer: candidateAnswer, reading: candidateReading };
          break;
        }
        reasons.push(why);
      }
      if (!found) throw new CliError(`${answer.url} links to no Open Microblog feed: ${reasons.join("; ")}`);
      notes.push(`found the feed ${found.answer.url} on the page ${answer.url}`);
      url = found.requested;
      answer = found.answer;
      reading = found.reading;
    }
    if (!reading.ok) throw new CliError(reading.error.reason);
    const why = notOpenMicroblog(reading.value, answer.url);
    if (why) throw new CliError(why);
    const channel = reading.value.channel;
    // Spec "Relocation": the new feed is the same user's; one of another user_id is not a move (the poller refuses it too).
    if (relocatedFrom && channel.user_id !== relocatedFrom.user_id) {
      throw new CliError(
        `${relocatedFrom.url} relocates to ${answer.url}, which is another account (user_id ${channel.user_id}, not ${relocatedFrom.user_id}); follow that URL itself if you mean to`,
      );
    }
    const feedUrl = answer.redirected && !answer.permanent ? url : answer.url;
    if (answer.redirected && answer.permanent) {
      notes.push(`${url} moved permanently to ${answer.url}`);
      movedFrom.push(normalizeUserLink(url) ?? url);
    }
    const relocate = channel.relocate ? parseHttpUrl(new URL(channel.relocate, answer.url).href)?.href : undefined;
    if (relocate && relocate !== feedUrl) {
      if (relocations >= 2) throw new CliError(`${feedUrl} relocates again to ${relocate}; follow the newest URL yourself`);
      notes.push(`${feedUrl} relocated to ${relocate} (<microblog:relocate>)`);
      movedFrom.push(normalizeUserLink(feedUrl) ?? feedUrl);
      relocatedFrom = { url: feedUrl, user_id: channel.user_id! };
      url = relocate;
      continue;
    }
    const discovered: DiscoveredFeed = { url: feedUrl, user_id: channel.user_id!, username: channel.username!, notes, movedFrom };
    if (channel.user_full_name) discovered.name = channel.user_full_name.slice(0, 100);
    return discovered;
  }
}

/**
 * Does the feed at `oldUrl` say the account moved to `newUrl`? Spec "Relocation": a
 * <microblog:relocate> on the old head names the new feed (a permanent redirect says the same, as
 * the poller reads it); "the old URL can be discarded". The answer is a note for the owner, or why
 * the old feed does not say so -- then following `newUrl` would be a second feed for one account.
 */
export async function checkMove(
  oldUrl: string,
  newUrl: string,
  options: { fetch?: typeof fetch; limits?: Partial<DiscoveryLimits> } = {},
): Promise<Result<string, string>> {
  let old: DiscoveredFeed;
  try {
    old = await discoverFeed(oldUrl, options);
  } catch (error) {
    if (error instanceof CliError) return err(`it cannot be read to confirm a move (${error.message})`);
    throw error;
  }
  const target = normalizeUserLink(newUrl);
  if (normalizeUserLink(old.url) === target && old.movedFrom.length) return ok(`${oldUrl} says the account moved to ${newUrl}`);
  if (old.movedFrom.length) return err(`it says the account moved to ${old.url}, not to ${newUrl}`);
  return err(`it has no <microblog:relocate> and no permanent redirect to ${newUrl} (spec "Relocation")`);
}
