/**
 * webmention.verify (a scheduled job, every minute): Webmention verification (§3.2.2). Each due
 * webmention's source is fetched through the guarded fetch (the address guard on every hop, at most
 * MAX_REDIRECTS redirects, SOURCE_MAX_BYTES, a share of the run's budget) and must link to the
 * target; its microformats2 say who wrote it and whether it is a reply, like, repost or mention.
 *
 * Outcomes: verified (what it says is stored as text); rejected (no link to the target, not a page,
 * too large, a blocked author: what it said is dropped, §3.2.2 "delete"); gone (410: dropped too);
 * unreachable (no answer, 5xx, 429: tried again with backoff, MAX_ATTEMPTS times, then rejected).
 *
 * Budget in plain counts: at most PER_RUN sources a run, each at most SOURCE_MAX_BYTES read, so one
 * run reads at most PER_RUN x SOURCE_MAX_BYTES of strangers' HTML.
 */
import { fetchRemote } from "../shared/remote-fetch.ts";
import type { JobContext, ScheduledJob } from "../worker-kit/jobs.ts";
import { readSourcePage } from "./source-page.ts";
import { type DueWebmention, dueWebmentions, recordCheck, type WebmentionCheck } from "./store.ts";
import { blockedAuthor } from "./target.ts";

export const PER_RUN = 3;
export const SOURCE_MAX_BYTES = 256 * 1024;
export const MAX_REDIRECTS = 5;
export const MAX_ATTEMPTS = 6;
/** The first retry after 5 minutes, doubling: 5, 10, 20, 40, 80 minutes. */
const BACKOFF_MS = 5 * 60_000;
const EVERYTHING_DUE = Date.UTC(9999, 0, 1);
const HTML_TYPES = /^(text\/html|application\/xhtml\+xml)\b/i;

function retryLater(mention: DueWebmention, detail: string, nowMs: number): WebmentionCheck {
  if (mention.attempts + 1 >= MAX_ATTEMPTS)
    return { state: "rejected", detail: `${detail}; gave up after ${MAX_ATTEMPTS} tries`, atMs: nowMs, nextCheckAtMs: null };
  return { state: "unreachable", detail, atMs: nowMs, nextCheckAtMs: nowMs + BACKOFF_MS * 2 ** mention.attempts };
}

const final = (state: "rejected" | "gone", detail: string, nowMs: number): WebmentionCheck => ({ state, detail, atMs: nowMs, nextCheckAtMs: null });

/** Check one webmention's source now. */
export async function checkSource(context: JobContext, mention: DueWebmention): Promise<WebmentionCheck> {
  const now = context.now;
  const fetched = await fetchRemote(mention.source, {
    fetch: context.fetch,
    allowLoopback: context.allowLoopback,
    budget: context.budget,
    limits: { maxBytes: SOURCE_MAX_BYTES, maxRedirects: MAX_REDIRECTS },
    headers: { Accept: "text/html, application/xhtml+xml;q=0.9" },
  });
  if (!fetched.ok) {
    if (fetched.error.kind === "unreachable" || fetched.error.kind === "budget") return retryLater(mention, fetched.error.detail, now);
    return final("rejected", fetched.error.detail, now);
  }
  const { status, headers, bytes, url } = fetched.value;
  if (status === 410) return final("gone", "the source answered 410 Gone: the mention was deleted", now);
  if (status === 429 || status >= 500) return retryLater(mention, `the source answered ${status}`, now);
  if (status < 200 || status >= 300) return final("rejected", `the source answered ${status}`, now);
  if (!HTML_TYPES.test(headers.get("Content-Type") ?? "")) return final("rejected", "the source is not an HTML page", now);
  const reading = readSourcePage(new TextDecoder().decode(bytes), url, mention.target);
  if (!reading.linksToTarget) return final("rejected", "the source does not link to the target", now);
  if (blockedAuthor(context.config, [reading.author?.url, url, mention.source])) return final("rejected", "the author is blocked", now);
  const check: WebmentionCheck = {
    state: "verified",
    detail: `the source links to the target (${reading.kind})`,
    atMs: now,
    nextCheckAtMs: null,
    reading: { kind: reading.kind },
  };
  const r = check.reading!;
  if (reading.author?.name) r.authorName = reading.author.name;
  if (reading.author?.url) r.authorUrl = reading.author.url;
  if (reading.author?.photo) r.authorPhoto = reading.author.photo;
  if (reading.text) r.content = reading.text;
  if (reading.published) r.published = reading.published;
  r.url = reading.url ?? url;
  return check;
}

export const webmentionVerifyJob: ScheduledJob = {
  name: "webmention.verify",
  everyMinutes: 1,
  async run(context) {
    const due = await dueWebmentions(context.db, context.all ? EVERYTHING_DUE : context.now, PER_RUN);
    if (due.length === 0) return { summary: "no webmention waits for a check" };
    const counts: Record<string, number> = {};
    const failures: { target: string; reason: string }[] = [];
    let checked = 0;
    for (const mention of due) {
      // One check needs up to MAX_REDIRECTS + 1 fetches and one D1 write: stop before one that cannot finish.
      if (context.budget.subrequestsLeft() < MAX_REDIRECTS + 2 || context.budget.refusal()) break;
      const check = await checkSource(context, mention);
      await recordCheck(context.db, mention.id, check);
      checked += 1;
      counts[check.state] = (counts[check.state] ?? 0) + 1;
      if (check.state === "unreachable") failures.push({ target: `webmention ${mention.id} from ${mention.source}`, reason: check.detail });
    }
    const parts = Object.entries(counts).map(([state, n]) => `${n} ${state}`);
    const left = due.length - checked;
    return {
      summary: `checked ${checked} webmention${checked === 1 ? "" : "s"}: ${parts.join(", ")}${left > 0 ? `; ${left} wait for the next run` : ""}`,
      failures,
    };
  },
};
