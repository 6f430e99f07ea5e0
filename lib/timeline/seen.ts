/**
 * Where the poller stopped reading a feed last time: the newest items it stored. Spec "Required Item
 * Elements": a guid is "a unique, incrementing integer starting from 0", so for Open Microblog feeds
 * the highest integer guid stored is enough -- every item at or below it has been seen, even if the
 * author deleted the newest ones. Other feeds use other guids (URLs, UUIDs), so the newest few guids
 * are kept as well and an item whose guid is one of them counts as seen too.
 *
 * Items are compared by guid only; an item without a guid is known by its link (lenient reader).
 */

import { parseInteger } from "../shared/integers.ts";
import type { FeedItem } from "../shared/remote-feed-reader.ts";

export interface SeenMarker {
  /** Highest canonical-integer guid stored, or null when the feed's guids are not integers. */
  max: number | null;
  /** The newest guids stored (at most KEPT_GUIDS), newest first. */
  guids: string[];
}

export const KEPT_GUIDS = 5;
/** Guids longer than this are not kept as markers (they still identify items, truncated, in D1). */
export const MAX_GUID_LENGTH = 512;

/** The key an item is stored and compared under: its guid, else its link; undefined = unusable item. */
export function itemKey(item: FeedItem): string | undefined {
  const key = item.guid ?? item.link;
  return key === undefined ? undefined : key.slice(0, MAX_GUID_LENGTH);
}

export function integerGuid(key: string): number | undefined {
  return parseInteger(key);
}

export function isSeen(key: string, marker: SeenMarker | null): boolean {
  if (!marker) return false;
  if (marker.guids.includes(key)) return true;
  const n = integerGuid(key);
  return n !== undefined && marker.max !== null && n <= marker.max;
}

/** The marker after storing `newestFirstKeys` (the keys read, newest first) on top of `previous`. */
export function advanceMarker(previous: SeenMarker | null, newestFirstKeys: readonly string[]): SeenMarker {
  let max = previous?.max ?? null;
  for (const key of newestFirstKeys) {
    const n = integerGuid(key);
    if (n !== undefined && (max === null || n > max)) max = n;
  }
  const guids: string[] = [];
  for (const key of [...newestFirstKeys, ...(previous?.guids ?? [])]) {
    if (guids.length >= KEPT_GUIDS) break;
    if (!guids.includes(key)) guids.push(key);
  }
  return { max, guids };
}

export function parseMarker(text: string | null): SeenMarker | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<SeenMarker>;
    const max = typeof value.max === "number" && Number.isSafeInteger(value.max) ? value.max : null;
    const guids = Array.isArray(value.guids) ? value.guids.filter((g): g is string => typeof g === "string").slice(0, KEPT_GUIDS) : [];
    return { max, guids };
  } catch {
    return null;
  }
}

export function markerText(marker: SeenMarker | null): string | null {
  return marker ? JSON.stringify(marker) : null;
}
