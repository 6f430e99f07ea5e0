/**
 * A small, lenient reader for Open Microblog 0.5 feeds (RSS 2.0 shaped), for the inbox functions
 * (verifying reply notifications against the sender's feed) and for importing old feeds.
 *
 * Why not a general XML library: the Worker's bundle stays small and Hono + zod/mini already take most
 * of it, and the poller reads only up to the items it wants (ReadOptions.stopAfter). The XML itself is
 * read by lib/shared/xml-scanner.ts, the one tokenizer (shared with the validator's positioned tree):
 * elements, attributes, text, CDATA, comments, processing instructions, the five predefined entities
 * and character references, and nothing else: no DOCTYPE at all (so no entity expansion attacks), no
 * unknown entities, no malformed nesting, linear time and capped nesting. Every way a document fails
 * is a FeedReadError, with its line and column.
 *
 * Lenient where real feeds differ (spec "Main Feed Layout" and "Alternate Feed Layout" disagree with
 * their own samples, e.g. pubDate vs <pubdate>, reposted_user_link vs reposted_status_user_link, and
 * writers differ in prefixes): element names match by LOCAL name whatever the prefix, case-insensitively,
 * with snake_case and camelCase equal (underscores are ignored). Values are trimmed; empty ones count as
 * absent; the first non-empty occurrence wins. Only direct children of <channel> and <item> are read,
 * and a field's value is its own text and CDATA (elements inside it, which feeds should not have, are
 * checked but skipped). Older layouts are read into the 0.5 fields: 0.3's <status_id> is the guid, and
 * RFC 001's <to userId>, <from userId> and <regarding> are the in_reply_to_* and reposted_* fields.
 */
import { scanXml, type XmlScanner, type XmlScanOptions, XmlSyntaxError, XmlToken } from "./xml-scanner.ts";

export class FeedReadError extends Error {
  override name = "FeedReadError";
}

export interface FeedItem {
  guid?: string;
  pubDate?: string;
  description?: string;
  link?: string;
  title?: string;
  reply?: string;
  in_reply_to_status_id?: string;
  in_reply_to_user_id?: string;
  in_reply_to_user_link?: string;
  reposted_status_id?: string;
  reposted_status_pubdate?: string;
  reposted_status_user_id?: string;
  reposted_user_link?: string;
  language?: string;
  user_id?: string;
  user_name?: string;
  user_link?: string;
}

export interface FeedChannel {
  title?: string;
  description?: string;
  link?: string;
  language?: string;
  lastBuildDate?: string;
  docs?: string;
  username?: string;
  user_id?: string;
  user_full_name?: string;
  profile?: string;
  next_node?: string;
  relocate?: string;
  header?: string;
  portrait?: string;
  message?: { url: string; accept?: string };
  blocks?: { url: string; count?: string };
  follows?: { url: string; count?: string };
  /** The list feeds' total, from <channel count="..."> (spec "Alternate Feed Layout" sample). */
  count?: string;
  /** WebSub §4 discovery: the hrefs of <atom:link rel="hub"> (at most MAX_HUB_LINKS), as written. */
  hubs?: string[];
  /** <atom:link rel="self" href>: the URL the feed calls itself (the WebSub topic), as written. */
  self?: string;
}

/** Hub links kept from one feed: a subscriber uses one; the rest are spares. */
export const MAX_HUB_LINKS = 5;

export interface Feed {
  channel: FeedChannel;
  /** In document order. */
  items: FeedItem[];
  /** False when reading stopped early (ReadOptions.stopAfter): the rest of the document was not read. */
  complete: boolean;
}

export interface ReadOptions {
  /**
   * Called as each item ends; true stops reading there. The poller stops at the first item it
   * already has and the reply verifier at the item it looks for, so a 500 KB page costs only the
   * bytes up to that item (the free plan gives an invocation 10 ms of CPU). Channel elements that
   * come after the items are then not read: Open Microblog puts them first (spec "Sample Feed").
   */
  stopAfter?: (item: FeedItem, index: number) => boolean;
}

/** Deep enough for any feed; shallow enough that a nesting bomb stops at once. */
const FEED_SCAN: XmlScanOptions = { subject: "feed", maxDepth: 64 };

/** Lenient match key of a name: local part (no prefix), lower case, underscores dropped. */
const matchKey = (local: string): string => local.replace(/_/g, "");

/** key -> field, from the field names plus aliases (keys already in matchKey form). */
function fieldsByKey(names: string, aliases: Record<string, string> = {}): Map<string, string> {
  const map = new Map(Object.entries(aliases));
  for (const name of names.split(" ")) map.set(matchKey(name.toLowerCase()), name);
  return map;
}

// Spec "Required/Optional Item Elements" (main feed) and "Required Item Elements" (list feeds).
// "username" is also the key of user_name, so both spellings land in user_name.
const ITEM_FIELDS = fieldsByKey(
  "guid pubDate description link title reply in_reply_to_status_id in_reply_to_user_id in_reply_to_user_link " +
    "reposted_status_id reposted_status_pubdate reposted_status_user_id reposted_user_link language user_id user_name user_link",
  {
    // The spec's list names reposted_user_link, its sample writes reposted_status_user_link.
    repostedstatususerlink: "reposted_user_link",
    // Spec 0.3 "Required Item Elements": the item's id was <status_id>, not <guid>.
    statusid: "status_id",
    // RFC 001 ("Proposed new reply & repost syntax", Open-Microblog/RFC): <to userId>link</to> for a
    // reply, <from userId>link</from> for a repost, <regarding> for the status replied to or reposted.
    to: "rfc001_to",
    from: "rfc001_from",
    regarding: "rfc001_regarding",
  },
);

/** Item fields whose element also carries an attribute the reader keeps (RFC 001's userId). */
const ITEM_ATTRIBUTE: Record<string, string> = { rfc001_to: "userid", rfc001_from: "userid" };

/** The spellings of an item read from another era's layout, folded into the 0.5 fields once the item ends. */
interface OtherLayouts {
  status_id?: string;
  rfc001_to?: string;
  rfc001_to_user_id?: string;
  rfc001_from?: string;
  rfc001_from_user_id?: string;
  rfc001_regarding?: string;
}

/**
 * 0.3's <status_id> is the guid; RFC 001's to/from/regarding are the in_reply_to_* / reposted_* fields.
 * The 0.5 elements win where both are written.
 */
function foldOtherLayouts(item: FeedItem & OtherLayouts): void {
  if (item.status_id === undefined && item.rfc001_to === undefined && item.rfc001_from === undefined && item.rfc001_regarding === undefined) {
    if (item.rfc001_to_user_id === undefined && item.rfc001_from_user_id === undefined) return;
  }
  const { status_id, rfc001_to, rfc001_to_user_id, rfc001_from, rfc001_from_user_id, rfc001_regarding } = item;
  for (const key of ["status_id", "rfc001_to", "rfc001_to_user_id", "rfc001_from", "rfc001_from_user_id", "rfc001_regarding"] as const) delete item[key];
  item.guid ??= status_id;
  const reply = rfc001_to !== undefined || rfc001_to_user_id !== undefined;
  if (reply) {
    item.in_reply_to_user_link ??= rfc001_to;
    item.in_reply_to_user_id ??= rfc001_to_user_id;
    item.in_reply_to_status_id ??= rfc001_regarding;
  }
  if (rfc001_from !== undefined || rfc001_from_user_id !== undefined) {
    item.reposted_user_link ??= rfc001_from;
    item.reposted_status_user_id ??= rfc001_from_user_id;
    if (!reply) item.reposted_status_id ??= rfc001_regarding;
  }
  // Optional fields stay absent rather than undefined-valued (readers compare items with toEqual).
  for (const key of Object.keys(item) as (keyof FeedItem)[]) if (item[key] === undefined) delete item[key];
}

// Spec "Required/Optional Channel Elements" plus the plain RSS ones.
const CHANNEL_FIELDS = fieldsByKey(
  "title description link language lastBuildDate docs username user_id user_full_name profile next_node relocate header portrait message blocks follows",
);

/** Channel elements whose value is a URL plus one attribute (spec: blocks/follows "count", message "accept"). */
const URL_WITH_ATTRIBUTE: Record<string, string> = { message: "accept", blocks: "count", follows: "count" };

enum Kind {
  Other,
  Rss,
  Channel,
  Item,
  Field,
}

interface Frame {
  kind: Kind;
  /** Where a Channel/Item/Field writes its values. */
  target?: Record<string, unknown>;
  field?: string;
  /** Text and CDATA of a Field, joined once at its end tag (no quadratic string building). */
  parts?: string[];
  /** The attribute a URL_WITH_ATTRIBUTE field keeps. */
  attribute?: string;
}

/** An attribute of the current start tag by local name, any case, trimmed; undefined when absent or empty. */
function attributeValue(scanner: XmlScanner, wanted: string): string | undefined {
  for (let k = 0; k < scanner.attributeCount; k++) {
    const key = scanner.attributeNames[k]!;
    // Any prefix, any case, snake_case or camelCase (userId, user_id).
    if (matchKey(key.slice(key.lastIndexOf(":") + 1).toLowerCase()) !== wanted) continue;
    const value = scanner.attributeValues[k]!.trim();
    if (value) return value;
  }
  return undefined;
}

export function readFeed(xml: string, options: ReadOptions = {}): Feed {
  if (typeof xml !== "string") throw new FeedReadError("a feed must be given as text");
  try {
    return read(scanXml(xml, FEED_SCAN), options);
  } catch (error) {
    // One error type for every reason a feed cannot be read; the message keeps the line and column.
    if (error instanceof XmlSyntaxError) throw new FeedReadError(error.message);
    throw error;
  }
}

function read(scanner: XmlScanner, options: ReadOptions): Feed {
  const stack: Frame[] = [];
  const items: FeedItem[] = [];
  let channel: Record<string, unknown> | undefined;

  const finish = (frame: Frame): void => {
    if (frame.kind !== Kind.Field) return;
    const value = frame.parts!.join("").trim();
    const target = frame.target!;
    const field = frame.field!;
    if (frame.attribute && ITEM_ATTRIBUTE[field] && target[`${field}_user_id`] === undefined) target[`${field}_user_id`] = frame.attribute;
    if (!value || target[field] !== undefined) return;
    const attributeName = URL_WITH_ATTRIBUTE[field];
    if (attributeName && frame.target === channel) {
      const withAttribute: Record<string, string> = { url: value };
      if (frame.attribute) withAttribute[attributeName] = frame.attribute;
      target[field] = withAttribute;
    } else {
      target[field] = value;
    }
  };

  const start = (): Frame => {
    const name = scanner.name;
    const local = name.slice(name.lastIndexOf(":") + 1).toLowerCase();
    const parent = stack[stack.length - 1];
    const frame: Frame = { kind: Kind.Other };
    if (!parent) {
      if (local !== "rss") scanner.fail(`the root element is <${name}>, not <rss>: this is not an RSS feed`, scanner.at);
      frame.kind = Kind.Rss;
    } else if (parent.kind === Kind.Rss && local === "channel" && !channel) {
      channel = {};
      const count = attributeValue(scanner, "count");
      if (count) channel.count = count;
      frame.kind = Kind.Channel;
      frame.target = channel;
    } else if (parent.kind === Kind.Channel && local === "item") {
      const item: FeedItem = {};
      items.push(item);
      frame.kind = Kind.Item;
      frame.target = item as Record<string, unknown>;
    } else if (parent.kind === Kind.Channel && local === "link" && attributeValue(scanner, "href") !== undefined) {
      // <atom:link rel href/> (any prefix): WebSub discovery reads rel="hub" and rel="self"; the RSS
      // <link> (text, no href) is the field below.
      const rel = attributeValue(scanner, "rel")?.toLowerCase();
      const href = attributeValue(scanner, "href");
      if (href && rel === "hub") {
        const hubs = (channel!.hubs ??= []) as string[];
        if (hubs.length < MAX_HUB_LINKS && !hubs.includes(href)) hubs.push(href);
      } else if (href && rel === "self" && channel!.self === undefined) channel!.self = href;
    } else if (parent.kind === Kind.Channel || parent.kind === Kind.Item) {
      const field = (parent.kind === Kind.Channel ? CHANNEL_FIELDS : ITEM_FIELDS).get(matchKey(local));
      if (field) {
        frame.kind = Kind.Field;
        frame.field = field;
        frame.target = parent.target!;
        frame.parts = [];
        const attributeName = parent.kind === Kind.Channel ? URL_WITH_ATTRIBUTE[field] : ITEM_ATTRIBUTE[field];
        if (attributeName) frame.attribute = attributeValue(scanner, attributeName);
      }
    }
    return frame;
  };

  for (;;) {
    switch (scanner.next()) {
      case XmlToken.StartElement:
        stack.push(start());
        break;
      case XmlToken.Text:
      case XmlToken.Cdata:
        // Text is decoded (and checked) wherever it is; only a field keeps it.
        stack[stack.length - 1]!.parts?.push(scanner.value);
        break;
      case XmlToken.EndElement: {
        const frame = stack.pop()!;
        finish(frame);
        if (frame.kind === Kind.Item) foldOtherLayouts(frame.target as FeedItem);
        if (frame.kind === Kind.Item && options.stopAfter?.(frame.target as FeedItem, items.length - 1)) {
          return { channel: channel as FeedChannel, items, complete: false };
        }
        break;
      }
      case XmlToken.End:
        if (!channel) throw new FeedReadError("<rss> has no <channel>");
        return { channel: channel as FeedChannel, items, complete: true };
    }
  }
}
