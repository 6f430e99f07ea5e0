/**
 * Fixed-window rate limits per client IP and per sender, kept in D1 (table rate_limits).
 *
 * Why in D1 and in the same batch as the insert: a D1 batch is one round trip and one transaction,
 * so counting, the limit check and the insert cannot interleave with another request's, and a
 * request that is over a limit stores nothing. The statements here are spliced into the store's
 * batch (lib/inbox/store.ts): delete old windows, bump both counters, then an INSERT ... SELECT
 * whose WHERE is gateCondition().
 */
import type { InboxDb, InboxStatement } from "../shared/d1.ts";

export interface RateLimitConfig {
  windowSeconds: number;
  /** Requests per window and client IP; 0 = no limit. */
  perIp: number;
  /** Requests per window and sender user_id; 0 = no limit. */
  perSender: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = { windowSeconds: 60, perIp: 30, perSender: 10 };

export interface RateLimitEnv {
  RATE_LIMIT_WINDOW_SECONDS?: string;
  RATE_LIMIT_PER_IP?: string;
  RATE_LIMIT_PER_SENDER?: string;
}

function count(text: string | undefined, fallback: number, min: number): number {
  if (text === undefined || !/^\s*\d{1,9}\s*$/.test(text)) return fallback;
  const value = Number(text);
  return value >= min ? value : fallback;
}

/** Limits from the env vars in wrangler.toml; missing or invalid values fall back to 60 s / 30 / 10. */
export function rateLimitConfig(env: RateLimitEnv): RateLimitConfig {
  return {
    windowSeconds: count(env.RATE_LIMIT_WINDOW_SECONDS, DEFAULT_RATE_LIMITS.windowSeconds, 1),
    perIp: count(env.RATE_LIMIT_PER_IP, DEFAULT_RATE_LIMITS.perIp, 0),
    perSender: count(env.RATE_LIMIT_PER_SENDER, DEFAULT_RATE_LIMITS.perSender, 0),
  };
}

/** One request's place in the limits: its counter keys and the current window. */
export interface RateGate {
  ipKey: string;
  senderKey: string;
  /** First second of the current window (epoch seconds). */
  windowStart: number;
  /** Seconds until the window ends: the Retry-After of a 429. */
  retryAfter: number;
  limits: RateLimitConfig;
}

export function rateGate(limits: RateLimitConfig, clientIp: string, senderUserId: string, nowMs: number): RateGate {
  const nowSeconds = Math.floor(nowMs / 1000);
  const windowStart = nowSeconds - (nowSeconds % limits.windowSeconds);
  return {
    ipKey: `ip:${clientIp}`,
    senderKey: `sender:${senderUserId}`,
    windowStart,
    retryAfter: Math.max(1, windowStart + limits.windowSeconds - nowSeconds),
    limits,
  };
}

const BUMP = `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
  ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count`;

/** The three statements that go first in the batch: forget old windows, count this request twice. */
export function counterStatements(db: InboxDb, gate: RateGate): [InboxStatement, InboxStatement, InboxStatement] {
  return [
    db.prepare("DELETE FROM rate_limits WHERE window_start < ?1").bind(gate.windowStart),
    db.prepare(BUMP).bind(gate.ipKey, gate.windowStart),
    db.prepare(BUMP).bind(gate.senderKey, gate.windowStart),
  ];
}

/**
 * SQL condition "both counters are within their limits", using binds ?first .. ?first+4;
 * append gateBinds(gate) to the statement's binds in that position.
 */
export function gateCondition(first: number): string {
  const ip = `?${first}`;
  const sender = `?${first + 1}`;
  const window = `?${first + 2}`;
  const ipLimit = `?${first + 3}`;
  const senderLimit = `?${first + 4}`;
  const counter = (key: string) => `COALESCE((SELECT count FROM rate_limits WHERE key = ${key} AND window_start = ${window}), 0)`;
  return `(${ipLimit} = 0 OR ${counter(ip)} <= ${ipLimit}) AND (${senderLimit} = 0 OR ${counter(sender)} <= ${senderLimit})`;
}

export function gateBinds(gate: RateGate): [string, string, number, number, number] {
  return [gate.ipKey, gate.senderKey, gate.windowStart, gate.limits.perIp, gate.limits.perSender];
}

/** After the batch: was this request over a limit (given the counts the two bumps returned)? */
export function overLimit(gate: RateGate, ipCount: number, senderCount: number): boolean {
  const { perIp, perSender } = gate.limits;
  return (perIp > 0 && ipCount > perIp) || (perSender > 0 && senderCount > perSender);
}
