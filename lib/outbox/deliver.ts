/**
 * One POST of the spec's JSON to a reply or message URL (spec "Sending Replies/Mentions", "Sending
 * Private Messages"), through fetchRemote (address guard, no redirect of a POST to another method,
 * time and size caps, the caller's Budget), and what the answer means:
 *
 *   2xx            sent      spec: "201 Created (optionally a 200 OK)"
 *   403            refused   spec: "In the case of a denied message ... 403 Forbidden"; final
 *   408, 425, 429, 5xx, no answer (network, timeout)    retry later, with backoff
 *   other 4xx, a redirect, a refused address            failed; final, with the reason
 *   our run's budget ran out before the POST            deferred: not an attempt
 *
 * With a signer, the POST carries Content-Digest, Signature-Input and Signature (RFC 9421 §4, RFC
 * 9530 §2; lib/outbox/signer.ts), made over the very bytes sent, fresh for each attempt.
 *
 * A 400 is final too, although the spec lets a service refuse with it ("optionally a 400 Bad
 * Request"): it cannot be told from a body the receiver could not read, and neither gets better by
 * sending it again. Their answer's text, if any, is kept in the reason (one line, 200 characters).
 */
import type { Budget } from "../shared/budget.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import { isTransientStatus } from "./recipient.ts";
import type { Signer } from "./signer.ts";

export type Delivery =
  | { outcome: "sent"; status: number; detail: string }
  | { outcome: "refused"; status: number; detail: string }
  | { outcome: "failed"; status?: number; detail: string }
  | { outcome: "retry"; status?: number; detail: string; retryAfterMs?: number }
  | { outcome: "deferred"; detail: string };

export interface DeliverOptions {
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
  /** For Retry-After given as an HTTP date, and the signature's created time. */
  nowMs: number;
  /** Our key (absent: sent unsigned, as a site without a key does). */
  signer?: Signer | undefined;
}

/** A POST waits this long for an answer: a receiver may verify before answering. */
export const POST_TIMEOUT_MS = 10_000;
/** An answer's body is not expected (spec: "no message body"); this much is read of one. */
const ANSWER_BYTES = 16 * 1024;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]+/g;

/** The gist of an error answer: a problem+json `detail`, or the start of its text. */
export function answerText(bytes: Uint8Array, contentType: string | null): string {
  if (bytes.byteLength === 0) return "";
  const text = new TextDecoder().decode(bytes.subarray(0, 4096));
  let gist = text;
  if (/json/i.test(contentType ?? "")) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === "object") {
        const { detail, error, message } = parsed as Record<string, unknown>;
        const picked = [detail, error, message].find((value) => typeof value === "string");
        if (typeof picked === "string") gist = picked;
      }
    } catch {
      // not JSON after all: keep the text
    }
  } else if (/html/i.test(contentType ?? "") || /^\s*</.test(text)) {
    return "";
  }
  return gist.replace(CONTROL, " ").replace(/\s+/g, " ").trim().slice(0, 200);
}

/** Retry-After as milliseconds from now (RFC 9110 §10.2.3: seconds or an HTTP date), capped at a day. */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - nowMs;
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.min(ms, 24 * 60 * 60_000);
}

export async function deliver(url: string, body: Record<string, string>, options: DeliverOptions): Promise<Delivery> {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const signature = options.signer ? await options.signer.headers(url, bytes, options.nowMs) : {};
  const posted = await fetchRemote(url, {
    fetch: options.fetch,
    allowLoopback: options.allowLoopback,
    budget: options.budget,
    method: "POST",
    body: bytes,
    headers: { "Content-Type": "application/json", Accept: "application/json, */*;q=0.1", ...signature },
    limits: { timeoutMs: POST_TIMEOUT_MS, maxBytes: ANSWER_BYTES },
  });
  if (!posted.ok) {
    const { kind, detail } = posted.error;
    if (kind === "budget") return { outcome: "deferred", detail };
    if (kind === "refused") return { outcome: "failed", detail };
    // fetchRemote reports "too-large" only for a 2xx answer: the POST was taken.
    if (kind === "too-large") return { outcome: "sent", status: 200, detail: `${url} took it (with a longer answer than expected)` };
    return { outcome: "retry", detail };
  }
  const { status, headers } = posted.value;
  const said = answerText(posted.value.bytes, headers.get("Content-Type"));
  const because = said ? `: ${said}` : "";
  if (status >= 200 && status <= 299) return { outcome: "sent", status, detail: `${url} answered ${status}` };
  if (status === 403) return { outcome: "refused", status, detail: `${url} answered 403 Forbidden${because}` };
  if (isTransientStatus(status)) {
    const delivery: Delivery = { outcome: "retry", status, detail: `${url} answered ${status}${because}` };
    const after = retryAfterMs(headers.get("Retry-After"), options.nowMs);
    if (after !== undefined) delivery.retryAfterMs = after;
    return delivery;
  }
  if (status >= 300 && status <= 399)
    return { outcome: "failed", status, detail: `${url} answered ${status} (a redirect; a POST is not sent on to another address)` };
  return { outcome: "failed", status, detail: `${url} answered ${status}${because}` };
}
