/**
 * Sending one webmention (W3C Webmention §3.1.2, §3.1.3): discover the target's endpoint, then POST
 * `source` and `target` form-encoded to it. Both requests go through the guarded fetch
 * (shared/remote-fetch.ts: the address guard on every hop, redirects counted, time and byte caps,
 * the run's budget).
 *
 * Localhost (§4.3: "if the sender discovers the endpoint is localhost or a loopback IP address
 * (127.0.0.0/8), it SHOULD NOT send the Webmention to that endpoint"): the address guard refuses
 * loopback, private and link-local addresses for the target and the endpoint alike, except under
 * FETCH_ALLOW_LOOPBACK=true (npm start's two local sites, the tests), where loopback alone is allowed.
 */
import { answerText, retryAfterMs } from "../outbox/deliver.ts";
import { nextAttemptAfter } from "../outbox/policy.ts";
import type { Budget } from "../shared/budget.ts";
import { fetchRemote, USER_AGENT } from "../shared/remote-fetch.ts";
import { discoverEndpoint } from "./discover.ts";
import type { SendOutcome, SendRow } from "./send-store.ts";

/** The target page is read up to this many bytes (an endpoint is in its headers or markup). */
export const DISCOVERY_MAX_BYTES = 256 * 1024;
/** Redirects followed to the target (§4.2 asks for a limit) and, for 307/308, from the endpoint. */
export const DISCOVERY_MAX_REDIRECTS = 5;
export const POST_MAX_REDIRECTS = 2;
export const POST_TIMEOUT_MS = 10_000;
/** A send needs at most this many subrequests: the target and its redirects, the POST and its redirects, one D1 write. */
export const MAX_SUBREQUESTS_PER_SEND = 1 + DISCOVERY_MAX_REDIRECTS + 1 + POST_MAX_REDIRECTS + 1;

/** §3.1.2: "it is recommended to include the string "Webmention" in the User Agent". */
const DISCOVERY_AGENT = `${USER_AGENT} Webmention`;
const TRANSIENT = (status: number) => status === 408 || status === 429 || status >= 500;

export interface SendOptions {
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
  nowMs: number;
}

/** What one try came to; `deferred`: the run's budget ran out first (tried next run, no attempt counted). */
export type SendResult = { outcome: SendOutcome } | { deferred: string };

function retry(row: SendRow, detail: string, nowMs: number, extra: Partial<SendOutcome> = {}, afterMs?: number): SendResult {
  const tries = row.attempts + 1;
  const next = nextAttemptAfter(tries, nowMs, afterMs);
  if (next === null) return { outcome: { ...extra, state: "failed", detail: `${detail} (gave up after ${tries} tries)`, attempted: true } };
  return { outcome: { ...extra, state: "queued", detail, attempted: true, nextAttemptAtMs: next } };
}

const failed = (detail: string, extra: Partial<SendOutcome> = {}): SendResult => ({ outcome: { ...extra, state: "failed", detail, attempted: true } });

/** §3.1.2: the endpoint the target advertises, or why there is none. */
async function discover(row: SendRow, options: SendOptions): Promise<{ endpoint: string } | { result: SendResult }> {
  const fetched = await fetchRemote(row.target, {
    fetch: options.fetch,
    allowLoopback: options.allowLoopback,
    budget: options.budget,
    limits: { maxBytes: DISCOVERY_MAX_BYTES, maxRedirects: DISCOVERY_MAX_REDIRECTS },
    headers: { Accept: "text/html, application/xhtml+xml;q=0.9, */*;q=0.1", "User-Agent": DISCOVERY_AGENT },
  });
  if (!fetched.ok) {
    const { kind, detail } = fetched.error;
    if (kind === "budget") return { result: { deferred: detail } };
    if (kind === "unreachable") return { result: retry(row, `the target: ${detail}`, options.nowMs) };
    return { result: failed(`the target: ${detail}; nothing was sent`) };
  }
  const { status, headers, url, bytes } = fetched.value;
  if (TRANSIENT(status))
    return { result: retry(row, `the target answered ${status}`, options.nowMs, {}, retryAfterMs(headers.get("Retry-After"), options.nowMs)) };
  if (status < 200 || status > 299) return { result: failed(`the target answered ${status}; nothing was sent`) };
  const endpoint = discoverEndpoint({ url, headers, body: new TextDecoder().decode(bytes) });
  if (!endpoint)
    return { result: { outcome: { state: "no-endpoint", detail: `${url} advertises no Webmention endpoint; nothing was sent`, attempted: true } } };
  return { endpoint };
}

/** §3.1.3: "post x-www-form-urlencoded source and target parameters"; the endpoint's query string stays in its URL. */
async function notify(row: SendRow, endpoint: string, options: SendOptions): Promise<SendResult> {
  const posted = await fetchRemote(endpoint, {
    fetch: options.fetch,
    allowLoopback: options.allowLoopback,
    budget: options.budget,
    method: "POST",
    body: new URLSearchParams({ source: row.source, target: row.target }).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "*/*" },
    limits: { timeoutMs: POST_TIMEOUT_MS, maxBytes: 16 * 1024, maxRedirects: POST_MAX_REDIRECTS },
  });
  if (!posted.ok) {
    const { kind, detail } = posted.error;
    if (kind === "budget") return { deferred: detail };
    // fetchRemote says "too-large" only of a 2xx answer: the receiver took it.
    if (kind === "too-large") return { outcome: { state: "sent", detail: null, attempted: true, endpoint } };
    if (kind === "refused") return failed(`the endpoint: ${detail} (Webmention §4.3); nothing was sent`, { endpoint });
    return retry(row, `the endpoint: ${detail}`, options.nowMs, { endpoint });
  }
  const { status, headers } = posted.value;
  const said = answerText(posted.value.bytes, headers.get("Content-Type"));
  const extra: Partial<SendOutcome> = { endpoint, httpStatus: status };
  // §3.1.3: "Any 2xx response code MUST be considered a success."
  if (status >= 200 && status <= 299) return { outcome: { ...extra, state: "sent", detail: null, attempted: true } };
  const detail = `${endpoint} answered ${status}${said ? `: ${said}` : ""}`;
  if (TRANSIENT(status)) return retry(row, detail, options.nowMs, extra, retryAfterMs(headers.get("Retry-After"), options.nowMs));
  return failed(detail, extra);
}

/** Discover, then notify: re-discovered on every try (§3.1.4: "MUST re-discover the Webmention endpoint"). */
export async function sendWebmention(row: SendRow, options: SendOptions): Promise<SendResult> {
  const found = await discover(row, options);
  if ("result" in found) return found.result;
  return notify(row, found.endpoint, options);
}
