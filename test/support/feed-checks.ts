/**
 * Reading our feeds back with a real XML parser (fast-xml-parser) and checking them against the
 * decisions Skein made about Open Microblog 0.5 (see the spec's "Main Feed Layout", "Alternate Feed
 * Layout" and "Feed Paging", and RFC 5005 for the archive links). Shared by the golden test, the
 * example-site build test and the append property test.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { expect } from "vitest";

export const MICROBLOG = "http://openmicroblog.com/";
export const ATOM = "http://www.w3.org/2005/Atom";
export const FEED_HISTORY = "http://purl.org/syndication/history/1.0";

/** RFC 822 as we write it: day name, 2-digit day, 4-digit year, seconds, "+0000". */
export const RFC822_WRITTEN = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;
/** Spec "Required Item Elements": guid is a non-negative integer. */
export const GUID = /^(0|[1-9]\d*)$/;

/**
 * Checks for hot loops (the property test reads thousands of pages): vitest's expect, with its
 * message and diff, runs only when a check fails.
 */
function same(actual: unknown, expected: unknown, message: string): void {
  if (!Object.is(actual, expected)) expect(actual, message).toBe(expected);
}
function matches(actual: string | undefined, pattern: RegExp, message: string): void {
  if (actual === undefined || !pattern.test(actual)) expect(actual, message).toMatch(pattern);
}
function holds(condition: boolean, message: string): void {
  if (!condition) expect.fail(message);
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  elements: XmlElement[];
  /** Text and CDATA content, in document order, concatenated. */
  text: string;
  /** The CDATA sections alone, in order. */
  cdata: string[];
}

type OrderedNode = Record<string, unknown> & { ":@"?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: "#cdata",
  processEntities: true,
  htmlEntities: false,
});

function toElement(name: string, node: OrderedNode): XmlElement {
  const element: XmlElement = { name, attributes: { ...(node[":@"] ?? {}) }, elements: [], text: "", cdata: [] };
  for (const child of node[name] as OrderedNode[]) {
    if ("#text" in child) {
      element.text += String(child["#text"]);
    } else if ("#cdata" in child) {
      const content = (child["#cdata"] as OrderedNode[]).map((part) => String(part["#text"] ?? "")).join("");
      element.cdata.push(content);
      element.text += content;
    } else {
      const childName = Object.keys(child).find((key) => key !== ":@");
      if (childName && !childName.startsWith("?") && childName !== "#comment") element.elements.push(toElement(childName, child));
    }
  }
  return element;
}

/** Validate with XMLValidator, then parse: the root element. */
export function parseXml(xml: string, label = "document"): XmlElement {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) expect(valid, `${label} is not well-formed XML`).toBe(true);
  // XMLValidator lets undefined entities through; XML 1.0 §4.1 (WFC: Entity Declared) does not.
  const outsideCdata = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "");
  const undefinedEntity = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);)[^\s<]{0,20}/.exec(outsideCdata);
  same(undefinedEntity?.[0], undefined, `${label} has an undefined entity or a bare "&"`);
  const nodes = parser.parse(xml) as OrderedNode[];
  const roots = nodes.filter((node) => !Object.keys(node).some((key) => key.startsWith("?") || key === "#text" || key === "#comment"));
  same(roots.length, 1, `${label} has one root element`);
  const root = roots[0] as OrderedNode;
  const name = Object.keys(root).find((key) => key !== ":@") as string;
  return toElement(name, root);
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.elements.filter((e) => e.name === name);
}

export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return element.elements.find((e) => e.name === name);
}

/** The text of the one child called `name`, or undefined when there is none (more than one fails). */
export function textOf(element: XmlElement, name: string): string | undefined {
  const found = childrenNamed(element, name);
  holds(found.length <= 1, `<${element.name}> has at most one <${name}>`);
  return found[0]?.text;
}

export function walkElements(element: XmlElement, visit: (element: XmlElement, ancestors: XmlElement[]) => void, ancestors: XmlElement[] = []): void {
  visit(element, ancestors);
  for (const child of element.elements) walkElements(child, visit, [...ancestors, element]);
}

/** Elements whose specification makes them empty: RFC 4287 atom:link (attributes only) and RFC 5005 fh:archive. */
const EMPTY_BY_SPEC = new Set(["atom:link", "fh:archive"]);

const MAIN_CHANNEL = new Set([
  "title",
  "microblog:username",
  "microblog:user_id",
  "microblog:user_full_name",
  "description",
  "microblog:header",
  "microblog:portrait",
  "microblog:profile",
  "link",
  "atom:link",
  "fh:archive",
  "microblog:next_node",
  "microblog:relocate",
  "microblog:blocks",
  "microblog:follows",
  "microblog:message",
  "docs",
  "language",
  "lastBuildDate",
  "generator",
  "item",
]);
const MAIN_ITEM = new Set([
  "guid",
  "pubDate",
  "link",
  "description",
  "microblog:reply",
  "microblog:in_reply_to_status_id",
  "microblog:in_reply_to_user_id",
  "microblog:in_reply_to_user_link",
  "microblog:reposted_status_id",
  "microblog:reposted_status_pubdate",
  "microblog:reposted_status_user_id",
  "microblog:reposted_user_link",
  "microblog:language",
]);
const LIST_CHANNEL = new Set([
  "title",
  "description",
  "microblog:username",
  "microblog:user_id",
  "link",
  "atom:link",
  "fh:archive",
  "microblog:next_node",
  "lastBuildDate",
  "item",
]);
const LIST_ITEM = new Set(["guid", "title", "microblog:user_id", "microblog:user_link", "microblog:user_name"]);
const DATE_ELEMENTS = new Set(["pubDate", "lastBuildDate", "microblog:reposted_status_pubdate"]);
const NAMESPACES: Record<string, string> = { microblog: MICROBLOG, atom: ATOM, fh: FEED_HISTORY };

export type FeedKind = "main" | "list";

export interface FeedItem {
  element: XmlElement;
  guid: number;
  /** Epoch ms of pubDate (main feed items only). */
  pubDate?: number;
}

export interface FeedPageInfo {
  label: string;
  bytes: number;
  root: XmlElement;
  channel: XmlElement;
  /** Channel <link>. */
  link: string;
  selfUrl: string;
  nextNode?: string;
  prevArchive?: string;
  currentUrl?: string;
  archive: boolean;
  lastBuildDate?: number;
  items: FeedItem[];
}

function atomLink(channel: XmlElement, rel: string): string | undefined {
  const links = channel.elements.filter((e) => e.name === "atom:link" && e.attributes.rel === rel);
  holds(links.length <= 1, `at most one atom:link rel="${rel}"`);
  const link = links[0];
  if (link) same(link.attributes.type, "application/rss+xml", `atom:link rel="${rel}" type`);
  return link?.attributes.href;
}

function checkDate(text: string, where: string): number {
  matches(text, RFC822_WRITTEN, `${where} is RFC 822 with a 4-digit year and +0000`);
  const epoch = Date.parse(text);
  same(Number.isNaN(epoch), false, `${where} parses as a date`);
  // The day name must be the real one for that date (a writer bug could get it wrong).
  same(new Date(epoch).toUTCString().slice(0, 3), text.slice(0, 3), `${where} day name`);
  return epoch;
}

/**
 * A description (spec: "surrounded with <![CDATA[]]> tags") is one CDATA section holding the whole
 * text, or, when the text holds "]]>", escaped text with no CDATA at all: readers that take only the
 * first CDATA section (the spec's reference validator) must still get the whole text.
 */
function checkDescription(description: XmlElement, where: string): void {
  if (description.text.includes("]]>")) same(description.cdata.length, 0, `${where} holding "]]>" is escaped text, not CDATA`);
  else {
    same(description.cdata.length, 1, `${where} is one CDATA section`);
    same(description.cdata[0], description.text, `${where} holds nothing outside CDATA`);
  }
}

/**
 * Parse one feed page and check everything that holds for every page of its kind: well-formed,
 * namespaces on the root and on every item, known snake_case/camelCase names only, no empty text
 * elements, guid and date formats, chain links present and consistent. Returns what it read.
 */
export function readFeedPage(xml: string, kind: FeedKind, label: string): FeedPageInfo {
  const root = parseXml(xml, label);
  same(root.name, "rss", `${label} root`);
  same(root.attributes.version, "2.0", `${label} rss version`);
  same(root.attributes["xmlns:microblog"], MICROBLOG, `${label} declares the microblog prefix on <rss>`);
  same(root.elements.map((e) => e.name).join(), "channel", `${label} holds one <channel>`);
  const channel = root.elements[0] as XmlElement;
  holds(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'), `${label} starts with the UTF-8 XML declaration`);

  // Prefixes: each bound in scope to the namespace Skein means; never an element without text
  // unless its spec makes it empty.
  walkElements(root, (element, ancestors) => {
    const scope = [...ancestors, element];
    for (const name of [element.name, ...Object.keys(element.attributes).filter((a) => a.includes(":") && !a.startsWith("xmlns:"))]) {
      const prefix = name.includes(":") ? name.split(":")[0]! : undefined;
      if (!prefix) continue;
      const declared = [...scope]
        .reverse()
        .map((e) => e.attributes[`xmlns:${prefix}`])
        .find((uri) => uri !== undefined);
      same(declared, NAMESPACES[prefix], `${label}: prefix of <${name}> is declared`);
    }
    if (element.elements.length === 0 && !EMPTY_BY_SPEC.has(element.name)) {
      holds(element.text.trim() !== "", `${label}: <${element.name}> must not be empty`);
    }
    if (EMPTY_BY_SPEC.has(element.name)) same(element.text.trim(), "", `${label}: <${element.name}> is empty by its spec`);
    if (element.name.startsWith("microblog:")) {
      matches(element.name.slice("microblog:".length), /^[a-z]+(_[a-z]+)*$/, `${label}: Open Microblog 0.5 names are snake_case`);
    }
    if (DATE_ELEMENTS.has(element.name)) checkDate(element.text, `${label} <${element.name}>`);
  });

  const channelNames = kind === "main" ? MAIN_CHANNEL : LIST_CHANNEL;
  const itemNames = kind === "main" ? MAIN_ITEM : LIST_ITEM;
  for (const element of channel.elements) holds(channelNames.has(element.name), `${label}: unexpected channel element <${element.name}>`);
  const required =
    kind === "main"
      ? ["title", "description", "microblog:username", "microblog:user_id", "microblog:profile", "link", "language"]
      : ["title", "description", "microblog:username", "microblog:user_id", "link"];
  for (const name of required) same(childrenNamed(channel, name).length, 1, `${label}: one <${name}> in the channel`);
  for (const element of channel.elements) {
    if (element.name !== "atom:link" && element.name !== "item") same(childrenNamed(channel, element.name).length, 1, `${label}: <${element.name}> once`);
  }
  if (kind === "main") {
    checkDescription(childNamed(channel, "description")!, `${label}: channel description (the bio)`);
  }
  if (kind === "list") {
    // Interop: no count attribute on a list's <channel> (not in the spec's element lists, an error for the W3C validator).
    same(channel.attributes.count, undefined, `${label}: no <channel count>`);
    same(childrenNamed(channel, "lastBuildDate").length, 1, `${label}: a list page always has lastBuildDate (spec "Alternate Feed Layout")`);
  }

  const items: FeedItem[] = childrenNamed(channel, "item").map((item, i) => {
    const where = `${label} item ${i}`;
    same(item.attributes["xmlns:microblog"], MICROBLOG, `${where} declares xmlns:microblog itself`);
    for (const element of item.elements) holds(itemNames.has(element.name), `${where}: unexpected <${element.name}>`);
    for (const element of item.elements) same(childrenNamed(item, element.name).length, 1, `${where}: <${element.name}> once`);
    const guid = childNamed(item, "guid");
    holds(guid !== undefined, `${where} has a guid`);
    same(JSON.stringify(guid!.attributes), '{"isPermaLink":"false"}', `${where} guid attributes`);
    matches(guid!.text, GUID, `${where} guid is a non-negative integer`);
    const info: FeedItem = { element: item, guid: Number(guid!.text) };
    if (kind === "main") {
      for (const name of ["pubDate", "description"]) holds(childNamed(item, name) !== undefined, `${where} has <${name}>`);
      info.pubDate = Date.parse(textOf(item, "pubDate")!);
      checkDescription(childNamed(item, "description")!, `${where} description`);
    } else {
      for (const name of ["microblog:user_id", "microblog:user_name", "microblog:user_link"])
        holds(childNamed(item, name) !== undefined, `${where} has <${name}>`);
    }
    return info;
  });

  const selfUrl = atomLink(channel, "self");
  holds(selfUrl !== undefined, `${label}: atom:link rel="self"`);
  const archive = childNamed(channel, "fh:archive") !== undefined;
  const info: FeedPageInfo = {
    label,
    bytes: Buffer.byteLength(xml, "utf8"),
    root,
    channel,
    link: textOf(channel, "link")!,
    selfUrl: selfUrl!,
    archive,
    items,
  };
  const nextNode = textOf(channel, "microblog:next_node");
  const prevArchive = atomLink(channel, "prev-archive");
  const currentUrl = atomLink(channel, "current");
  if (nextNode !== undefined) info.nextNode = nextNode;
  if (prevArchive !== undefined) info.prevArchive = prevArchive;
  if (currentUrl !== undefined) info.currentUrl = currentUrl;
  const lastBuildDate = textOf(channel, "lastBuildDate");
  if (lastBuildDate !== undefined) info.lastBuildDate = Date.parse(lastBuildDate);

  // RFC 5005 and next_node always say the same thing.
  same(info.prevArchive, info.nextNode, `${label}: rel="prev-archive" equals next_node`);
  same(root.attributes["xmlns:fh"] !== undefined, archive, `${label}: xmlns:fh only on archives`);
  if (archive) {
    same(info.currentUrl, info.link, `${label}: archive has rel="current" = the head (channel link)`);
    holds(info.selfUrl !== info.link, `${label}: an archive is not the head`);
    same(childNamed(channel, "microblog:relocate"), undefined, `${label}: relocate only on the head`);
  } else {
    same(info.currentUrl, undefined, `${label}: the head has no rel="current"`);
    same(info.selfUrl, info.link, `${label}: the head's self link is the channel link`);
  }
  // Items newest first, and lastBuildDate the newest item's date.
  if (kind === "main") {
    for (let i = 1; i < items.length; i++) {
      holds(items[i]!.pubDate! <= items[i - 1]!.pubDate!, `${label}: items newest first`);
    }
    if (items.length) same(info.lastBuildDate, items[0]!.pubDate, `${label}: lastBuildDate is the newest item's date`);
    else same(info.lastBuildDate, undefined, `${label}: no lastBuildDate without items`);
  } else {
    for (let i = 1; i < items.length; i++) holds(items[i]!.guid < items[i - 1]!.guid, `${label}: entries newest first`);
  }
  return info;
}

export interface Chain {
  /** Head first, then next_node after next_node. */
  pages: FeedPageInfo[];
  permalinks: string[];
}

/**
 * Follow next_node from the head through `files` (permalink -> XML) and check the chain: every
 * next_node resolves to a file, no page is visited twice, it ends at a page without next_node,
 * archive k links to k-1, and every file of this chain in `files` is on it.
 */
export function walkChain(files: ReadonlyMap<string, string>, base: string, headPath: string, archivePattern: RegExp, kind: FeedKind): Chain {
  const pages: FeedPageInfo[] = [];
  const permalinks: string[] = [];
  let permalink: string | undefined = headPath;
  while (permalink !== undefined) {
    holds(!permalinks.includes(permalink), `next_node chain revisits ${permalink}`);
    const xml = files.get(permalink);
    holds(xml !== undefined, `next_node points at ${permalink}, which exists`);
    const page = readFeedPage(xml!, kind, permalink);
    same(page.selfUrl, `${base}${permalink}`, `${permalink}: atom:link rel="self" is its own URL`);
    same(page.link, `${base}${headPath}`, `${permalink}: channel link is the head URL`);
    same(page.archive, permalinks.length > 0, `${permalink}: only the head is not an archive`);
    pages.push(page);
    permalinks.push(permalink);
    if (page.nextNode === undefined) break;
    same(page.nextNode.startsWith(`${base}/`), true, `${permalink}: next_node is on this site`);
    permalink = page.nextNode.slice(base.length);
  }
  // Archives are numbered from the oldest: the page before the last in the chain is /x/1.xml etc.
  const archives = permalinks.slice(1);
  archives.forEach((path, i) => {
    const match = archivePattern.exec(path);
    holds(match !== null, `${path} is an archive permalink`);
    same(Number(match![1]), archives.length - i, `${path}: archive number`);
  });
  const inFiles = [...files.keys()].filter((path) => path === headPath || archivePattern.test(path));
  expect([...inFiles].sort(), `every page of ${headPath}'s chain is reachable from it`).toEqual([...permalinks].sort());
  return { pages, permalinks };
}

/** UTF-8 bytes one item adds to a page: its lines plus the newline after it (how pages are assembled). */
export function itemByteSize(pageXml: string, guid: number): number {
  const items = pageXml.match(/^ {4}<item[\s\S]*?^ {4}<\/item>$/gm) ?? [];
  const item = items.find((text) => text.includes(`<guid isPermaLink="false">${guid}</guid>`));
  expect(item, `item ${guid} in page`).toBeDefined();
  return Buffer.byteLength(item!, "utf8") + 1;
}

/**
 * Greedy cut from the oldest item: an archive page closed only because the next item (the oldest of
 * the next newer page) would not fit, by count or by bytes. `chain` is head first.
 */
export function expectArchivesFull(
  files: ReadonlyMap<string, string>,
  chain: Chain,
  limits: { maxItems: number; maxBytes: number; headerReserveBytes: number },
): void {
  const budget = limits.maxBytes - limits.headerReserveBytes;
  for (let i = chain.pages.length - 1; i >= 1; i--) {
    const page = chain.pages[i]!;
    const newer = chain.pages[i - 1]!;
    if (page.items.length === limits.maxItems) continue;
    const xml = files.get(chain.permalinks[i]!)!;
    const used = page.items.reduce((sum, item) => sum + itemByteSize(xml, item.guid), 0);
    const next = newer.items.at(-1);
    expect(next, `${page.label} closed although no newer item exists`).toBeDefined();
    const nextBytes = itemByteSize(files.get(chain.permalinks[i - 1]!)!, next!.guid);
    expect(used + nextBytes, `${page.label} (${page.items.length} items, ${used} bytes) could have taken the next item (${nextBytes} bytes)`).toBeGreaterThan(
      budget,
    );
  }
}
