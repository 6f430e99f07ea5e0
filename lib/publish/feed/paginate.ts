/**
 * Spec "Feed Paging": a feed file holds at most 500 items or 500 KB, "whichever comes first"; a full
 * file is moved as is to a new location and the head links to it with next_node.
 *
 * Pages are cut greedily from the OLDEST item forward. A page closes only when the next item would
 * not fit, so every closed page (an archive) is fixed by the items before it: adding newer items
 * can only add pages, never change an existing one. The last, still-open page is the head.
 *
 * Byte sizes are exact for items (each item's serialized UTF-8 length); the channel header and the
 * closing tags get a fixed reserve, checked when a page is rendered. A fixed reserve (rather than
 * the current header's size) means editing a bio or adding `relocate` never moves the cut points.
 */
export interface PageLimits {
  /** Most items on one page (spec: 500). */
  maxItems: number;
  /** Most bytes in one page file (spec: 500 KB; we use 500,000 so both readings of "KB" hold). */
  maxBytes: number;
  /** Bytes set aside on every page for everything but the items: XML declaration, channel header, closing tags. */
  headerReserveBytes: number;
}

export const DEFAULT_FEED_LIMITS: PageLimits = { maxItems: 500, maxBytes: 500_000, headerReserveBytes: 16_384 };

export class ItemTooLargeError extends Error {
  constructor(
    readonly index: number,
    readonly bytes: number,
    readonly budget: number,
  ) {
    super(`item ${index} is ${bytes} bytes, more than the ${budget} bytes a page has for items`);
  }
}

/**
 * Split items (oldest first) into pages (oldest first; the last one is the head, possibly empty).
 * `sizes[i]` is the byte size of item i as it will appear in the page.
 */
export function paginate<T>(items: readonly T[], sizes: readonly number[], limits: PageLimits): T[][] {
  if (sizes.length !== items.length) throw new Error("paginate: one size per item");
  if (limits.maxItems < 1) throw new Error("paginate: maxItems must be at least 1");
  const budget = limits.maxBytes - limits.headerReserveBytes;
  const pages: T[][] = [];
  let current: T[] = [];
  let used = 0;
  items.forEach((item, index) => {
    const size = sizes[index] as number;
    if (size > budget) throw new ItemTooLargeError(index, size, budget);
    if (current.length === limits.maxItems || used + size > budget) {
      pages.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  });
  pages.push(current);
  return pages;
}

/** UTF-8 length of a string without allocating a buffer. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
