/**
 * One page of the feed being imported, whatever it is -- Open Microblog (any era, any spelling),
 * plain RSS 2.0 or Atom -- as one shape: its items, the profile its channel describes, its list feeds,
 * and the link to the next older page (spec "Feed Paging" next_node; RFC 5005 rel="prev-archive", or
 * rel="next" of a paged feed, where there is none).
 *
 * RSS is read by the lenient reader every Skein room shares (lib/shared/remote-feed-reader.ts:
 * pubdate/pubDate, snake_case/camelCase, 0.3/0.4-era names); what it does not keep -- atom:link,
 * content:encoded, each item's line -- is taken from the same text parsed with lib/validate/xml-tree.ts.
 * Atom is lib/move/atom-reader.ts.
 */

import { feedLinksOf, looksLikeHtml } from "../shared/feed-links.ts";
import { FeedReadError, readFeed } from "../shared/remote-feed-reader.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { plainTextOf } from "../shared/sanitize-html.ts";
import { ATOM_NS } from "../shared/spec.ts";
import type { LoadedPage } from "../validate/page-loader.ts";
import { attributeOf, childElements, ownText, type Position, parseXml, type XmlDocument, type XmlElement, XmlSyntaxError } from "../validate/xml-tree.ts";
import { readAtom } from "./atom-reader.ts";
import { textToHtml } from "./html-to-markdown.ts";

export type SourceFormat = "open-microblog" | "rss" | "atom";

export interface SourceRef {
  status_id?: string;
  user_id?: string;
  user_link?: string;
}

export interface SourceItem {
  /** Where it is, for messages: "<page> line N". */
  where: string;
  guid?: string;
  /** The date as written (RFC 822, or RFC 3339 in Atom). */
  date?: string;
  /** The post as HTML. */
  html?: string;
  title?: string;
  link?: string;
  language?: string;
  reply?: SourceRef;
  repost?: SourceRef & { pubdate?: string };
  /** A reply to a web page that is not an Open Microblog item: its URL (front matter in_reply_to). */
  inReplyTo?: string;
  /**
   * An Atom entry's reply (RFC 4685) or repost (a via link): Atom names no status_id or user_id, so
   * lib/move/atom-targets.ts looks for them; `unresolved` says why it found none.
   */
  atomReply?: { ref: string; href?: string; unresolved?: string };
  atomRepostOf?: string;
  atomRepostUnresolved?: string;
}

/** What the channel says about its owner (spec "Main Feed Layout": username, user_id, user_full_name, description, portrait, header). */
export interface SourceProfile {
  username?: string;
  user_id?: string;
  full_name?: string;
  bio?: string;
  portrait?: string;
  header?: string;
  language?: string;
  /** The feed's own URL as the channel gives it. */
  link?: string;
  relocate?: string;
}

export interface SourcePage {
  format: SourceFormat;
  profile: SourceProfile;
  items: SourceItem[];
  /** The next older page, as written (relative or absolute). */
  next?: string;
  nextAt?: Position;
  follows?: string;
  blocks?: string;
}

const CONTENT_NS = "http://purl.org/rss/1.0/modules/content/";

function parse(text: string): Result<XmlDocument, string> {
  try {
    return ok(parseXml(text));
  } catch (error) {
    if (error instanceof XmlSyntaxError) return err(`not well-formed XML: ${error.message}`);
    throw error;
  }
}

/** RFC 5005 links in the atom namespace: prev-archive first, then a paged feed's next. */
function olderLink(parent: XmlElement): { href: string; at: Position } | undefined {
  const atomLinks = childElements(parent, "link").filter((link) => link.ns === ATOM_NS);
  for (const rel of ["prev-archive", "next"]) {
    const link = atomLinks.find((l) => attributeOf(l, "rel")?.value.trim() === rel && attributeOf(l, "href")?.value.trim());
    if (link) return { href: attributeOf(link, "href")!.value.trim(), at: link };
  }
  return undefined;
}

function set<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined && value !== "") target[key] = value;
}

export function readSourcePage(page: LoadedPage): Result<SourcePage, string> {
  if (looksLikeHtml(page.text)) {
    const feed = feedLinksOf(page.text, page.url)[0];
    return err(`${page.label} is a web page, not a feed${feed ? `; the feed it links to is ${feed}` : ": give the URL of its feed"}`);
  }
  const tree = parse(page.text);
  if (!tree.ok) return err(`${page.label} is not a feed: ${tree.error}`);
  const root = tree.value.root;
  if (root.local === "feed") return readAtomPage(page, tree.value);
  if (root.local.toLowerCase() !== "rss") return err(`${page.label} is not a feed: its root element is <${root.name}>, not RSS <rss> or Atom <feed>`);

  const read = readRss(page);
  if (!read.ok) return read;
  const feed = read.value;
  const channelElement = childElements(root).find((child) => child.local.toLowerCase() === "channel");
  const itemElements = channelElement ? childElements(channelElement).filter((child) => child.local.toLowerCase() === "item") : [];
  const { channel } = feed;
  const openMicroblog = channel.username !== undefined || channel.user_id !== undefined || feed.items.some((item) => item.reply || item.in_reply_to_status_id);
  const profile: SourceProfile = {};
  set(profile, "username", channel.username);
  set(profile, "user_id", channel.user_id);
  set(profile, "full_name", channel.user_full_name);
  if (channel.description) set(profile, "bio", plainTextOf(channel.description));
  set(profile, "portrait", channel.portrait);
  set(profile, "header", channel.header);
  set(profile, "language", channel.language);
  set(profile, "link", channel.link);
  set(profile, "relocate", channel.relocate);

  const items = feed.items.map((item, index): SourceItem => {
    const element = itemElements[index];
    const source: SourceItem = { where: `${page.label} line ${element?.line ?? "?"}` };
    set(source, "guid", item.guid);
    set(source, "date", item.pubDate);
    // Plain RSS blogs carry the full post in content:encoded and an excerpt in description.
    const encoded = element ? childElements(element, "encoded").find((e) => e.ns === CONTENT_NS || e.prefix === "content") : undefined;
    const encodedHtml = encoded ? ownText(encoded).trim() : "";
    set(source, "html", encodedHtml || item.description);
    set(source, "title", item.title);
    set(source, "link", item.link);
    set(source, "language", item.language);
    if (item.in_reply_to_status_id || item.in_reply_to_user_id || item.in_reply_to_user_link) {
      const reply: SourceRef = {};
      set(reply, "status_id", item.in_reply_to_status_id);
      set(reply, "user_id", item.in_reply_to_user_id);
      set(reply, "user_link", item.in_reply_to_user_link);
      source.reply = reply;
    }
    if (item.reposted_status_id || item.reposted_status_user_id || item.reposted_user_link || item.reposted_status_pubdate) {
      const repost: NonNullable<SourceItem["repost"]> = {};
      set(repost, "status_id", item.reposted_status_id);
      set(repost, "user_id", item.reposted_status_user_id);
      set(repost, "user_link", item.reposted_user_link);
      set(repost, "pubdate", item.reposted_status_pubdate);
      source.repost = repost;
    }
    return source;
  });

  const result: SourcePage = { format: openMicroblog ? "open-microblog" : "rss", profile, items };
  const nextNodeElement = channelElement
    ? childElements(channelElement).find((child) => child.local.replace(/_/g, "").toLowerCase() === "nextnode")
    : undefined;
  if (channel.next_node) {
    result.next = channel.next_node;
    if (nextNodeElement) result.nextAt = nextNodeElement;
  } else if (channelElement) {
    const older = olderLink(channelElement);
    if (older) {
      result.next = older.href;
      result.nextAt = older.at;
    }
  }
  set(result, "follows", channel.follows?.url);
  set(result, "blocks", channel.blocks?.url);
  return ok(result);
}

function readAtomPage(page: LoadedPage, doc: XmlDocument): Result<SourcePage, string> {
  const feed = readAtom(doc);
  if (!feed) return err(`${page.label} is not a feed: <feed> is not in the Atom namespace`);
  const profile: SourceProfile = {};
  set(profile, "full_name", feed.authorName);
  set(profile, "bio", feed.subtitle);
  set(profile, "portrait", feed.icon ?? feed.logo);
  set(profile, "language", feed.language);
  set(profile, "link", feed.links.find((link) => link.rel === "self")?.href);
  const items = feed.entries.map((entry): SourceItem => {
    const item: SourceItem = { where: `${page.label} line ${entry.line}` };
    set(item, "guid", entry.id);
    set(item, "date", entry.published ?? entry.updated);
    set(item, "html", entry.html ?? (entry.title ? textToHtml(entry.title) : undefined));
    if (entry.html) set(item, "title", entry.title);
    set(item, "link", entry.link);
    set(item, "language", entry.language);
    if (entry.inReplyTo) item.atomReply = entry.inReplyTo;
    set(item, "atomRepostOf", entry.repostOf);
    return item;
  });
  const result: SourcePage = { format: "atom", profile, items };
  const older = olderLink(doc.root);
  if (older) {
    result.next = older.href;
    result.nextAt = older.at;
  }
  return ok(result);
}

export interface SourceListEntry {
  where: string;
  user_id?: string;
  user_name?: string;
  user_link?: string;
}

function readRss(page: LoadedPage): Result<ReturnType<typeof readFeed>, string> {
  try {
    return ok(readFeed(page.text));
  } catch (error) {
    if (error instanceof FeedReadError) return err(`${page.label} is not a readable RSS feed: ${error.message}`);
    throw error;
  }
}

/** A follows or blocks list page (spec "Alternate Feed Layout"), read as leniently as the main feed. */
export function readListPage(page: LoadedPage): Result<{ entries: SourceListEntry[]; next?: string; nextAt?: Position }, string> {
  const tree = parse(page.text);
  if (!tree.ok) return err(`${page.label} is not a feed: ${tree.error}`);
  const read = readRss(page);
  if (!read.ok) return read;
  const feed = read.value;
  const channelElement = childElements(tree.value.root).find((child) => child.local.toLowerCase() === "channel");
  const itemElements = channelElement ? childElements(channelElement).filter((child) => child.local.toLowerCase() === "item") : [];
  const entries = feed.items.map((item, index) => {
    const entry: SourceListEntry = { where: `${page.label} line ${itemElements[index]?.line ?? "?"}` };
    set(entry, "user_id", item.user_id);
    set(entry, "user_name", item.user_name);
    set(entry, "user_link", item.user_link);
    return entry;
  });
  const result: { entries: SourceListEntry[]; next?: string; nextAt?: Position } = { entries };
  if (feed.channel.next_node) result.next = feed.channel.next_node;
  else if (channelElement) {
    const older = olderLink(channelElement);
    if (older) {
      result.next = older.href;
      result.nextAt = older.at;
    }
  }
  return ok(result);
}
