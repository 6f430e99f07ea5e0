/**
 * `npm run validate`: an Open Microblog 0.5 feed checked whole -- every page of its next_node chain
 * (lib/validate/page-rules.ts checks each), then what only the chain can show, then the follows and
 * blocks list feeds its head links to, each a chain of its own:
 *
 * - spec "Feed Paging": the chain ends, without a loop, and every next_node can be read;
 * - spec "Required Item Elements": guids are unique across the whole chain and incrementing (a post
 *   dated later has a larger guid);
 * - spec "Relocation": relocate only on the head (page rule), and a note saying where the account went;
 * - the channel <link> names the head on every page; RFC 5005 prev-archive agrees with next_node;
 * - the main feed's follows/blocks count attributes match the entries their lists hold.
 *
 * The start may also be a follows or blocks list feed itself (spec "Alternate Feed Layout"): its head
 * tells (layoutOf), and the whole chain is then checked with the list layout's rules.
 */
import { isListFeed } from "../shared/feed-kind.ts";
import { FeedReadError, readFeed } from "../shared/remote-feed-reader.ts";
import { err, ok } from "../shared/result.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import type { PageLoader } from "./page-loader.ts";
import { checkPage, type FeedKind, type PageFacts } from "./page-rules.ts";
import { countBySeverity, type Problem, SECTION, type Severity, sortProblems } from "./problems.ts";
import { type ChainEnd, type ChainStep, type PageReading, walkChain } from "./walk.ts";
import type { Position } from "./xml-tree.ts";

export interface ValidateOptions {
  loader: PageLoader;
  /** Most pages per chain (main feed, follows, blocks). */
  maxPages: number;
  /** One line per page read, for progress. */
  onProgress?: (line: string) => void;
}

export interface CheckedPage {
  url: string;
  label: string;
  kind: FeedKind;
  items: number;
  bytes: number;
}

export interface ValidationReport {
  start: string;
  /** The start's layout: a person's feed (main) or a follows / blocks list. */
  layout: FeedKind;
  /** True when no problem is an error. */
  valid: boolean;
  counts: Record<Severity, number>;
  pages: CheckedPage[];
  problems: Problem[];
}

/** At most this many guid-order problems are listed one by one per chain; the rest are counted. */
const GUID_ORDER_LISTED = 20;

interface ChainResult {
  steps: ChainStep<PageFacts>[];
  end: ChainEnd;
  kind: FeedKind;
}

/**
 * The layout a head page is written in, by the rule `npm run follow` and the poller use
 * (lib/shared/feed-kind.ts: items that name accounts and carry no post text, or an empty page without
 * the main layout's channel elements). What the lenient reader cannot read is checked as a main feed,
 * whose rules then say what is wrong.
 */
export function layoutOf(text: string): FeedKind {
  try {
    return isListFeed(readFeed(text), true) ? "list" : "main";
  } catch (error) {
    if (error instanceof FeedReadError) return "main";
    throw error;
  }
}

export async function validateFeed(start: string, options: ValidateOptions): Promise<ValidationReport> {
  const problems: Problem[] = [];
  const pages: CheckedPage[] = [];
  const add = (severity: Severity, page: string, section: string, message: string, at?: Position) => {
    const problem: Problem = { severity, page, section, message };
    if (at) {
      problem.line = at.line;
      problem.column = at.column;
    }
    problems.push(problem);
  };

  /** A chain of `kind`, or (undefined) of the layout its head is written in. */
  const walk = async (url: string, given: FeedKind | undefined, name: string): Promise<ChainResult> => {
    let kind: FeedKind = given ?? "main";
    const result = await walkChain<PageFacts>(url, {
      loader: options.loader,
      maxPages: options.maxPages,
      read: (page, index) => {
        if (index === 0 && given === undefined) kind = layoutOf(page.text);
        const checked = checkPage({ text: page.text, bytes: page.bytes, encoding: page.encoding, page: page.label, kind, head: index === 0 });
        problems.push(...checked.problems);
        if (!checked.facts) return err("not an RSS feed");
        if (index === 0 && given === undefined) mapLocalSite(options.loader, page.url, checked.facts);
        const reading: PageReading<PageFacts> = { value: checked.facts };
        if (checked.facts.nextNode) {
          reading.next = checked.facts.nextNode.value;
          reading.nextAt = checked.facts.nextNode;
        }
        return ok(reading);
      },
      onPage: (step, index) => {
        pages.push({ url: step.page.url, label: step.page.label, kind, items: step.value.items.length, bytes: step.page.bytes });
        options.onProgress?.(`${name} page ${index + 1}: ${step.page.label} (${step.value.items.length} item${step.value.items.length === 1 ? "" : "s"})`);
      },
    });
    reportEnd(result.end, name, add);
    return { ...result, kind };
  };

  const main = await walk(start, undefined, "feed");
  const head = main.steps[0];
  if (head) {
    checkChain(main.steps, main.kind, add);
    if (head.value.relocate) {
      add(
        "note",
        head.page.label,
        SECTION.relocation,
        `this account has moved to ${head.value.relocate.value}: clients should follow that feed from now on`,
        head.value.relocate,
      );
    }
    if (head.value.archive) {
      add(
        "warning",
        head.page.label,
        SECTION.feedHistory,
        "this page is marked as an archive (fh:archive): validate the feed from its head, the URL in <link>",
      );
    }
    for (const kind of ["follows", "blocks"] as const) {
      const link = head.value[kind];
      if (!link) continue;
      let url: string;
      try {
        url = new URL(link.value, head.page.url).href;
      } catch {
        continue; // reported by the page rules
      }
      const list = await walk(url, "list", kind);
      const listHead = list.steps[0];
      if (!listHead) continue;
      checkChain(list.steps, "list", add);
      const entries = list.steps.reduce((n, step) => n + step.value.items.length, 0);
      if (list.end.kind === "end" && link.count !== undefined && Number(link.count) !== entries) {
        add(
          "warning",
          head.page.label,
          SECTION.mainChannelOptional,
          `<microblog:${kind} count="${link.count}"> but the ${kind} list holds ${entries} entries`,
          link,
        );
      }
    }
  }
  const counts = countBySeverity(problems);
  return {
    start,
    layout: main.kind,
    valid: counts.error === 0,
    counts,
    pages,
    problems: sortProblems(
      problems,
      pages.map((p) => p.label),
    ),
  };
}

/**
 * A head read from a local file (a build in _site/) links its other pages by their public URLs. When
 * its own public URL (atom:link self, or <link>) ends with the file's name, the folder stands for that
 * URL's folder: https://you.example/feed/1.xml is then read from _site/feed/1.xml.
 */
export function mapLocalSite(loader: PageLoader, pageUrl: string, facts: Pick<PageFacts, "selfUrl" | "link">): void {
  if (!pageUrl.startsWith("file:")) return;
  const fileName = pageUrl.slice(pageUrl.lastIndexOf("/") + 1);
  for (const candidate of [facts.selfUrl, facts.link?.value]) {
    if (!candidate) continue;
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      continue;
    }
    if ((url.protocol === "http:" || url.protocol === "https:") && url.pathname.endsWith(`/${fileName}`)) {
      const publicPrefix = `${url.origin}${url.pathname.slice(0, url.pathname.length - fileName.length)}`;
      loader.mapSite(publicPrefix, pageUrl.slice(0, pageUrl.length - fileName.length));
      return;
    }
  }
}

type Add = (severity: Severity, page: string, section: string, message: string, at?: Position) => void;

function reportEnd(end: ChainEnd, name: string, add: Add): void {
  switch (end.kind) {
    case "end":
      return;
    case "loop":
      add(
        "error",
        end.from,
        SECTION.paging,
        `next_node points back to ${end.url}, page ${end.backTo + 1} of the ${name} chain: the chain has a loop and never ends`,
        end.at,
      );
      return;
    case "load-failed": {
      const where = end.from ?? end.url;
      const what = end.from ? `next_node ${end.url} cannot be read` : `the ${name === "feed" ? "" : `${name} `}feed cannot be read`;
      add("error", where, end.from ? SECTION.paging : SECTION.rss, `${what}: ${end.failure.detail}`, end.at);
      return;
    }
    case "unreadable":
      return; // the page rules said why
    case "bad-link":
      add("error", end.from, SECTION.paging, `next_node "${end.link}" ${end.detail}`, end.at);
      return;
    case "too-many-pages":
      add("warning", end.from, SECTION.paging, `stopped after ${end.max} ${name} pages; the rest of the chain was not checked`);
      return;
  }
}

function checkChain(steps: readonly ChainStep<PageFacts>[], kind: FeedKind, add: Add): void {
  const head = steps[0]!;
  const headLink = head.value.link?.value;
  // <link>: the head's URL on every page (spec: "if the feed is paginated, then the link to the most recent page").
  if (headLink && /^https?:/.test(head.page.url) && normalizeUserLink(headLink) !== normalizeUserLink(head.page.url)) {
    add(
      "warning",
      head.page.label,
      kind === "main" ? SECTION.mainChannel : SECTION.listChannel,
      `<link> is ${headLink}, but this page was read from ${head.page.url}: <link> should be the feed's own URL`,
      head.value.link,
    );
  }
  for (const step of steps.slice(1)) {
    const link = step.value.link?.value;
    if (headLink && link && normalizeUserLink(link) !== normalizeUserLink(headLink)) {
      add(
        "warning",
        step.page.label,
        kind === "main" ? SECTION.mainChannel : SECTION.listChannel,
        `<link> is ${link}; on every page it should be the head's, ${headLink}`,
        step.value.link,
      );
    }
  }
  for (const step of steps) {
    const { prevArchive, nextNode } = step.value;
    if (prevArchive && nextNode) {
      let same = false;
      try {
        same = new URL(prevArchive, step.page.url).href === new URL(nextNode.value, step.page.url).href;
      } catch {}
      if (!same)
        add(
          "warning",
          step.page.label,
          SECTION.feedHistory,
          `atom:link rel="prev-archive" (${prevArchive}) and next_node (${nextNode.value}) point at different pages`,
          nextNode,
        );
    }
  }
  if (kind === "main") checkGuids(steps, add);
  else checkListEntries(steps, add);
}

/** Spec "Required Item Elements": "A unique, incrementing integer starting from 0", across the whole chain. */
function checkGuids(steps: readonly ChainStep<PageFacts>[], add: Add): void {
  const items = steps.flatMap((step) => step.value.items.map((item) => ({ ...item, page: step.page.label })));
  const first = new Map<bigint, (typeof items)[number]>();
  for (const item of items) {
    if (item.guidNumber === undefined) continue;
    const earlier = first.get(item.guidNumber);
    if (earlier) {
      add("error", item.page, SECTION.mainItem, `guid ${item.guid} is used twice: also at ${earlier.page}, line ${earlier.line} (a guid is unique)`, item);
    } else first.set(item.guidNumber, item);
  }
  // Incrementing: in date order, every guid is larger than those of all strictly older items.
  const dated = items.filter((item) => item.guidNumber !== undefined && item.date !== undefined).sort((a, b) => a.date! - b.date!);
  let listed = 0;
  let unlisted = 0;
  let olderMax: (typeof items)[number] | undefined;
  let sameDate: (typeof items)[number][] = [];
  for (const item of dated) {
    if (sameDate.length && sameDate[0]!.date !== item.date) {
      for (const done of sameDate) if (!olderMax || done.guidNumber! > olderMax.guidNumber!) olderMax = done;
      sameDate = [];
    }
    if (olderMax && item.guidNumber! < olderMax.guidNumber!) {
      if (listed < GUID_ORDER_LISTED) {
        listed++;
        add(
          "error",
          item.page,
          SECTION.mainItem,
          `guid ${item.guid} is smaller than guid ${olderMax.guid} of an older item (${olderMax.page}, line ${olderMax.line}): guids increment with time`,
          item,
        );
      } else unlisted++;
    }
    sameDate.push(item);
  }
  if (unlisted) add("error", steps[0]!.page.label, SECTION.mainItem, `${unlisted} more items have a guid smaller than an older item's`);
}

function checkListEntries(steps: readonly ChainStep<PageFacts>[], add: Add): void {
  const guids = new Map<string, string>();
  for (const step of steps) {
    for (const item of step.value.items) {
      if (item.guid === undefined) continue;
      const earlier = guids.get(item.guid);
      if (earlier) add("warning", step.page.label, SECTION.listSample, `guid ${item.guid} is used twice in this list (also on ${earlier})`, item);
      else guids.set(item.guid, step.page.label);
    }
  }
}
