/**
 * Walking a chain of feed pages (spec "Feed Paging": each page's next_node links the next older page,
 * "like a singly-linked-list"), for the validator and the importer alike: page after page until one
 * has no next link, with every way a stranger's chain can go wrong ending the walk with a reason --
 * a link back to a page already read (a loop, also through redirects), a page that cannot be loaded,
 * a link that is no URL, a file: link from a page that came from the web, more pages than allowed.
 */
import type { Result } from "../shared/result.ts";
import type { LoadedPage, LoadFailure, PageLoader } from "./page-loader.ts";
import type { Position } from "./xml-tree.ts";

export interface ChainStep<T> {
  page: LoadedPage;
  /** What `read` made of the page. */
  value: T;
}

/** What `read` made of a page: what it holds and where it links next (as written). */
export interface PageReading<T> {
  value: T;
  next?: string;
  nextAt?: Position;
}

/** Why the walk stopped. `from` is the page whose link led there, with where the link is. */
export type ChainEnd =
  | { kind: "end" }
  | { kind: "loop"; url: string; backTo: number; from: string; at?: Position }
  | { kind: "load-failed"; url: string; failure: LoadFailure; from?: string; at?: Position }
  | { kind: "unreadable"; url: string; label: string; detail: string }
  | { kind: "bad-link"; link: string; from: string; at?: Position; detail: string }
  | { kind: "too-many-pages"; max: number; from: string };

export interface WalkOptions<T> {
  loader: PageLoader;
  /** Most pages read in this chain. */
  maxPages: number;
  /** The page's reading, or why the walk cannot go on from it. */
  read(page: LoadedPage, index: number): Result<PageReading<T>, string>;
  /** Called after each page is read (progress). */
  onPage?(step: ChainStep<T>, index: number): void;
  /** Steps keep each page without its text (`text: ""`), so a long chain of big pages is not held in memory. */
  dropText?: boolean;
}

/** A URL without its fragment: what identifies a page for loop detection. */
function pageKey(url: string): string {
  return url.replace(/#.*$/, "");
}

export async function walkChain<T>(start: string, options: WalkOptions<T>): Promise<{ steps: ChainStep<T>[]; end: ChainEnd }> {
  const steps: ChainStep<T>[] = [];
  const seen = new Map<string, number>();
  let url = start;
  let from: { label: string; at?: Position; fromWeb: boolean } | undefined;
  for (;;) {
    if (steps.length >= options.maxPages) return { steps, end: { kind: "too-many-pages", max: options.maxPages, from: from!.label } };
    const earlier = seen.get(pageKey(url));
    if (earlier !== undefined && from) return { steps, end: withAt({ kind: "loop", url, backTo: earlier, from: from.label }, from.at) };
    const loaded = await options.loader.load(url);
    if (!loaded.ok) {
      const end: ChainEnd = { kind: "load-failed", url, failure: loaded.error };
      if (from) {
        end.from = from.label;
        if (from.at) end.at = from.at;
      }
      return { steps, end };
    }
    const page = loaded.value;
    // A redirect to a page already read closes a loop too.
    const landed = seen.get(pageKey(page.url));
    if (landed !== undefined && from) return { steps, end: withAt({ kind: "loop", url: page.url, backTo: landed, from: from.label }, from.at) };
    seen.set(pageKey(url), steps.length);
    seen.set(pageKey(page.url), steps.length);
    const read = options.read(page, steps.length);
    if (!read.ok) return { steps, end: { kind: "unreadable", url: page.url, label: page.label, detail: read.error } };
    const reading = read.value;
    const step = { page: options.dropText ? { ...page, text: "" } : page, value: reading.value };
    steps.push(step);
    options.onPage?.(step, steps.length - 1);
    if (reading.next === undefined) return { steps, end: { kind: "end" } };
    let next: URL;
    try {
      next = new URL(reading.next, page.url);
    } catch {
      return { steps, end: withAt({ kind: "bad-link", link: reading.next, from: page.label, detail: "is not a URL" }, reading.nextAt) };
    }
    const fromWeb = !page.url.startsWith("file:") && !options.loader.localFileOf(page.url);
    if (next.protocol === "file:" && fromWeb) {
      return {
        steps,
        end: withAt(
          { kind: "bad-link", link: reading.next, from: page.label, detail: "is a local file, linked from a page on the web (refused)" },
          reading.nextAt,
        ),
      };
    }
    if (next.protocol !== "file:" && next.protocol !== "http:" && next.protocol !== "https:") {
      return { steps, end: withAt({ kind: "bad-link", link: reading.next, from: page.label, detail: "is not an http(s) URL" }, reading.nextAt) };
    }
    from = { label: page.label, fromWeb };
    if (reading.nextAt) from.at = reading.nextAt;
    url = next.href;
  }
}

function withAt(end: ChainEnd & { at?: Position }, at: Position | undefined): ChainEnd {
  if (at) end.at = at;
  return end;
}
