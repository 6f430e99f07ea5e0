/**
 * Other sites' signing keys as last read from their head feed (migrations/0011_signatures.sql): one
 * row per feed, kept KEY_CACHE_HOURS. Read on every signed request; written only on the path of an
 * accepted one (a refusal writes nothing), so a sender's keys cost one fetch and one row per lifetime.
 */
import type { Db } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";
import type { PublishedKey } from "../shared/signing-keys.ts";

/** Keys are trusted this long before the feed is read again (rotation keeps old keys 7 days: docs/signing.md). */
export const KEY_CACHE_HOURS = 24;

export interface CachedKeys {
  keys: PublishedKey[];
  expiresAtMs: number;
}

function parseKeys(text: string): PublishedKey[] {
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value)) return [];
    return value.filter((entry): entry is PublishedKey => typeof entry?.key === "string" && (entry.until === undefined || typeof entry.until === "string"));
  } catch {
    return [];
  }
}

export async function cachedKeys(db: Db, feed: string): Promise<CachedKeys | undefined> {
  const row = await db.prepare("SELECT keys, expires_at FROM signing_keys WHERE feed = ?1").bind(feed).first<{ keys: string; expires_at: string }>();
  if (!row) return undefined;
  return { keys: parseKeys(row.keys), expiresAtMs: Date.parse(row.expires_at) };
}

export async function storeKeys(db: Db, feed: string, keys: readonly PublishedKey[], nowMs: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO signing_keys (feed, keys, fetched_at, expires_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (feed) DO UPDATE SET keys = excluded.keys, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
    )
    .bind(feed, JSON.stringify(keys), formatIsoUtc(nowMs), formatIsoUtc(nowMs + KEY_CACHE_HOURS * 3_600_000))
    .run();
}

/** Housekeeping: rows past their lifetime by a day are no longer worth keeping. */
export async function deleteExpiredKeys(db: Db, nowMs: number): Promise<number> {
  const { meta } = await db
    .prepare("DELETE FROM signing_keys WHERE expires_at < ?1")
    .bind(formatIsoUtc(nowMs - 86_400_000))
    .run();
  return meta.changes;
}
