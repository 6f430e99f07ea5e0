/**
 * Rate limits of the inbox's two POST endpoints, per client network and per sender, counted by the
 * Workers Rate Limiting binding ([[ratelimits]] in wrangler.toml).
 *
 * Why the binding and not D1: counting in D1 wrote 2-4 rows for every request, refused ones too, so
 * one client sending about 25,000 requests spent the free plan's 100,000 rows written a day and the
 * inbox failed for everyone until midnight UTC. The binding keeps its counters outside D1: a refused
 * request writes nothing. Its counts are per Cloudflare location and approximate (Cloudflare's docs),
 * which is what a flood guard needs; exactness is D1's idempotency's job.
 *
 * Keys: an IPv4 client counts alone; an IPv6 client counts by its /64, since one subscriber usually
 * holds a whole /64 and could otherwise rotate through 2^64 addresses. The per-sender limit keys on
 * the claimed user_id (the spec has no sender authentication), so one identity cannot flood from
 * many addresses.
 *
 * Failed owner authentications (the owner API's bearer token, the owner pages' sign-in form) are
 * counted per client network too, with a binding of their own, and ONLY when they fail
 * (countAuthFailure): a request with the right token never asks the limiter, so no one sharing the
 * owner's network can lock the owner out.
 */
import { parseIpv6 } from "../shared/address-guard.ts";

/** The binding's API (a structural type: lib/ is also type-checked without the Workers types). */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** "2001:db8:1:2:3:4:5:6" -> "2001:db8:1:2::/64"; IPv4 (and anything unreadable) as it is. */
export function clientNetworkKey(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (!address.includes(":")) return `ip:${address}`;
  const groups = parseIpv6(address.replace(/^\[|\]$/g, "").replace(/%.*$/, ""));
  if (!groups) return `ip:${address}`;
  // An IPv4-mapped address is one IPv4 client.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `ip:${groups[6]! >>> 8}.${groups[6]! & 0xff}.${groups[7]! >>> 8}.${groups[7]! & 0xff}`;
  }
  return `ip:${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

export function senderKey(userId: string): string {
  return `sender:${userId}`;
}

/** The window the binding counts in (wrangler.toml `simple.period`), for Retry-After. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

/** True when the request may go on. No binding configured (e.g. a unit test's app) = no limit. */
export async function withinLimit(limiter: RateLimiter | undefined, key: string): Promise<boolean> {
  if (!limiter) return true;
  const { success } = await limiter.limit({ key });
  return success;
}

/**
 * Counts one failed owner authentication (a wrong or missing token) for the client's network; false
 * once that network has failed more often than the binding allows in its window. Call it on failure
 * paths only: the right token must never be refused for what others on the same network did.
 */
export async function countAuthFailure(limiter: RateLimiter | undefined, connectingIp: string | undefined): Promise<boolean> {
  return withinLimit(limiter, `auth-failure:${clientNetworkKey(connectingIp ?? "unknown")}`);
}
