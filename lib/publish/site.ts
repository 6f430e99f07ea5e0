/**
 * posts + profile + lists  ->  a validated, paginated model of the whole site.
 *
 * This is the build's single entry into lib/: it reads nothing itself (the caller passes file
 * bytes and options), collects every problem in every file before giving up, and returns plain
 * data the Eleventy templates turn into files with the render functions.
 */

import { describeIssues } from "../shared/schemas.ts";
import { normalizeUserLink, paths, type SiteUrls, siteUrls } from "../shared/urls.ts";
import { atomChain, declaredHubs } from "./feed/atom-feed.ts";
import {
  type IndexedEntry,
  type ListFeedContext,
  type ListFeedPage,
  type ListKind,
  renderListItem,
  renderListPage,
  UNKNOWN_LIST_DATE,
} from "./feed/list-feed.ts";
import { type FeedContext, type FeedPage, renderFeedPage, renderPostItem } from "./feed/main-feed.ts";
import { DEFAULT_FEED_LIMITS, ItemTooLargeError, type PageLimits, paginate } from "./feed/paginate.ts";
import { chainLinks, HeaderTooLargeError, itemBytes } from "./feed/xml-writer.ts";
import { assignGuids } from "./guids.ts";
import { checkXmlCharacters, decodeUtf8, type FileError, type ParsedPost, type Post, type PostSource, parsePost, parseYamlText } from "./posts.ts";
import { loadApprovedReplies, type ReplyThread } from "./replies.ts";
import { listEntry, type Profile, profile as profileSchema } from "./site-schemas.ts";

export interface FileSource {
  /** Path shown in error messages, e.g. "site/_data/profile.yaml". */
  file: string;
  bytes: Uint8Array;
}

export interface SiteSources {
  profile: FileSource;
  follows?: FileSource;
  blocks?: FileSource;
  posts: readonly PostSource[];
  /** posts/replies/<guid>.yaml: the replies the owner approved (lib/publish/replies.ts). */
  replies?: readonly FileSource[];
}

export interface BuildOptions {
  /** Replaces the profile's url (SKEIN_URL), e.g. for a preview or a local server. */
  urlOverride?: string;
  /** Replaces the profile's functions_url (SKEIN_FUNCTIONS_URL). */
  functionsUrlOverride?: string;
  feedLimits?: PageLimits;
  listLimits?: PageLimits;
  /** Posts per HTML page (default 20). */
  htmlPageSize?: number;
  /** How a post file is read (default parsePost); the incremental build passes one that remembers. */
  parsePost?: (source: PostSource) => ReturnType<typeof parsePost>;
  /**
   * A post's RSS item size in bytes (default: render it and count); the incremental build passes one
   * that remembers it, so paging 10,000 posts renders only the items of the pages it writes.
   */
  itemBytes?: (post: Post, context: FeedContext, render: () => string) => number;
}

export interface XmlFile {
  /** Site-root-relative path, e.g. "/feed/3.xml". */
  permalink: string;
  render(): string;
  /**
   * Everything render() reads besides the build's code, as JSON-able values: the incremental build
   * (lib/site-build/build-cache.ts) reuses the previous build's bytes when these are the same.
   */
  inputs?(): unknown;
}

export interface HtmlArchivePage {
  /** 1 = the oldest posts. */
  number: number;
  permalink: string;
  /** Newest first. */
  posts: Post[];
  olderPermalink?: string;
}

export interface SiteModel {
  profile: Profile;
  urls: SiteUrls;
  /** Oldest first. */
  posts: Post[];
  follows: IndexedEntry[];
  blocks: IndexedEntry[];
  feedFiles: XmlFile[];
  /** The Atom alternate feed (lib/publish/feed/atom-feed.ts): page k holds the posts of RSS page k. */
  atomFiles: XmlFile[];
  listFiles: XmlFile[];
  /** Counts for the build summary. */
  feedPageCount: number;
  home: { posts: Post[]; olderPermalink?: string };
  htmlPages: HtmlArchivePage[];
  /** Approved replies by our post's guid, arranged for its page (lib/publish/replies.ts). */
  replies: Map<number, ReplyThread[]>;
  warnings: string[];
}

export class SiteBuildError extends Error {
  constructor(readonly errors: readonly FileError[]) {
    super(`${errors.length} problem${errors.length === 1 ? "" : "s"} in the site's files:\n${errors.map((e) => `  ${e.file}: ${e.message}`).join("\n")}`);
    this.name = "SiteBuildError";
  }
}

export const DEFAULT_HTML_PAGE_SIZE = 20;

function parseYamlFile(source: FileSource, errors: FileError[]): unknown {
  const decoded = decodeUtf8(source.file, source.bytes);
  if (!decoded.ok) {
    errors.push(...decoded.error);
    return undefined;
  }
  const badChar = checkXmlCharacters(source.file, decoded.value);
  if (badChar) {
    errors.push(badChar);
    return undefined;
  }
  try {
    return parseYamlText(decoded.value);
  } catch (error) {
    errors.push({ file: source.file, message: `is not valid YAML: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` });
    return undefined;
  }
}

function loadProfile(sources: SiteSources, options: BuildOptions, errors: FileError[]): Profile | undefined {
  const data = parseYamlFile(sources.profile, errors);
  if (data === undefined && errors.length) return undefined;
  const overridden = { ...(data as Record<string, unknown>) };
  if (options.urlOverride) overridden.url = options.urlOverride;
  if (options.functionsUrlOverride) overridden.functions_url = options.functionsUrlOverride;
  const checked = profileSchema.safeParse(overridden);
  if (!checked.success) {
    for (const message of describeIssues(checked.error.issues)) errors.push({ file: sources.profile.file, message });
    return undefined;
  }
  return checked.data;
}

function loadList(source: FileSource | undefined, errors: FileError[]): IndexedEntry[] {
  if (!source) return [];
  const data = parseYamlFile(source, errors);
  if (data === undefined || data === null) return [];
  if (!Array.isArray(data)) {
    errors.push({ file: source.file, message: "must be a YAML list of entries (each line starting with `- user_id: ...`)" });
    return [];
  }
  const entries: IndexedEntry[] = [];
  const seen = new Map<string, number>();
  data.forEach((raw, index) => {
    const checked = listEntry.safeParse(raw);
    const label = `entry ${index + 1}${raw && typeof raw === "object" && "username" in raw ? ` (${String((raw as { username: unknown }).username)})` : ""}`;
    if (!checked.success) {
      for (const message of describeIssues(checked.error.issues)) errors.push({ file: source.file, message: `${label}: ${message}` });
      return;
    }
    for (const key of [`id:${checked.data.user_id}`, `link:${normalizeUserLink(checked.data.user_link)}`]) {
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        errors.push({
          file: source.file,
          message: `${label}: the same account as entry ${earlier + 1} (same ${key.startsWith("id:") ? "user_id" : "user_link"})`,
        });
        return;
      }
    }
    seen.set(`id:${checked.data.user_id}`, index);
    seen.set(`link:${normalizeUserLink(checked.data.user_link)}`, index);
    entries.push({ ...checked.data, index });
  });
  return entries;
}

/**
 * Pages of a chain as (permalink, links, items), each item serialized at most once, when its size is
 * needed (unless `sizeOf` knows it) or its page is rendered.
 */
function paginateChain<T>(
  items: readonly T[],
  serialize: (item: T) => string,
  limits: PageLimits,
  headPath: string,
  archivePath: (k: number) => string,
  base: string,
  sizeOf: (item: T, serialized: () => string) => number = (_item, serialized) => itemBytes(serialized()),
): { pages: T[][]; xml: (item: T) => string; links: ReturnType<typeof chainLinks>; permalinks: string[] } {
  const texts = new Map<T, string>();
  const xml = (item: T) => {
    let text = texts.get(item);
    if (text === undefined) texts.set(item, (text = serialize(item)));
    return text;
  };
  const sizes = items.map((item) => sizeOf(item, () => xml(item)));
  const pages = paginate(items, sizes, limits);
  const links = chainLinks(pages.length, `${base}${headPath}`, (k) => `${base}${archivePath(k)}`);
  const permalinks = pages.map((_, i) => (i === pages.length - 1 ? headPath : archivePath(i + 1)));
  return { pages, xml, links, permalinks };
}

function newest<T>(values: readonly T[], date: (value: T) => number | undefined): number | undefined {
  let best: number | undefined;
  for (const value of values) {
    const d = date(value);
    if (d !== undefined && (best === undefined || d > best)) best = d;
  }
  return best;
}

export function buildSite(sources: SiteSources, options: BuildOptions = {}): SiteModel {
  const errors: FileError[] = [];
  const warnings: string[] = [];
  const profile = loadProfile(sources, options, errors);
  const follows = loadList(sources.follows, errors);
  const blocks = loadList(sources.blocks, errors);
  checkFollowsNotBlocked(sources, follows, blocks, errors);
  const { posts, replies } = loadPosts(sources, options, errors);
  if (errors.length || !profile) throw new SiteBuildError(sortErrors(errors));

  const urls = siteUrls(profile.url, profile.functions_url);
  const feedLimits = options.feedLimits ?? DEFAULT_FEED_LIMITS;
  const hubs = declaredHubs(profile, urls);
  const feedContext: FeedContext = { profile, urls, followsCount: follows.length, headerReserveBytes: feedLimits.headerReserveBytes, hubs };
  if (profile.public_blocks) feedContext.blocksCount = blocks.length;
  const feeds = feedChains(posts, feedContext, feedLimits, hubs, options.itemBytes);
  if (posts.length === 0) warnings.push("there are no posts yet: the feed has no lastBuildDate until the first post");

  const lists: [ListKind, IndexedEntry[]][] = [["follows", follows]];
  if (profile.public_blocks) lists.push(["blocks", blocks]);
  const listFiles = lists.flatMap(([kind, entries]) => listChain(kind, entries, { sources, profile, urls, limits: options.listLimits ?? feedLimits }));
  const { htmlPages, home } = htmlPagesOf(posts, options.htmlPageSize ?? DEFAULT_HTML_PAGE_SIZE);

  const { feedFiles, atomFiles, feedPageCount } = feeds;
  const model: SiteModel = { profile, urls, posts, follows, blocks, feedFiles, atomFiles, listFiles, feedPageCount, home, htmlPages, replies, warnings };
  // Render the head and the newest archive now, so a header over its reserve fails here with the profile's name on it.
  try {
    for (const file of [...feedFiles.slice(-2), ...atomFiles.slice(-2), ...listFiles]) file.render();
  } catch (error) {
    if (error instanceof HeaderTooLargeError) throw new SiteBuildError([{ file: sources.profile.file, message: error.message }]);
    throw error;
  }
  return model;
}

/** Following and blocking the same account is a mistake the owner must settle. */
function checkFollowsNotBlocked(sources: SiteSources, follows: readonly IndexedEntry[], blocks: readonly IndexedEntry[], errors: FileError[]): void {
  const blockedKeys = new Map(
    blocks.flatMap(
      (b) =>
        [
          [`id:${b.user_id}`, b],
          [`link:${normalizeUserLink(b.user_link)}`, b],
        ] as const,
    ),
  );
  for (const entry of follows) {
    const clash = blockedKeys.get(`id:${entry.user_id}`) ?? blockedKeys.get(`link:${normalizeUserLink(entry.user_link)}`);
    if (clash && sources.follows) {
      errors.push({
        file: sources.follows.file,
        message: `entry ${entry.index + 1} (${entry.username}) is also in ${sources.blocks?.file ?? "the blocks list"}; follow or block, not both`,
      });
    }
  }
}

/** Every post file parsed, guids assigned, and the approved replies (only when the ids are sound). */
function loadPosts(sources: SiteSources, options: BuildOptions, errors: FileError[]): { posts: Post[]; replies: Map<number, ReplyThread[]> } {
  const parsed: ParsedPost[] = [];
  const parse = options.parsePost ?? parsePost;
  for (const source of sources.posts) {
    const result = parse(source);
    if (result.ok) parsed.push(result.value);
    else errors.push(...result.error);
  }
  const { posts, errors: idErrors } = assignGuids(parsed);
  errors.push(...idErrors);
  const replies = idErrors.length ? new Map<number, ReplyThread[]>() : loadApprovedReplies(sources.replies ?? [], posts, errors);
  return { posts, replies };
}

/** The RSS chain and its Atom twin (page k of one holds the posts of page k of the other). */
function feedChains(
  posts: Post[],
  feedContext: FeedContext,
  feedLimits: PageLimits,
  hubs: readonly string[],
  knownBytes?: BuildOptions["itemBytes"],
): Pick<SiteModel, "feedFiles" | "atomFiles" | "feedPageCount"> {
  const { profile, urls } = feedContext;
  try {
    const render = (post: Post) => renderPostItem(post, feedContext);
    const sizeOf = knownBytes && ((post: Post, serialized: () => string) => knownBytes(post, feedContext, serialized));
    const chain = paginateChain(posts, render, feedLimits, paths.feed, paths.feedArchive, urls.base, sizeOf);
    const feedFiles = chain.pages.map((pagePosts, i): XmlFile => {
      const links = chain.links[i]!;
      const last = pagePosts.at(-1);
      // Its items rendered when it is: a page the incremental build reuses never renders them.
      const page = (): FeedPage => ({ links, items: pagePosts.map(chain.xml).reverse(), ...(last ? { lastBuildDate: last.date } : {}) });
      // Keyed by its posts, not their rendered items: each post's key is computed once (the same
      // objects build after build in npm start), where the items are half a megabyte of text a page.
      return { permalink: chain.permalinks[i]!, render: () => renderFeedPage(page(), feedContext), inputs: () => [feedContext, links, pagePosts] };
    });
    const atomFiles = atomChain(
      chain.pages,
      { profile, urls, hubs, headerReserveBytes: feedLimits.headerReserveBytes },
      { head: paths.atom, archive: paths.atomArchive },
    );
    return { feedFiles, atomFiles, feedPageCount: chain.pages.length };
  } catch (error) {
    if (error instanceof ItemTooLargeError) {
      const post = posts[error.index]!;
      throw new SiteBuildError([
        {
          file: post.file,
          message: `is ${error.bytes} bytes in the feed, more than one feed page holds (${error.budget} bytes for items); split it into several posts`,
        },
      ]);
    }
    throw error;
  }
}

/** One list feed's chain (follows or public blocks, spec "Alternate Feed Layout"). */
function listChain(
  kind: ListKind,
  entries: IndexedEntry[],
  { sources, profile, urls, limits }: { sources: SiteSources; profile: Profile; urls: SiteUrls; limits: PageLimits },
): XmlFile[] {
  let chain: ReturnType<typeof paginateChain<IndexedEntry>>;
  try {
    chain = paginateChain(entries, renderListItem, limits, paths.list(kind), (k) => paths.listArchive(kind, k), urls.base);
  } catch (error) {
    if (error instanceof ItemTooLargeError) {
      const entry = entries[error.index]!;
      const file = (kind === "follows" ? sources.follows : sources.blocks)?.file ?? kind;
      throw new SiteBuildError([
        {
          file,
          message: `entry ${entry.index + 1} (${entry.username}) is ${error.bytes} bytes in the list feed, more than one page holds (${error.budget} bytes for items); shorten its user_link or user_id`,
        },
      ]);
    }
    throw error;
  }
  // lastBuildDate (required in list feeds): the newest `since` on this page or an older one, so an
  // archive keeps the date it had when it was archived; UNKNOWN_LIST_DATE when none has one.
  let newestSince: number | undefined;
  return chain.pages.map((pageEntries, i): XmlFile => {
    const date = newest(pageEntries, (e) => e.since);
    if (date !== undefined && (newestSince === undefined || date > newestSince)) newestSince = date;
    const context: ListFeedContext = { kind, profile, headerReserveBytes: limits.headerReserveBytes };
    const page: ListFeedPage = {
      links: chain.links[i]!,
      items: pageEntries.map(chain.xml).reverse(),
      lastBuildDate: newestSince ?? UNKNOWN_LIST_DATE,
    };
    return { permalink: chain.permalinks[i]!, render: () => renderListPage(page, context), inputs: () => [context, page] };
  });
}

/** HTML: full pages of `pageSize` posts from the oldest (stable once full); the home page shows the newest. */
function htmlPagesOf(posts: Post[], pageSize: number): Pick<SiteModel, "htmlPages" | "home"> {
  const fullPages = Math.floor(posts.length / pageSize);
  const htmlPages: HtmlArchivePage[] = [];
  for (let k = 1; k <= fullPages; k++) {
    const page: HtmlArchivePage = {
      number: k,
      permalink: paths.htmlPage(k),
      posts: posts.slice((k - 1) * pageSize, k * pageSize).reverse(),
    };
    if (k > 1) page.olderPermalink = paths.htmlPage(k - 1);
    htmlPages.push(page);
  }
  const home: SiteModel["home"] = { posts: posts.slice(-pageSize).reverse() };
  if (posts.length > pageSize) home.olderPermalink = paths.htmlPage(Math.floor((posts.length - pageSize - 1) / pageSize) + 1);
  return { htmlPages, home };
}

function sortErrors(errors: FileError[]): FileError[] {
  return [...errors].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
