/**
 * One page of an Open Microblog 0.5 feed, checked on its own: XML well-formedness, RSS 2.0 basics, and
 * the spec's "Main Feed Layout" (main feed pages) or "Alternate Feed Layout" (follows / blocks list
 * pages), with a line for every problem. What needs several pages -- the next_node chain, guids that
 * are unique and incrementing across it, relocate on the head only -- is lib/validate/chain.ts; this
 * file returns the facts it needs.
 *
 * Leniency (the brief: readers are lenient, and the spec's own samples differ from its lists): what a
 * sample does is a note, not an error -- <pubdate> for pubDate, isPermalink for isPermaLink, a count
 * attribute on a list's <channel>, reposted_status_user_link for reposted_user_link, username for
 * user_name in list items, "UTC" in dates, no <title> -- and so are camelCase names (the spec announces
 * them for 0.6/0.7) and a namespace URI without its trailing slash, while still reading them.
 */
import { parseIsoDateTime, parseRfc822 } from "../shared/dates.ts";
import { MICROBLOG_NS } from "../shared/spec.ts";
import { parseHttpUrl } from "../shared/urls.ts";
import { type Problem, SECTION, type Severity } from "./problems.ts";
import { attributeOf, childElements, ownText, type Position, parseXml, type XmlDocument, type XmlElement, XmlSyntaxError } from "./xml-tree.ts";

export type FeedKind = "main" | "list";

/** Spec "Feed Paging": at most 500 items or 500 KB per file. 500 KB read as 500 KiB for errors, as 500,000 bytes for a warning. */
export const PAGE_MAX_ITEMS = 500;
export const PAGE_MAX_BYTES = 500 * 1024;
export const PAGE_WARN_BYTES = 500_000;

export const ATOM_NS = "http://www.w3.org/2005/Atom";
export const FEED_HISTORY_NS = "http://purl.org/syndication/history/1.0";

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

export interface Located extends Position {
  value: string;
}

export interface ItemFacts extends Position {
  /** The guid as written (main feed items; list items when present). */
  guid?: string;
  /** The guid when it is a non-negative integer. */
  guidNumber?: number;
  /** Epoch ms of the item's pubDate, when readable. */
  date?: number;
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
  problems: Problem[];
  /** Undefined when the page could not be read as an RSS feed at all. */
  facts?: PageFacts;
}

/** Local-name key that equals for snake_case and camelCase spellings ("user_id", "userId", "userid"). */
const looseKey = (local: string): string => local.replace(/_/g, "").toLowerCase();

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
// RSS 2.0 item elements, plus <language>, which the spec's sample item carries without a prefix.
const RSS_ITEM = new Set(["title", "link", "description", "author", "category", "comments", "enclosure", "guid", "pubDate", "source", "language"]);

const MAIN_CHANNEL_FIELDS = ["username", "user_id", "user_full_name", "profile", "next_node", "relocate", "blocks", "follows", "message", "header", "portrait"];
const MAIN_ITEM_FIELDS = [
  "reply",
  "in_reply_to_user_id",
  "in_reply_to_status_id",
  "in_reply_to_user_link",
  "reposted_status_user_id",
  "reposted_user_link",
  "reposted_status_user_link",
  "reposted_status_id",
  "reposted_status_pubdate",
  "language",
];
const LIST_CHANNEL_FIELDS = ["username", "user_id", "next_node"];
const LIST_ITEM_FIELDS = ["user_id", "user_name", "user_link"];

const RFC822_STRICT =
  /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+(\d{2}|\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+([+-]\d{4}|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])$/;

/** The microblog namespace as written by someone who meant it, e.g. without the trailing slash or over https. */
const LOOKS_LIKE_MICROBLOG = /^https?:\/\/(www\.)?openmicroblog\.com\/?$/i;

/** A date as RSS 2.0 wants it (RFC 822): its time, and what is wrong with how it is written. */
export function checkRfc822(text: string): { epoch?: number; severity?: Severity; message?: string } {
  const value = text.trim();
  const match = RFC822_STRICT.exec(value);
  if (match) {
    const epoch = parseRfc822(value);
    if (epoch === undefined) return { severity: "error", message: `"${value}" is not a real date` };
    const day = match[1];
    if (day && new Date(epoch).toUTCString().slice(0, 3) !== day) {
      return { epoch, severity: "warning", message: `"${value}": that day is a ${new Date(epoch).toUTCString().slice(0, 3)}, not a ${day}` };
    }
    if (match[4]!.length === 2) return { epoch, severity: "note", message: `"${value}" has a 2-digit year; RSS 2.0 recommends 4 digits` };
    return { epoch };
  }
  const lenient = parseRfc822(value);
  if (lenient !== undefined && /\sUTC$/i.test(value)) {
    return { epoch: lenient, severity: "note", message: `"${value}": RFC 822 says UT or GMT (or +0000); the spec's own example writes UTC` };
  }
  if (lenient !== undefined)
    return { epoch: lenient, severity: "warning", message: `"${value}" is not quite RFC 822 (e.g. "Sat, 16 May 2015 21:32:15 +0000")` };
  if (parseIsoDateTime(value) !== undefined) {
    return {
      epoch: parseIsoDateTime(value)!,
      severity: "error",
      message: `"${value}" is ISO 8601; RSS 2.0 dates are RFC 822, e.g. "Sat, 16 May 2015 21:32:15 +0000"`,
    };
  }
  return { severity: "error", message: `"${value}" is not an RFC 822 date such as "Sat, 16 May 2015 21:32:15 +0000"` };
}

export function checkPage(input: PageInput): PageReport {
  const problems: Problem[] = [];
  const report = (severity: Severity, section: string, message: string, at?: Position) => {
    const problem: Problem = { severity, page: input.page, section, message };
    if (at) {
      problem.line = at.line;
      problem.column = at.column;
    }
    problems.push(problem);
  };

  let doc: XmlDocument;
  try {
    doc = parseXml(input.text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) {
      report("error", SECTION.xml, `not well-formed XML: ${error.reason}`, error);
      return { problems };
    }
    throw error;
  }
  if (doc.declarationNotFirst)
    report("error", SECTION.xml, "something comes before the <?xml ...?> declaration; it must be the very first thing", { line: 1, column: 1 });
  for (const unbound of doc.unboundPrefixes) {
    report("error", SECTION.namespaces, `the prefix "${unbound.prefix}:" is used but never declared (xmlns:${unbound.prefix}="...")`, unbound);
  }
  if (input.encoding !== "utf-8") report("warning", SECTION.mainNotes, `the page is encoded in ${input.encoding}; the spec says feeds should be UTF-8`);

  const root = doc.root;
  if (root.local === "feed" && root.ns === ATOM_NS) {
    report("error", SECTION.rss, 'this is an Atom feed; Open Microblog feeds are RSS 2.0 (<rss version="2.0">)', root);
    return { problems };
  }
  if (root.local !== "rss" || root.ns !== undefined) {
    report("error", SECTION.rss, `the root element is <${root.name}>, not <rss>: this is not an RSS feed`, root);
    return { problems };
  }
  const version = attributeOf(root, "version")?.value;
  if (version !== "2.0")
    report("error", SECTION.rss, version ? `<rss version="${version}">: Open Microblog is RSS 2.0 (version="2.0")` : '<rss> has no version="2.0"', root);
  const channels = childElements(root, "channel", null);
  if (channels.length === 0) {
    report("error", SECTION.rss, "<rss> has no <channel>", root);
    return { problems };
  }
  if (channels.length > 1) report("error", SECTION.rss, `<rss> has ${channels.length} <channel> elements; RSS 2.0 has one`, channels[1]);
  const channel = channels[0]!;

  // The microblog namespace: exactly http://openmicroblog.com/, or leniently something that means it.
  let oddNamespace: string | undefined;
  const isMicroblog = (element: XmlElement): boolean => {
    if (element.ns === MICROBLOG_NS) return true;
    if (element.ns && LOOKS_LIKE_MICROBLOG.test(element.ns)) {
      if (oddNamespace === undefined) {
        oddNamespace = element.ns;
        report(
          "warning",
          SECTION.overview,
          `the microblog namespace is written "${element.ns}"; the spec's is "${MICROBLOG_NS}", and readers that match it exactly miss these elements`,
          element,
        );
      }
      return true;
    }
    return false;
  };

  /**
   * A spec field of `parent`: the element in the microblog namespace ("microblog" fields) or in no
   * namespace (RSS fields), by exact name; otherwise a differently spelled one (camelCase, case), noted.
   */
  const seen = new WeakMap<XmlElement, Map<string, XmlElement | undefined>>();
  const field = (parent: XmlElement, local: string, where: "microblog" | "rss", section: string): XmlElement | undefined => {
    // Looked up once per element and name, so a duplicate or a spelling is reported once.
    const cache = seen.get(parent) ?? new Map<string, XmlElement | undefined>();
    seen.set(parent, cache);
    const key = `${where}:${local}`;
    if (cache.has(key)) return cache.get(key);
    const found = lookupField(parent, local, where, section);
    cache.set(key, found);
    return found;
  };
  const lookupField = (parent: XmlElement, local: string, where: "microblog" | "rss", section: string): XmlElement | undefined => {
    const inSpace = parent.children.filter((c): c is XmlElement => c.kind === "element" && (where === "microblog" ? isMicroblog(c) : c.ns === undefined));
    const exact = inSpace.filter((c) => c.local === local);
    const shown = where === "microblog" ? `microblog:${local}` : local;
    if (exact.length > 1) report("warning", section, `<${shown}> appears ${exact.length} times; readers take the first`, exact[1]);
    if (exact[0]) return exact[0];
    const variant = inSpace.find((c) => looseKey(c.local) === looseKey(local));
    if (variant) {
      const why =
        looseKey(local) === "pubdate"
          ? "the spec's lists and sample write pubdate, but RSS 2.0 and its readers (the spec's reference validator too) read pubDate"
          : /[A-Z]/.test(variant.local) && !/[A-Z]/.test(local)
            ? `camelCase is the spelling the spec announces for 0.6/0.7; 0.5 writes ${local}`
            : "XML names are case-sensitive: readers looking for the exact name miss it";
      report("note", looseKey(local) === "pubdate" ? SECTION.mainSample : section, `<${variant.name}> is read as <${shown}>: ${why}`, variant);
      return variant;
    }
    return undefined;
  };
  const text = (element: XmlElement | undefined): string | undefined => (element ? ownText(element).trim() : undefined);
  const located = (element: XmlElement): Located => ({ value: ownText(element).trim(), line: element.line, column: element.column });

  const required = (parent: XmlElement, local: string, where: "microblog" | "rss", section: string, what: string): XmlElement | undefined => {
    const element = field(parent, local, where, section);
    const shown = where === "microblog" ? `microblog:${local}` : local;
    if (!element) {
      // Named like the field but outside its namespace: say that rather than "missing".
      const stray =
        where === "microblog" ? childElements(parent).find((c) => !isMicroblog(c) && looseKey(c.local) === looseKey(local) && c.ns !== ATOM_NS) : undefined;
      if (stray) report("error", section, `<${stray.name}> must be <${shown}>, in the namespace ${MICROBLOG_NS}`, stray);
      else report("error", section, `<${parent.local}> has no <${shown}> (${what})`, parent);
      return undefined;
    }
    if (!text(element) && element.children.every((c) => c.kind !== "element")) {
      report("error", section, `<${shown}> is empty (${what})`, element);
      return undefined;
    }
    return element;
  };

  const checkUrl = (element: XmlElement | undefined, shown: string, section: string, severity: Severity = "error", relativeOk = false): void => {
    const value = text(element);
    if (!element || !value) return;
    if (parseHttpUrl(value)) return;
    if (relativeOk && !/^[a-z][a-z0-9+.-]*:/i.test(value)) {
      report("warning", section, `<${shown}> "${value}" is a relative URL; readers resolve it against the page's URL, some will not`, element);
      return;
    }
    report(severity, section, `<${shown}> "${value}" is not an absolute http(s) URL`, element);
  };

  const checkDate = (element: XmlElement | undefined, shown: string, section: string): number | undefined => {
    const value = text(element);
    if (!element || !value) return undefined;
    const checked = checkRfc822(value);
    if (checked.severity) report(checked.severity, checked.severity === "note" ? section : SECTION.rss, `<${shown}> ${checked.message}`, element);
    return checked.epoch;
  };

  const emptyOptional = (element: XmlElement | undefined, shown: string, section: string): void => {
    if (element && !text(element) && element.children.length === 0)
      report("warning", section, `<${shown}> is empty: leave an element out rather than empty`, element);
  };

  const unknownElements = (parent: XmlElement, knownMicroblog: readonly string[], knownRss: ReadonlySet<string>, section: string): void => {
    const keys = new Set(knownMicroblog.map(looseKey));
    const rssKeys = new Set([...knownRss].map(looseKey));
    for (const child of childElements(parent)) {
      if (isMicroblog(child)) {
        if (!keys.has(looseKey(child.local))) report("warning", section, `<${child.name}> is not an Open Microblog 0.5 element`, child);
      } else if (child.ns === undefined && !knownRss.has(child.local)) {
        if (rssKeys.has(looseKey(child.local))) continue; // a differently spelled RSS field, noted where it is read
        if (keys.has(looseKey(child.local))) continue; // a microblog field without its namespace, reported where it is read
        report("warning", SECTION.rss, `<${child.name}> is not an RSS 2.0 element (extensions need a namespace)`, child);
      }
    }
  };

  const facts: PageFacts = { items: [], archive: childElements(channel, "archive", FEED_HISTORY_NS).length > 0 };
  const main = input.kind === "main";
  const channelSection = main ? SECTION.mainChannel : SECTION.listChannel;
  const optionalSection = main ? SECTION.mainChannelOptional : SECTION.listChannel;

  // --- channel: RSS 2.0 basics
  const title = field(channel, "title", "rss", SECTION.rss);
  if (!title) report("note", SECTION.rss, `RSS 2.0 asks for a channel <title>; the spec's sample has none, and RSS readers will show no name`, channel);
  const description = field(channel, "description", "rss", main ? SECTION.mainChannelOptional : SECTION.rss);
  if (!description) {
    report(
      "note",
      SECTION.rss,
      main
        ? "RSS 2.0 asks for a channel <description> (for Open Microblog: the bio)"
        : "RSS 2.0 asks for a channel <description>; the spec's list sample has none",
      channel,
    );
  }
  for (const atomLink of childElements(channel, "link", ATOM_NS)) {
    const rel = attributeOf(atomLink, "rel")?.value;
    const href = attributeOf(atomLink, "href")?.value;
    if (rel === "self" && href) facts.selfUrl = href;
    if (rel === "prev-archive" && href) facts.prevArchive = href;
  }

  // --- channel: the spec's required and optional elements
  const username = required(channel, "username", "microblog", channelSection, "a Twitter-like username");
  if (username) {
    facts.username = text(username)!;
    if (Array.from(facts.username).length > 25)
      report("error", channelSection, `<microblog:username> "${facts.username}" is longer than 25 characters`, username);
  }
  const userId = required(channel, "user_id", "microblog", channelSection, "the user's universally unique id");
  if (userId) facts.userId = text(userId)!;
  const link = required(channel, "link", "rss", channelSection, main ? "the feed's URL" : "the list feed's URL");
  if (link) {
    facts.link = located(link);
    checkUrl(link, "link", channelSection);
  }
  const lastBuildDate = field(channel, "lastBuildDate", "rss", channelSection);
  let builtAt: number | undefined;
  if (lastBuildDate) builtAt = checkDate(lastBuildDate, "lastBuildDate", channelSection);
  const itemElements = childElements(channel, "item", null);
  if (!lastBuildDate || !text(lastBuildDate)) {
    const what = lastBuildDate ? "<lastBuildDate> is empty" : "<channel> has no <lastBuildDate>";
    if (itemElements.length) report("error", channelSection, `${what} (when the last item was added)`, lastBuildDate ?? channel);
    else report("note", channelSection, `${what}: there is no item yet to date it by`, lastBuildDate ?? channel);
  }

  if (main) {
    const profile = required(channel, "profile", "microblog", channelSection, "the URL of the user's public page");
    checkUrl(profile, "microblog:profile", channelSection);
    const language = required(channel, "language", "rss", channelSection, "the feed's main language");
    const languageText = text(language);
    if (language && languageText && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(languageText)) {
      report("warning", channelSection, `<language> "${languageText}" is not a language tag such as en, fr or pt-BR`, language);
    }
    checkUrl(field(channel, "docs", "rss", optionalSection), "docs", optionalSection, "warning");
    for (const name of ["user_full_name", "header", "portrait"])
      emptyOptional(field(channel, name, "microblog", optionalSection), `microblog:${name}`, optionalSection);
    for (const name of ["header", "portrait"]) checkUrl(field(channel, name, "microblog", optionalSection), `microblog:${name}`, optionalSection, "warning");
    for (const kind of ["follows", "blocks"] as const) {
      const element = field(channel, kind, "microblog", optionalSection);
      if (!element) continue;
      emptyOptional(element, `microblog:${kind}`, optionalSection);
      checkUrl(element, `microblog:${kind}`, optionalSection, "error", true);
      const count = attributeOf(element, "count");
      if (count && !/^\d+$/.test(count.value.trim())) {
        report(
          count.value.trim() ? "error" : "warning",
          optionalSection,
          `<microblog:${kind} count="${count.value}">: count is the number of users in the list`,
          count,
        );
      }
      if (text(element)) {
        const value: Located & { count?: string } = located(element);
        if (count && /^\d+$/.test(count.value.trim())) value.count = count.value.trim();
        facts[kind] = value;
      }
    }
    const message = field(channel, "message", "microblog", optionalSection);
    if (message) {
      emptyOptional(message, "microblog:message", optionalSection);
      checkUrl(message, "microblog:message", optionalSection);
      const accept = attributeOf(message, "accept");
      if (!accept) report("warning", SECTION.messaging, "<microblog:message> has no accept attribute (everyone, follows or selected)", message);
      else if (!["everyone", "follows", "selected"].includes(accept.value.trim())) {
        report("error", SECTION.messaging, `<microblog:message accept="${accept.value}">: accept is everyone, follows or selected`, accept);
      }
    }
    const relocate = field(channel, "relocate", "microblog", SECTION.relocation);
    if (relocate) {
      if (!text(relocate))
        report(
          "error",
          SECTION.relocation,
          "<microblog:relocate> is empty; the spec: it should only be present if the user is relocating, and never empty",
          relocate,
        );
      else {
        checkUrl(relocate, "microblog:relocate", SECTION.relocation);
        facts.relocate = located(relocate);
      }
    }
    unknownElements(channel, MAIN_CHANNEL_FIELDS, RSS_CHANNEL, optionalSection);
  } else {
    const count = attributeOf(channel, "count");
    if (count) {
      report(
        "note",
        SECTION.listSample,
        `<channel count="${count.value}">: the spec's sample has it, its element lists do not, and the W3C feed validator refuses it; the main feed's microblog:follows / microblog:blocks carry the count`,
        count,
      );
    }
    const relocate = field(channel, "relocate", "microblog", SECTION.relocation);
    if (relocate) report("warning", SECTION.relocation, "<microblog:relocate> belongs in the main feed's head page, not in a list feed", relocate);
    unknownElements(channel, [...LIST_CHANNEL_FIELDS, "relocate"], RSS_CHANNEL, SECTION.listChannel);
  }
  const nextNode = field(channel, "next_node", "microblog", optionalSection);
  if (nextNode) {
    emptyOptional(nextNode, "microblog:next_node", optionalSection);
    checkUrl(nextNode, "microblog:next_node", optionalSection, "error", true);
    if (text(nextNode)) facts.nextNode = located(nextNode);
  }

  // --- items
  let newestItem: number | undefined;
  for (const item of itemElements) {
    const info: ItemFacts = { line: item.line, column: item.column };
    const guid = field(item, "guid", "rss", main ? SECTION.mainItem : SECTION.listSample);
    if (guid) {
      info.guid = text(guid)!;
      if (/^\d+$/.test(info.guid)) info.guidNumber = Number(info.guid);
      const wrongCase = guid.attributes.find((a) => a.local.toLowerCase() === "ispermalink" && a.local !== "isPermaLink");
      const permaLink = attributeOf(guid, "isPermaLink");
      if (wrongCase) {
        report(
          "note",
          main ? SECTION.mainSample : SECTION.listSample,
          `<guid ${wrongCase.name}="...">: RSS 2.0 spells it isPermaLink; the spec's sample writes isPermalink`,
          wrongCase,
        );
      } else if (info.guidNumber !== undefined && permaLink?.value !== "false") {
        report("warning", SECTION.rss, `<guid>${info.guid}</guid> without isPermaLink="false": RSS readers take the guid for the item's URL`, guid);
      }
    }
    if (main) {
      if (!guid) report("error", SECTION.mainItem, "<item> has no <guid> (a unique, incrementing integer)", item);
      else if (!info.guid) report("error", SECTION.mainItem, "<guid> is empty", guid);
      else if (info.guidNumber === undefined)
        report("error", SECTION.mainItem, `<guid> "${info.guid}" is not an integer (the spec: a unique, incrementing integer starting from 0)`, guid);
      else if (info.guid.length > 1 && info.guid.startsWith("0")) report("warning", SECTION.mainItem, `<guid> "${info.guid}" has leading zeros`, guid);

      const pubDate = field(item, "pubDate", "rss", SECTION.mainItem);
      if (!pubDate) report("error", SECTION.mainItem, "<item> has no <pubDate> (when the status was posted)", item);
      const date = pubDate ? checkDate(pubDate, pubDate.name, SECTION.mainItem) : undefined;
      if (pubDate && !text(pubDate)) report("error", SECTION.mainItem, `<${pubDate.name}> is empty`, pubDate);
      if (date !== undefined) {
        info.date = date;
        newestItem = Math.max(newestItem ?? date, date);
      }

      const body = field(item, "description", "rss", SECTION.mainItem);
      if (!body) report("error", SECTION.mainItem, "<item> has no <description> (the HTML text of the post)", item);
      else {
        const sections = body.children.filter((c) => c.kind === "cdata");
        if (!ownText(body).trim()) report("error", SECTION.mainItem, "<description> is empty", body);
        else if (sections.length > 1) {
          report(
            "warning",
            SECTION.mainItem,
            `<description> is split over ${sections.length} CDATA sections (its text holds "]]>"); readers that take only the first one, such as the spec's reference validator, cut the text: write it as escaped text instead`,
            body,
          );
        } else if (sections.length === 0 && !ownText(body).includes("]]>")) {
          report("note", SECTION.mainItem, "<description> is escaped text, not CDATA as the spec says; it reads the same", body);
        }
        if (childElements(body).length)
          report("error", SECTION.mainItem, "<description> holds XML elements: put the HTML in CDATA or escape it", childElements(body)[0]);
      }

      checkUrl(field(item, "reply", "microblog", SECTION.mainItemOptional), "microblog:reply", SECTION.mainItemOptional);
      const strayReply = childElements(item, "reply", null)[0];
      if (strayReply && !field(item, "reply", "microblog", SECTION.mainItemOptional)) {
        report(
          "warning",
          SECTION.mainItemOptional,
          "<reply> should be <microblog:reply>: readers look for it in the microblog namespace (the spec's Replies example writes it bare)",
          strayReply,
        );
      }
      const group = (names: string[], label: string) => {
        const present = names.map((name) => field(item, name, "microblog", SECTION.mainItemOptional));
        if (present.some(Boolean) && !present.every(Boolean)) {
          const missing = names.filter((_, i) => !present[i]).map((n) => `microblog:${n}`);
          report(
            "warning",
            SECTION.mainItemOptional,
            `a ${label} without ${missing.join(", ")}: readers cannot tell what it points at`,
            present.find(Boolean)!,
          );
        }
        return present;
      };
      const [, , replyLink] = group(["in_reply_to_status_id", "in_reply_to_user_id", "in_reply_to_user_link"], "reply");
      checkUrl(replyLink, "microblog:in_reply_to_user_link", SECTION.mainItemOptional);
      const repostLink = field(item, "reposted_user_link", "microblog", SECTION.mainItemOptional);
      const sampleRepostLink = childElements(item, "reposted_status_user_link").find(isMicroblog);
      if (sampleRepostLink && !repostLink) {
        report(
          "note",
          SECTION.mainSample,
          "<microblog:reposted_status_user_link> is the spelling of the spec's sample; its list says reposted_user_link. Readers should accept both",
          sampleRepostLink,
        );
      }
      const repost = ["reposted_status_id", "reposted_status_user_id", "reposted_status_pubdate"].map((name) =>
        field(item, name, "microblog", SECTION.mainItemOptional),
      );
      const anyRepost = repost.some(Boolean) || repostLink || sampleRepostLink;
      if (anyRepost && (!repost.every(Boolean) || !(repostLink || sampleRepostLink))) {
        const missing = ["reposted_status_id", "reposted_status_user_id", "reposted_status_pubdate"].filter((_, i) => !repost[i]);
        if (!(repostLink || sampleRepostLink)) missing.push("reposted_user_link");
        report("warning", SECTION.mainItemOptional, `a repost without ${missing.map((n) => `microblog:${n}`).join(", ")}`, item);
      }
      checkUrl(repostLink ?? sampleRepostLink, (repostLink ?? sampleRepostLink)?.name ?? "", SECTION.mainItemOptional);
      checkDate(repost[2], "microblog:reposted_status_pubdate", SECTION.mainItemOptional);
      unknownElements(item, MAIN_ITEM_FIELDS, RSS_ITEM, SECTION.mainItemOptional);
    } else {
      for (const name of LIST_ITEM_FIELDS) {
        const element = field(item, name, "microblog", SECTION.listItem);
        if (element) {
          if (!text(element)) report("error", SECTION.listItem, `<microblog:${name}> is empty`, element);
          continue;
        }
        const spelled = name === "user_name" ? childElements(item, "username").find(isMicroblog) : undefined;
        if (spelled) {
          report(
            "note",
            SECTION.listItem,
            "<microblog:username> is read as <microblog:user_name> (the spec's list item element; its reference validator reads username)",
            spelled,
          );
          continue;
        }
        const stray = childElements(item).find((c) => !isMicroblog(c) && looseKey(c.local) === looseKey(name));
        if (stray) report("error", SECTION.listItem, `<${stray.name}> must be <microblog:${name}>, in the namespace ${MICROBLOG_NS}`, stray);
        else report("error", SECTION.listItem, `<item> has no <microblog:${name}>`, item);
      }
      checkUrl(field(item, "user_link", "microblog", SECTION.listItem), "microblog:user_link", SECTION.listItem);
      unknownElements(item, [...LIST_ITEM_FIELDS, "username"], RSS_ITEM, SECTION.listItem);
    }
    facts.items.push(info);
  }
  if (main && builtAt !== undefined && newestItem !== undefined && builtAt < newestItem) {
    report("warning", SECTION.mainChannel, "<lastBuildDate> is older than the newest item on the page (it is when the last item was added)", lastBuildDate);
  }

  // --- paging limits
  if (itemElements.length > PAGE_MAX_ITEMS) {
    report("error", SECTION.paging, `${itemElements.length} items on one page; the spec pages feeds at 500 items (move the oldest to a next_node page)`);
  }
  if (input.bytes > PAGE_MAX_BYTES) report("error", SECTION.paging, `the page is ${input.bytes} bytes; the spec pages feeds at 500 KB`);
  else if (input.bytes > PAGE_WARN_BYTES)
    report(
      "warning",
      SECTION.paging,
      `the page is ${input.bytes} bytes: over 500,000 bytes, under 500 KiB; readers that read "500 KB" as 500,000 bytes may cut it`,
    );

  if (!input.head && facts.relocate) {
    report(
      "error",
      SECTION.relocation,
      "<microblog:relocate> on a page that is not the head: it belongs only in the most recently updated page",
      facts.relocate,
    );
  }
  return { problems, facts };
}
