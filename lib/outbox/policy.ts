/**
 * The outbox's numbers and the spec's JSON bodies, in one place: how often and how long Skein tries,
 * what each POST costs at most, and what it says about us.
 */
import type { SiteConfig } from "../shared/site-config.ts";
import type { Us } from "./recipient.ts";

/** Minutes to wait after attempt 1, 2, ... ended in a transient failure; after the last, `failed`. */
export const RETRY_AFTER_MINUTES = [2, 10, 30, 120, 480] as const;
export const MAX_SEND_ATTEMPTS = RETRY_AFTER_MINUTES.length + 1;

/** When to try again after `attempts` attempts (at least what Retry-After asked); null once they are used up. */
export function nextAttemptAfter(attempts: number, nowMs: number, retryAfterMs?: number): number | null {
  const minutes = RETRY_AFTER_MINUTES[attempts - 1];
  if (minutes === undefined) return null;
  return nowMs + Math.max(minutes * 60_000, retryAfterMs ?? 0);
}

/**
 * A notification waits for its post to be live: looked at again after a quarter of the time it has
 * waited (1 to 30 minutes), so a slow deploy costs a few D1 writes, not one a minute; given up
 * after WAIT_FOR_LIVE_MS.
 */
export const WAIT_FOR_LIVE_MS = 24 * 60 * 60_000;

export function nextLookForLive(createdAtMs: number, nowMs: number): number {
  const waited = Math.max(0, nowMs - createdAtMs);
  return nowMs + Math.min(30 * 60_000, Math.max(60_000, Math.floor(waited / 4)));
}

/** One notification's or message's share of a run: their feed, a few list pages, the POST. */
export const SEND_BUDGET = { subrequests: 12, bytes: 3 * 1024 * 1024, durationMs: 20_000 };

/** A row is not started with fewer subrequests left than this (their feed, the POST, the outcome, a margin). */
export const MIN_SUBREQUESTS_PER_SEND = 4;

/** How long a run's claim keeps other runs off a row (a run lasts at most RUN_LIMITS' 25 s). */
export const LEASE_MS = 10 * 60_000;

/** Us, as others' lists name us. */
export function usOf(config: SiteConfig): Us {
  return { user_id: config.owner.user_id, feed_url: config.owner.feed_url };
}

/** Spec "Sending Replies/Mentions": user_id, username, user_link (our feed URL), status_id (our post's guid). */
export function notificationBody(config: SiteConfig, postId: number): Record<string, string> {
  return { user_id: config.owner.user_id, username: config.owner.username, user_link: config.owner.feed_url, status_id: String(postId) };
}

/** Spec "Sending Private Messages": user_id, username, user_link, message, date (RFC 822). */
export function messageBody(config: SiteConfig, text: string, dateRfc822: string): Record<string, string> {
  return { user_id: config.owner.user_id, username: config.owner.username, user_link: config.owner.feed_url, message: text, date: dateRfc822 };
}
