/**
 * One page of an Open Microblog 0.5 feed, checked on its own: XML well-formedness, RSS 2.0 basics, and
 * the spec's "Main Feed Layout" (main feed pages) or "Alternate Feed Layout" (follows / blocks list
 * pages), with a line for every problem. What needs several pages -- the next_node chain, guids that
 * are unique and incrementing across it, relocate on the head only -- is lib/validate/validate-feed.ts;
 * this check returns the facts it needs.
 *
 * Leniency (the brief: readers are lenient, and the spec's own samples differ from its lists): what a
 * sample does is a note, not an error -- <pubdate> for pubDate, isPermalink for isPermaLink, a count
 * attribute on a list's <channel>, reposted_status_user_link for reposted_user_link, username for
 * user_name in list items, "UTC" in dates, no <title> -- and so are camelCase names (the spec announces
 * them for 0.6/0.7) and a namespace URI without its trailing slash, while still reading them.
 */
import { ATOM_NS, FEED_HISTORY_NS } from "../shared/spec.ts";
import { type Located, located, PageContext, textOf } from "./page-context.ts";
import { checkItems, type ItemFacts } from "./page-items.ts";
import { SECTION } from "./problems.ts";
import { attributeOf, childElements, parseXml, type XmlDocument, type XmlElement, XmlSyntaxError } from "./xml-tree.ts";

export { checkRfc822, type Located } from "./page-context.ts";
export type { ItemFacts } from "./page-items.ts";

export type FeedKind = "main" | "list";

/** Spec "Feed Paging": at most 500 items or 500 KB per file. 500 KB read as 500 KiB for errors, as 500,000 bytes for a warning. */
export const PAGE_MAX_ITEMS = 500;
export const PAGE_MAX_BYTES = 500 * 1024;
export const PAGE_WARN_BYTES = 500_000;

export interface PageInput {
  /** The page as text (already decoded). */
  text: string;
  /** Its size in bytes as served or stored. */
  bytes: number;
  /** The encoding it was decoded from ("utf-8", "utf-16le", "windows-1252", ...). */
  encoding: string;
  /** URL or path, for the report. */
  page: string;
  kind: FeedKind;
  /** The first page of its chain (the only one that may carry relocate). */
  head: boolean;
}

export interface PageFacts {
  items: ItemFacts[];
  username?: string;
  userId?: string;
  /** Channel <link>. */
  link?: Located;
  /** atom:link rel="self". */
  selfUrl?: string;
  nextNode?: Located;
  /** RFC 5005 atom:link rel="prev-archive". */
  prevArchive?: string;
  /** RFC 5005 fh:archive present. */
  archive: boolean;
  relocate?: Located;
  follows?: Located & { count?: string };
  blocks?: Located & { count?: string };
}

export interface PageReport {
  problems: PageContext["problems"];
  /** Undefined when the page could not be read as an RSS feed at all. */
  facts?: PageFacts;
}

const RSS_CHANNEL = new Set([
  "title",
  "link",
  "description",
  "language",
  "copyright",
  "managingEditor",
  "webMaster",
  "pubDate",
  "lastBuildDate",
  "category",
  "generator",
  "docs",
  "cloud",
  "ttl",
  "image",
  "rating",
  "textInput",
  "skipHours",
  "skipDays",
  "item",
]);

const MAIN_CHANNEL_FIELDS = ["username", "user_id", "user_full_name", "profile", "next_node", "relocate", "blocks", "follows", "message", "header", "portrait"];
const LIST_CHANNEL_FIELDS = ["username", "user_id", "next_node"];

/**
 * Netscape's RSS 0.91 (and UserLand's 0.9x) feeds open with a DOCTYPE naming their DTD, e.g.
 * <!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "...rss-0.91.dtd">. Our XML
 * reader takes no DOCTYPE at all (no DTDs, no entities), so such a feed is named here for what it is.
 */
const RSS_09X_DOCTYPE = /^\uFEFF?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*(<!DOCTYPE\s+rss\s+PUBLIC\s+(["'])([^"']*\bRSS (0\.9\d*)[^"']*)\2)/i;

/** An RSS 0.9x feed by its DOCTYPE: not an Open Microblog feed (RSS 2.0), one error saying so. */
function rss09x(ctx: PageContext, text: string): boolean {
  const match = RSS_09X_DOCTYPE.exec(text.slice(0, 4096));
  if (!match) return false;
  const at = match[0].length - match[1]!.length;
  const line = text.slice(0, at).split("\n").length;
  const column = at - text.lastIndexOf("\n", at - 1);
  const message = `this is an RSS ${match[4]} feed (DOCTYPE "${match[3]}"), not an Open Microblog feed: Open Microblog is RSS 2.0 (<rss version="2.0">, no DOCTYPE) with the microblog namespace's user_id, username and profile`;
  ctx.report("error", SECTION.rss, message, { line, column });
  return true;
}

/** XML 1.0 and Namespaces in XML: the document, or undefined when it is not well-formed. */
function readDocument(ctx: PageContext, input: PageInput): XmlDocument | undefined {
  if (rss09x(ctx, input.text)) return undefined;
  let doc: XmlDocument;
  try {
    doc = parseXml(input.text);
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
    ctx.report("error", SECTION.xml, `not well-formed XML: ${error.reason}`, error);
    return undefined;
  }
  if (doc.declarationNotFirst)
    ctx.report("error", SECTION.xml, "something comes before the <?xml ...?> declaration; it must be the very first thing", { line: 1, column: 1 });
  for (const unbound of doc.unboundPrefixes) {
    ctx.report("error", SECTION.namespaces, `the prefix "${unbound.prefix}:" is used but never declared (xmlns:${unbound.prefix}="...")`, unbound);
  }
  // Main Feed Layout › Notes: "feeds should be UTF-8".
  if (input.encoding !== "utf-8") ctx.report("warning", SECTION.mainNotes, `the page is encoded in ${input.encoding}; the spec says feeds should be UTF-8`);
  return doc;
}

/** RSS 2.0: <rss version="2.0"> with one <channel>; undefined when there is no channel to check. */
function rssChannel(ctx: PageContext, root: XmlElement): XmlElement | undefined {
  if (root.local === "feed" && root.ns === ATOM_NS) {
    ctx.report("error", SECTION.rss, 'this is an Atom feed; Open Microblog feeds are RSS 2.0 (<rss version="2.0">)', root);
    return undefined;
  }
  if (root.local !== "rss" || root.ns !== undefined) {
    ctx.report("error", SECTION.rss, `the root element is <${root.name}>, not <rss>: this is not an RSS feed`, root);
    return undefined;
  }
  const version = attributeOf(root, "version")?.value;
  if (version !== "2.0")
    ctx.report("error", SECTION.rss, version ? `<rss version="${version}">: Open Microblog is RSS 2.0 (version="2.0")` : '<rss> has no version="2.0"', root);
  const channels = childElements(root, "channel", null);
  if (channels.length === 0) {
    ctx.report("error", SECTION.rss, "<rss> has no <channel>", root);
    return undefined;
  }
  if (channels.length > 1) ctx.report("error", SECTION.rss, `<rss> has ${channels.length} <channel> elements; RSS 2.0 has one`, channels[1]);
  return channels[0];
}

/** RSS 2.0's channel <title> and <description>, and RFC 5005's atom:links (self, prev-archive). */
function checkRssBasics(ctx: PageContext, channel: XmlElement, main: boolean, facts: PageFacts): void {
  const title = ctx.field(channel, "title", "rss", SECTION.rss);
  if (!title) ctx.report("note", SECTION.rss, `RSS 2.0 asks for a channel <title>; the spec's sample has none, and RSS readers will show no name`, channel);
  const description = ctx.field(channel, "description", "rss", main ? SECTION.mainChannelOptional : SECTION.rss);
  if (!description) {
    const message = main
      ? "RSS 2.0 asks for a channel <description> (for Open Microblog: the bio)"
      : "RSS 2.0 asks for a channel <description>; the spec's list sample has none";
    ctx.report("note", SECTION.rss, message, channel);
  }
  for (const atomLink of childElements(channel, "link", ATOM_NS)) {
    const rel = attributeOf(atomLink, "rel")?.value;
    const href = attributeOf(atomLink, "href")?.value;
    if (rel === "self" && href) facts.selfUrl = href;
    if (rel === "prev-archive" && href) facts.prevArchive = href;
  }
}

/**
 * Required Channel Elements of both layouts (Main Feed Layout, Alternate Feed Layout): username,
 * user_id, link, lastBuildDate. Returns the lastBuildDate element and its time.
 */
function checkRequiredChannel(ctx: PageContext, channel: XmlElement, main: boolean, hasItems: boolean, facts: PageFacts) {
  const section = main ? SECTION.mainChannel : SECTION.listChannel;
  const username = ctx.required(channel, "username", "microblog", section, "a Twitter-like username");
  if (username) {
    facts.username = textOf(username)!;
    if (Array.from(facts.username).length > 25) ctx.report("error", section, `<microblog:username> "${facts.username}" is longer than 25 characters`, username);
  }
  const userId = ctx.required(channel, "user_id", "microblog", section, "the user's universally unique id");
  if (userId) facts.userId = textOf(userId)!;
  const link = ctx.required(channel, "link", "rss", section, main ? "the feed's URL" : "the list feed's URL");
  if (link) {
    facts.link = located(link);
    ctx.checkUrl(link, "link", section);
  }
  const lastBuildDate = ctx.field(channel, "lastBuildDate", "rss", section);
  const builtAt = lastBuildDate ? ctx.checkDate(lastBuildDate, "lastBuildDate", section) : undefined;
  if (!lastBuildDate || !textOf(lastBuildDate)) {
    const what = lastBuildDate ? "<lastBuildDate> is empty" : "<channel> has no <lastBuildDate>";
    if (hasItems) ctx.report("error", section, `${what} (when the last item was added)`, lastBuildDate ?? channel);
    else ctx.report("note", section, `${what}: there is no item yet to date it by`, lastBuildDate ?? channel);
  }
  return { lastBuildDate, builtAt };
}

/** Main Feed Layout › Required Channel Elements of a main feed only: profile and language. */
function checkMainRequired(ctx: PageContext, channel: XmlElement): void {
  const section = SECTION.mainChannel;
  ctx.checkUrl(ctx.required(channel, "profile", "microblog", section, "the URL of the user's public page"), "microblog:profile", section);
  const language = ctx.required(channel, "language", "rss", section, "the feed's main language");
  const languageText = textOf(language);
  if (language && languageText && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(languageText)) {
    ctx.report("warning", section, `<language> "${languageText}" is not a language tag such as en, fr or pt-BR`, language);
  }
}

/** Main Feed Layout › Optional Channel Elements: follows and blocks, each a list feed's URL with a count. */
function checkLists(ctx: PageContext, channel: XmlElement, facts: PageFacts): void {
  const section = SECTION.mainChannelOptional;
  for (const kind of ["follows", "blocks"] as const) {
    const element = ctx.field(channel, kind, "microblog", section);
    if (!element) continue;
    ctx.emptyOptional(element, `microblog:${kind}`, section);
    ctx.checkUrl(element, `microblog:${kind}`, section, "error", true);
    const count = attributeOf(element, "count");
    const counted = count && /^\d+$/.test(count.value.trim());
    if (count && !counted) {
      const message = `<microblog:${kind} count="${count.value}">: count is the number of users in the list`;
      ctx.report(count.value.trim() ? "error" : "warning", section, message, count);
    }
    if (textOf(element)) facts[kind] = { ...located(element), ...(counted ? { count: count.value.trim() } : {}) };
  }
}

/** Private Messaging: microblog:message, its URL and accept="everyone|follows|selected". */
function checkMessage(ctx: PageContext, channel: XmlElement): void {
  const message = ctx.field(channel, "message", "microblog", SECTION.mainChannelOptional);
  if (!message) return;
  ctx.emptyOptional(message, "microblog:message", SECTION.mainChannelOptional);
  ctx.checkUrl(message, "microblog:message", SECTION.mainChannelOptional);
  const accept = attributeOf(message, "accept");
  if (!accept) ctx.report("warning", SECTION.messaging, "<microblog:message> has no accept attribute (everyone, follows or selected)", message);
  else if (!["everyone", "follows", "selected"].includes(accept.value.trim())) {
    ctx.report("error", SECTION.messaging, `<microblog:message accept="${accept.value}">: accept is everyone, follows or selected`, accept);
  }
}

/** Relocation: microblog:relocate, never empty, an absolute URL. */
function checkRelocate(ctx: PageContext, channel: XmlElement, facts: PageFacts): void {
  const relocate = ctx.field(channel, "relocate", "microblog", SECTION.relocation);
  if (!relocate) return;
  if (!textOf(relocate)) {
    const message = "<microblog:relocate> is empty; the spec: it should only be present if the user is relocating, and never empty";
    ctx.report("error", SECTION.relocation, message, relocate);
    return;
  }
  ctx.checkUrl(relocate, "microblog:relocate", SECTION.relocation);
  facts.relocate = located(relocate);
}

/** Main Feed Layout › Optional Channel Elements (and Private Messaging, Relocation). */
function checkMainOptional(ctx: PageContext, channel: XmlElement, facts: PageFacts): void {
  const section = SECTION.mainChannelOptional;
  ctx.checkUrl(ctx.field(channel, "docs", "rss", section), "docs", section, "warning");
  for (const name of ["user_full_name", "header", "portrait"]) ctx.emptyOptional(ctx.field(channel, name, "microblog", section), `microblog:${name}`, section);
  for (const name of ["header", "portrait"]) ctx.checkUrl(ctx.field(channel, name, "microblog", section), `microblog:${name}`, section, "warning");
  checkLists(ctx, channel, facts);
  checkMessage(ctx, channel);
  checkRelocate(ctx, channel, facts);
  ctx.unknownElements(channel, MAIN_CHANNEL_FIELDS, RSS_CHANNEL, section);
}

/** Alternate Feed Layout › Required Channel Elements: what a list page may carry beyond them. */
function checkListChannel(ctx: PageContext, channel: XmlElement): void {
  const count = attributeOf(channel, "count");
  if (count) {
    ctx.report(
      "note",
      SECTION.listSample,
      `<channel count="${count.value}">: the spec's sample has it, its element lists do not, and the W3C feed validator refuses it; the main feed's microblog:follows / microblog:blocks carry the count`,
      count,
    );
  }
  const relocate = ctx.field(channel, "relocate", "microblog", SECTION.relocation);
  if (relocate) ctx.report("warning", SECTION.relocation, "<microblog:relocate> belongs in the main feed's head page, not in a list feed", relocate);
  ctx.unknownElements(channel, [...LIST_CHANNEL_FIELDS, "relocate"], RSS_CHANNEL, SECTION.listChannel);
}

/** Feed Paging: next_node, the URL of the next (older) page. */
function checkNextNode(ctx: PageContext, channel: XmlElement, main: boolean, facts: PageFacts): void {
  const section = main ? SECTION.mainChannelOptional : SECTION.listChannel;
  const nextNode = ctx.field(channel, "next_node", "microblog", section);
  if (!nextNode) return;
  ctx.emptyOptional(nextNode, "microblog:next_node", section);
  ctx.checkUrl(nextNode, "microblog:next_node", section, "error", true);
  if (textOf(nextNode)) facts.nextNode = located(nextNode);
}

/** Feed Paging: at most 500 items or 500 KB per page. */
function checkPageSize(ctx: PageContext, input: PageInput, itemCount: number): void {
  if (itemCount > PAGE_MAX_ITEMS) {
    ctx.report("error", SECTION.paging, `${itemCount} items on one page; the spec pages feeds at 500 items (move the oldest to a next_node page)`);
  }
  if (input.bytes > PAGE_MAX_BYTES) ctx.report("error", SECTION.paging, `the page is ${input.bytes} bytes; the spec pages feeds at 500 KB`);
  else if (input.bytes > PAGE_WARN_BYTES) {
    const message = `the page is ${input.bytes} bytes: over 500,000 bytes, under 500 KiB; readers that read "500 KB" as 500,000 bytes may cut it`;
    ctx.report("warning", SECTION.paging, message);
  }
}

/** One page, checked on its own: every problem with its spec section, and the facts the chain's checks need. */
export function checkPage(input: PageInput): PageReport {
  const ctx = new PageContext(input.page);
  const doc = readDocument(ctx, input);
  const channel = doc ? rssChannel(ctx, doc.root) : undefined;
  if (!channel) return { problems: ctx.problems };

  const main = input.kind === "main";
  const facts: PageFacts = { items: [], archive: childElements(channel, "archive", FEED_HISTORY_NS).length > 0 };
  const itemElements = childElements(channel, "item", null);
  checkRssBasics(ctx, channel, main, facts);
  const { lastBuildDate, builtAt } = checkRequiredChannel(ctx, channel, main, itemElements.length > 0, facts);
  if (main) {
    checkMainRequired(ctx, channel);
    checkMainOptional(ctx, channel, facts);
  } else checkListChannel(ctx, channel);
  checkNextNode(ctx, channel, main, facts);
  facts.items = checkItems(ctx, itemElements, main);

  // Main Feed Layout › Required Channel Elements: lastBuildDate is "when the last item was added".
  const newest = facts.items.reduce<number | undefined>((max, item) => (item.date === undefined ? max : Math.max(max ?? item.date, item.date)), undefined);
  if (main && builtAt !== undefined && newest !== undefined && builtAt < newest) {
    ctx.report("warning", SECTION.mainChannel, "<lastBuildDate> is older than the newest item on the page (it is when the last item was added)", lastBuildDate);
  }
  checkPageSize(ctx, input, itemElements.length);
  // Relocation: "only in the most recently updated page".
  if (!input.head && facts.relocate) {
    const message = "<microblog:relocate> on a page that is not the head: it belongs only in the most recently updated page";
    ctx.report("error", SECTION.relocation, message, facts.relocate);
  }
  return { problems: ctx.problems, facts };
}
