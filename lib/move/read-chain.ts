/**
 * Reading the old feed's chain for `npm run import`, bounded: page after page (lib/validate/walk.ts)
 * until the chain ends, a page cannot be read, or one of IMPORT_LIMITS would be passed -- plain counts
 * and byte caps, so an endless chain of big pages stops with one line instead of at the heap's end
 * (each page's text is dropped once its items are read). What was read is imported; what was not is
 * said exactly (missingPart), with the page a later run continues from.
 */
import { feedLinksOf, looksLikeHtml } from "../shared/feed-links.ts";
import { err, ok } from "../shared/result.ts";
import type { PageLoader } from "../validate/page-loader.ts";
import { mapLocalSite } from "../validate/validate-feed.ts";
import { type ChainEnd, type ChainStep, walkChain } from "../validate/walk.ts";
import type { SourceList } from "./import-plan.ts";
import { readListPage, readSourcePage, type SourceItem, type SourcePage } from "./source-page.ts";

/** What one run reads at most. */
export const IMPORT_LIMITS = {
  maxPageBytes: 8 * 1024 * 1024,
  timeoutMs: 30_000,
  maxRedirects: 5,
  maxPages: 20_000,
  /** Items (posts) read in one run, all pages together. */
  maxItems: 50_000,
  /** UTF-8 bytes of the items' HTML and titles kept in memory in one run. */
  maxItemBytes: 128 * 1024 * 1024,
  /** Bytes fetched for the feed's chain in one run (its lists may fetch as much again). */
  maxBytesRead: 1024 * 1024 * 1024,
} as const;

const count = (n: number, word: string, plural = `${word}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? word : plural}`;

/** A chain that did not end well, as one line. */
export function chainFailure(end: Exclude<ChainEnd, { kind: "end" }>, what: string, pages: number): string {
  switch (end.kind) {
    case "load-failed":
      return end.from ? `page ${pages + 1} of ${what} (${end.url}, linked from ${end.from}) cannot be read: ${end.failure.detail}` : `${end.failure.detail}`;
    case "unreadable":
      return pages > 0 ? `page ${pages + 1} of ${what} (${end.url}) is left out: ${end.detail}` : end.detail;
    case "loop":
      return `${what} has a loop: ${end.from} links back to ${end.url} (page ${end.backTo + 1}), so it never ends`;
    case "bad-link":
      return `${end.from} links to the next page with "${end.link}", which ${end.detail}`;
    case "too-many-pages":
      return `${what} has more than ${count(end.max, "page")} (--max-pages ${end.max})`;
  }
}

/** What was not read of a chain whose head was: the one line saying so, and the page to continue from. */
export function missingPart(
  walked: { steps: readonly { page: { url: string }; value: { next?: string } }[]; end: Exclude<ChainEnd, { kind: "end" }> },
  what: string,
): { reason: string; resumeAt?: string } {
  const reason = chainFailure(walked.end, what, walked.steps.length);
  const end = walked.end;
  if (end.kind === "load-failed" || end.kind === "unreadable") return { reason, resumeAt: end.url };
  const last = walked.steps.at(-1);
  if (end.kind === "too-many-pages" && last?.value.next) return { reason, resumeAt: new URL(last.value.next, last.page.url).href };
  return { reason };
}

/** The bytes an item keeps in memory until the posts are written (its HTML and title, as UTF-8). */
const itemBytes = (item: SourceItem) => Buffer.byteLength(item.html ?? "") + Buffer.byteLength(item.title ?? "");

export interface ChainOptions {
  loader: PageLoader;
  maxPages: number;
  /** At most IMPORT_LIMITS.maxItems. */
  maxItems: number;
  progress?: (line: string) => void;
}

/**
 * The feed's chain from `start`, page by page within the caps; a profile page instead of a feed (as
 * `npm run follow` takes) is followed to the feed it links to.
 */
export async function readFeedChain(start: string, options: ChainOptions): Promise<{ steps: ChainStep<SourcePage>[]; end: ChainEnd }> {
  const { loader, progress } = options;
  const taken = { items: 0, kept: 0, fetched: 0 };
  let linkedFeed: string | undefined;
  const walkFrom = (url: string) =>
    walkChain<SourcePage>(url, {
      loader,
      maxPages: options.maxPages,
      dropText: true,
      read: (page, index) => {
        if (index === 0 && looksLikeHtml(page.text)) linkedFeed = feedLinksOf(page.text, page.url)[0];
        const read = readSourcePage(page);
        if (!read.ok) return read;
        const over = overCap(taken, page, read.value.items, options.maxItems);
        if (over) return err(over);
        if (index === 0)
          mapLocalSite(loader, page.url, { ...(read.value.profile.link ? { link: { value: read.value.profile.link, line: 0, column: 0 } } : {}) });
        // A copy: the strings read are slices of the page's text, and a slice keeps the whole text alive.
        const { nextAt, ...rest } = read.value;
        const value: SourcePage = structuredClone(rest);
        return ok({ value, ...(value.next ? { next: value.next } : {}), ...(nextAt ? { nextAt: { line: nextAt.line, column: nextAt.column } } : {}) });
      },
      onPage: (step, index) =>
        progress?.(`page ${index + 1}: ${step.page.label} (${count(step.value.items.length, "item")}, ${taken.items.toLocaleString("en-US")} so far)`),
    });
  const walked = await walkFrom(start);
  if (walked.steps.length > 0 || walked.end.kind !== "unreadable" || linkedFeed === undefined) return walked;
  progress?.(`${start} is a web page; reading the feed it links to, ${linkedFeed}`);
  return walkFrom(linkedFeed);
}

/** Why a page is left out (one of the caps would be passed), or undefined once it is counted in. */
function overCap(
  taken: { items: number; kept: number; fetched: number },
  page: { label: string; bytes: number },
  items: readonly SourceItem[],
  maxItems: number,
): string | undefined {
  const fetched = taken.fetched + page.bytes;
  if (fetched > IMPORT_LIMITS.maxBytesRead)
    return `one run fetches at most ${IMPORT_LIMITS.maxBytesRead / 1024 ** 3} GiB, and ${page.label} would make ${fetched.toLocaleString("en-US")} bytes`;
  if (taken.items + items.length > maxItems)
    return `one run reads at most ${count(maxItems, "item")}, and ${page.label} would make ${count(taken.items + items.length, "item")}`;
  const kept = taken.kept + items.reduce((sum, item) => sum + itemBytes(item), 0);
  if (kept > IMPORT_LIMITS.maxItemBytes)
    return `one run keeps at most ${IMPORT_LIMITS.maxItemBytes / 1024 ** 2} MiB of text, and ${page.label} would make ${kept.toLocaleString("en-US")} bytes`;
  Object.assign(taken, { items: taken.items + items.length, kept, fetched });
  return undefined;
}

/** A follows or blocks list, whole (its own chain), or why it could not be read. */
export async function readList(url: string, loader: PageLoader, maxPages: number, progress?: (line: string) => void): Promise<SourceList> {
  const walked = await walkChain(url, {
    loader,
    maxPages,
    dropText: true,
    read: (page) => {
      const list = readListPage(page);
      if (!list.ok) return list;
      return ok({
        value: list.value.entries,
        ...(list.value.next ? { next: list.value.next } : {}),
        ...(list.value.nextAt ? { nextAt: list.value.nextAt } : {}),
      });
    },
    onPage: (step, index) => progress?.(`list page ${index + 1}: ${step.page.label} (${count(step.value.length, "entry", "entries")})`),
  });
  if (walked.end.kind !== "end") return err(chainFailure(walked.end, `the list ${url}`, walked.steps.length));
  return ok(walked.steps.flatMap((step) => step.value));
}
