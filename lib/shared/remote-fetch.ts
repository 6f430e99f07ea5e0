/**
 * The one way the Worker fetches a URL a stranger chose (reply verification, the timeline poller,
 * the outbox): every hop checked by the address guard, redirects followed by hand and counted, each
 * fetch capped in time and bytes, and every fetch drawn from a Budget shared with the rest of the
 * run, so no stranger can make one notification cost more than its share.
 *
 * Non-2xx answers are returned, not failed: a 304, a 403 or a 503 each mean something to the caller.
 * Failures are what left no answer: a refused address, a network error, a timeout, a body over the
 * cap, a redirect loop, or the budget running out.
 */
import { checkFetchUrl } from "./address-guard.ts";
import type { Budget } from "./budget.ts";
import { readCappedBytes } from "./capped-body.ts";
import { err, ok, type Result } from "./result.ts";

export interface PerFetchLimits {
  /** Headers and body of one request. */
  timeoutMs: number;
  /** Body bytes of one answer; a longer body is not read at all past this. */
  maxBytes: number;
  /** Redirects followed for one URL. */
  maxRedirects: number;
}

export const DEFAULT_FETCH_LIMITS: PerFetchLimits = { timeoutMs: 5000, maxBytes: 1024 * 1024, maxRedirects: 3 };

export const USER_AGENT = "Skein (+https://github.com/Sonictherocketman/Open-Microblog)";

export interface RemoteFetchOptions {
  fetch: typeof fetch;
  /** npm start's local sites (FETCH_ALLOW_LOOPBACK): loopback allowed, other private ranges not. */
  allowLoopback: boolean;
  budget: Budget;
  limits?: Partial<PerFetchLimits>;
  headers?: Record<string, string>;
  method?: "GET" | "POST" | "PUT";
  /** A body for POST or PUT: JSON or a form as text; bytes as they are (a WebSub delivery: the very bytes signed). */
  body?: string | Uint8Array;
}

export interface RemoteResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  headers: Headers;
  /** The body (at most maxBytes; only the first 4 KiB of an error answer). */
  bytes: Uint8Array;
  /** Set when every redirect on the way was permanent (301/308): the resource has moved there. */
  movedTo?: string;
}

export type RemoteFailureKind = "refused" | "unreachable" | "too-large" | "budget";

export interface RemoteFailure {
  kind: RemoteFailureKind;
  /** One line for the owner, naming the URL. */
  detail: string;
}

const ERROR_BODY_BYTES = 4096;

/** "0.3 s", "5 s". */
function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function failure(kind: RemoteFailureKind, detail: string): { ok: false; error: RemoteFailure } {
  return err({ kind, detail: detail.slice(0, 300) });
}

/**
 * Why a fetch failed, in words. Node's fetch (the commands) says only "fetch failed" and keeps the
 * reason in `cause` (ECONNREFUSED, ENOTFOUND, ...), so the causes are read too. workerd has two
 * messages for everything (tried against loopback servers): "Network connection lost." for a refused
 * connection AND for a connection the server closed before answering, and "internal error; reference
 * = ..." for a host that does not resolve (its log says "DNS lookup failed").
 */
export function networkReason(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") parts.push(code);
    current = current instanceof Error ? current.cause : undefined;
  }
  const text = parts.join(" ");
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME|getaddrinfo|DNS lookup/i.test(text)) return "network error: no such host";
  if (/ECONNREFUSED|connection refused/i.test(text)) return "network error: connection refused";
  if (/ECONNRESET|EPIPE|socket hang up|other side closed/i.test(text)) return "network error: the connection was reset";
  if (/network connection lost/i.test(text)) return "network error: the connection was refused or closed before an answer came";
  if (/internal error/i.test(text)) return "network error: no such host, or the connection could not be made";
  // Otherwise every distinct reason, outermost first ("fetch failed: bad port").
  return [...new Set(parts.filter((part) => part && !/^[A-Z_]+$/.test(part)))].join(": ") || "network error";
}

const LOST = new Set(["network error: the connection was reset", "network error: the connection was refused or closed before an answer came"]);

/** Did the connection go away under the request (worth one more try), rather than a host, port or URL that is wrong? */
function lostConnection(error: unknown): boolean {
  return LOST.has(networkReason(error));
}

/** The second try failed too (its error is the cause). */
class RetriedError extends Error {
  constructor(override readonly cause: unknown) {
    super("retried");
  }
}

/**
 * One request, and once more when it failed before any answer came. Why: a server that closes each
 * connection after answering without saying so (HTTP/1.0 without "Connection: close", as Python's
 * http.server does) leaves a closed connection in the client's keep-alive pool; a request sent on it
 * is lost before the server reads it (workerd: "Network connection lost.", about 1-3% of polls of such
 * a server when several run at once). The second try gets a fresh connection. Only a lost or reset
 * connection is tried again (not a host that does not resolve or a port fetch refuses), only a GET
 * (RFC 9110 §9.2.2: idempotent), and the second request is drawn from the budget like any other.
 */
async function sendWithRetry(url: string, init: RequestInit, options: RemoteFetchOptions, signal: AbortSignal): Promise<Response> {
  try {
    return await options.fetch(url, init);
  } catch (error) {
    if (signal.aborted || init.method !== "GET" || !lostConnection(error) || options.budget.refusal()) throw error;
    options.budget.recordFetch();
    try {
      return await options.fetch(url, init);
    } catch (second) {
      throw new RetriedError(second);
    }
  }
}

export async function fetchRemote(start: string, options: RemoteFetchOptions): Promise<Result<RemoteResponse, RemoteFailure>> {
  const limits: PerFetchLimits = { ...DEFAULT_FETCH_LIMITS, ...options.limits };
  const method = options.method ?? "GET";
  const seen = new Set<string>();
  let target = start;
  let allPermanent = true;
  for (let hop = 0; ; hop++) {
    const allowed = checkFetchUrl(target, options.allowLoopback);
    if (!allowed.ok) return failure("refused", allowed.error);
    const url = allowed.value.href;
    if (seen.has(url)) return failure("unreachable", `redirect loop at ${url}`);
    seen.add(url);
    const refusal = options.budget.refusal();
    if (refusal) return failure("budget", `${url} was not fetched: ${refusal}`);
    options.budget.recordFetch();

    const controller = new AbortController();
    const timeoutMs = Math.min(limits.timeoutMs, options.budget.msLeft());
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const init: RequestInit = { method, redirect: "manual", signal: controller.signal, headers: { "User-Agent": USER_AGENT, ...options.headers } };
      if (options.body !== undefined) init.body = options.body as BodyInit;
      const response = await sendWithRetry(url, init, options, controller.signal);
      const location = response.headers.get("Location");
      if (response.status >= 300 && response.status < 400 && response.status !== 304 && location) {
        await response.body?.cancel().catch(() => {});
        // A POST or PUT is only re-sent where the status says the method is kept (RFC 9110 §15.4.8, §15.4.9).
        if (method !== "GET" && response.status !== 307 && response.status !== 308) {
          return ok({ url, status: response.status, headers: response.headers, bytes: new Uint8Array(0) });
        }
        if (hop >= limits.maxRedirects) return failure("unreachable", `more than ${limits.maxRedirects} redirects from ${start}`);
        if (response.status !== 301 && response.status !== 308) allPermanent = false;
        try {
          target = new URL(location, url).href;
        } catch {
          return failure("unreachable", `${url} redirects to an address that cannot be read`);
        }
        continue;
      }
      const cap = response.ok ? Math.min(limits.maxBytes, options.budget.bytesLeft()) : ERROR_BODY_BYTES;
      const declared = Number(response.headers.get("Content-Length") ?? "");
      if (response.ok && Number.isFinite(declared) && declared > cap) {
        await response.body?.cancel().catch(() => {});
        return failure("too-large", `${url} is larger than ${cap} bytes`);
      }
      const bytes = await readCappedBytes(response.body, cap, controller.signal);
      if (!bytes) {
        if (!response.ok) return ok({ url, status: response.status, headers: response.headers, bytes: new Uint8Array(0) });
        return failure("too-large", `${url} is larger than ${cap} bytes`);
      }
      options.budget.recordBytes(bytes.byteLength);
      const answer: RemoteResponse = { url, status: response.status, headers: response.headers, bytes };
      if (hop > 0 && allPermanent) answer.movedTo = url;
      return ok(answer);
    } catch (error) {
      if (controller.signal.aborted) return failure("unreachable", `${url} did not answer within ${seconds(timeoutMs)}`);
      const twice = error instanceof RetriedError;
      return failure("unreachable", `${url} could not be fetched${twice ? ", tried twice" : ""} (${networkReason(twice ? error.cause : error)})`);
    } finally {
      clearTimeout(timer);
    }
  }
}
