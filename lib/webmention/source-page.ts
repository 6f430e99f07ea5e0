/**
 * What a webmention's source page says about our page (W3C Webmention §3.2.2 and microformats2):
 * whether it links to the target at all, and, from its h-entry, who wrote it, what it says, when,
 * and what kind of response it is (Post Type Discovery: a like, a repost, a reply, or a mention).
 *
 * A subset of the microformats2 parsing rules, enough for responses as IndieWeb sites and Bridgy
 * Fed publish them: roots by `h-*` class, properties by `p-`/`u-`/`dt-`/`e-` class, nested
 * microformats as property values, the value rules of each prefix (microformats.org/wiki/
 * microformats2-parsing). The tests hold it against mf2py on the same pages. Everything returned is
 * plain text or an http(s) URL, capped in length: the owner's pages and the site show it as text.
 */
import { elements, type HtmlElement, parseHtml, textContent } from "./html-tree.ts";

export type MentionKind = "reply" | "like" | "repost" | "mention";

export interface SourceReading {
  /** The page links to the target (an href or src equal to it, resolved against the page). */
  linksToTarget: boolean;
  kind: MentionKind;
  author?: { name?: string; url?: string; photo?: string };
  /** The response's text (e-content, else p-name), plain, at most MAX_TEXT characters. */
  text?: string;
  /** dt-published as written (ISO 8601), when it parses. */
  published?: string;
  /** The response's own URL (u-url), else the source. */
  url?: string;
}

export const MAX_TEXT = 2000;
const MAX_URL = 2048;

interface Item {
  type: string[];
  properties: Map<string, (string | Item)[]>;
}

const LINK_ATTRIBUTES = ["href", "src", "data", "poster", "cite"];

function classes(element: HtmlElement): string[] {
  return (element.attrs.get("class") ?? "").split(/\s+/).filter(Boolean);
}

function resolve(value: string, base: string): string | undefined {
  try {
    const url = new URL(value.trim(), base);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    const text = url.toString();
    return text.length <= MAX_URL ? text : undefined;
  } catch {
    return undefined;
  }
}

const squash = (text: string) => text.replace(/\s+/g, " ").trim();

/** The value of a u-* property (microformats2 parsing: "parsing a u- property"). */
function uValue(element: HtmlElement, base: string): string | undefined {
  const attribute = { a: "href", area: "href", link: "href", img: "src", audio: "src", video: "src", source: "src", iframe: "src", object: "data" }[
    element.name
  ];
  const raw = (attribute && element.attrs.get(attribute)) ?? element.attrs.get("value") ?? squash(textContent(element));
  return resolve(raw, base);
}

/** The value of a dt-* property. */
function dtValue(element: HtmlElement): string {
  return squash(element.attrs.get("datetime") ?? element.attrs.get("value") ?? element.attrs.get("title") ?? textContent(element));
}

/** The value of a p-* property. */
function pValue(element: HtmlElement): string {
  if (element.name === "abbr" || element.name === "link") return element.attrs.get("title") ?? squash(textContent(element));
  if (element.name === "data" || element.name === "input") return element.attrs.get("value") ?? squash(textContent(element));
  if (element.name === "img" || element.name === "area") return element.attrs.get("alt") ?? "";
  return squash(textContent(element));
}

function propertyValue(prefix: string, element: HtmlElement, base: string): string | undefined {
  if (prefix === "u") return uValue(element, base);
  if (prefix === "dt") return dtValue(element);
  if (prefix === "e") return textContent(element).trim();
  return pValue(element);
}

function addProperty(item: Item, name: string, value: string | Item): void {
  const values = item.properties.get(name) ?? [];
  values.push(value);
  item.properties.set(name, values);
}

/** Parse one microformat rooted at `element`: its properties, nested microformats as values. */
function parseItem(element: HtmlElement, base: string): Item {
  const item: Item = { type: classes(element).filter((name) => /^h-[a-z0-9-]+$/.test(name)), properties: new Map() };
  walkProperties(element, item, base);
  // Implied name and url (microformats2 parsing: implied properties), the subset h-cards need.
  if (!item.properties.has("name") && item.type.includes("h-card")) addProperty(item, "name", pValue(element));
  if (!item.properties.has("url")) {
    const link = element.name === "a" ? element : element.children.find((child): child is HtmlElement => typeof child !== "string" && child.name === "a");
    const href = link?.attrs.get("href");
    const url = href ? resolve(href, base) : undefined;
    if (url) addProperty(item, "url", url);
  }
  return item;
}

function walkProperties(parent: HtmlElement, item: Item, base: string): void {
  for (const child of parent.children) {
    if (typeof child === "string") continue;
    const names = classes(child);
    const properties = names.map((name) => /^(p|u|dt|e)-([a-z0-9-]+)$/.exec(name)).filter((match) => match !== null);
    const isRoot = names.some((name) => /^h-[a-z0-9-]+$/.test(name));
    if (isRoot) {
      const nested = parseItem(child, base);
      for (const [, , name] of properties) addProperty(item, name as string, nested);
      continue; // a nested microformat's own properties are not the parent's
    }
    for (const [, prefix, name] of properties) {
      const value = propertyValue(prefix as string, child, base);
      if (value !== undefined && value !== "") addProperty(item, name as string, value);
    }
    walkProperties(child, item, base);
  }
}

function findRoots(node: HtmlElement, base: string, into: Item[]): void {
  for (const child of node.children) {
    if (typeof child === "string") continue;
    if (classes(child).some((name) => /^h-[a-z0-9-]+$/.test(name))) into.push(parseItem(child, base));
    else findRoots(child, base, into);
  }
}

const asText = (value: string | Item | undefined): string | undefined =>
  typeof value === "string" ? value : value ? asText(value.properties.get("name")?.[0]) : undefined;
const urlsOf = (item: Item, name: string): string[] =>
  (item.properties.get(name) ?? [])
    .map((value) => (typeof value === "string" ? value : asText(value.properties.get("url")?.[0])))
    .filter((value): value is string => !!value);

/** The h-entry that responds: the first one that names the target, else the first (or one inside an h-feed). */
function responseEntry(items: Item[], target: string): Item | undefined {
  const entries = items
    .flatMap((item) => (item.type.includes("h-feed") ? (item.properties.get("children") ?? []) : [item]))
    .filter((item): item is Item => typeof item !== "string" && item.type.includes("h-entry"));
  return entries.find((entry) => ["in-reply-to", "like-of", "repost-of"].some((name) => urlsOf(entry, name).includes(target))) ?? entries[0];
}

function authorOf(entry: Item, base: string): SourceReading["author"] {
  const value = entry.properties.get("author")?.[0];
  if (value === undefined) return undefined;
  if (typeof value === "string") return /^https?:/.test(value) ? { url: resolve(value, base) } : { name: value.slice(0, 200) };
  const name = asText(value.properties.get("name")?.[0]);
  const author: NonNullable<SourceReading["author"]> = {};
  if (name) author.name = name.slice(0, 200);
  const url = urlsOf(value, "url")[0];
  if (url) author.url = url;
  const photo = urlsOf(value, "photo")[0];
  if (photo) author.photo = photo;
  return author;
}

/** Post Type Discovery, as far as a mention of `target` goes. */
function kindOf(entry: Item, target: string): MentionKind {
  if (urlsOf(entry, "repost-of").includes(target)) return "repost";
  if (urlsOf(entry, "like-of").includes(target)) return "like";
  if (urlsOf(entry, "in-reply-to").includes(target)) return "reply";
  return "mention";
}

/** Does the page link to `target`? Any element's href/src/... resolving to exactly that URL (§3.2.2). */
export function linksTo(root: HtmlElement, target: string, base: string): boolean {
  for (const element of elements(root)) {
    for (const attribute of LINK_ATTRIBUTES) {
      const value = element.attrs.get(attribute);
      if (value !== undefined && resolve(value, base) === target) return true;
    }
  }
  return false;
}

/** Read a source page (its HTML as text, the URL it was fetched from) for a mention of `target`. */
export function readSourcePage(html: string, sourceUrl: string, target: string): SourceReading {
  const root = parseHtml(html);
  const baseHref = [...elements(root)].find((element) => element.name === "base")?.attrs.get("href");
  const base = (baseHref && resolve(baseHref, sourceUrl)) || sourceUrl;
  const reading: SourceReading = { linksToTarget: linksTo(root, target, base), kind: "mention" };
  const items: Item[] = [];
  findRoots(root, base, items);
  // h-feed children: the entries directly inside a feed are its children.
  for (const item of items) if (item.type.includes("h-feed")) collectChildren(root, item, base);
  const entry = responseEntry(items, target);
  if (!entry) return reading;
  reading.kind = kindOf(entry, target);
  const author = authorOf(entry, base);
  if (author) reading.author = author;
  const text = asText(entry.properties.get("content")?.[0]) ?? asText(entry.properties.get("name")?.[0]);
  if (text) reading.text = text.slice(0, MAX_TEXT);
  const published = asText(entry.properties.get("published")?.[0]);
  if (published && !Number.isNaN(Date.parse(published))) reading.published = published.slice(0, 64);
  const url = urlsOf(entry, "url")[0];
  if (url) reading.url = url;
  return reading;
}

/** The h-entries inside an h-feed root (parseItem skipped them: they have no property class). */
function collectChildren(root: HtmlElement, feed: Item, base: string): void {
  const feedElement = [...elements(root)].find((element) => classes(element).includes("h-feed"));
  if (!feedElement) return;
  const children: Item[] = [];
  findRoots(feedElement, base, children);
  feed.properties.set("children", children);
}
