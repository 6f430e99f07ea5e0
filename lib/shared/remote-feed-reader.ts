/**
 * A small, lenient reader for Open Microblog 0.5 feeds (RSS 2.0 shaped), for the inbox functions
 * (verifying reply notifications against the sender's feed) and for importing old feeds.
 *
 * Why not a general XML library: the functions bundle must stay <= 50 KB minified and Hono + zod/mini
 * already take most of it. This reader handles what feeds use -- elements, attributes, text, CDATA,
 * comments, processing instructions, the five predefined entities and character references -- and
 * refuses the rest with a FeedReadError: no DOCTYPE at all (so no entity expansion attacks), no unknown
 * entities, no malformed nesting. Every scan moves forward (indexOf / sticky regexes without nested
 * quantifiers) and nesting is capped, so hostile input costs linear time and bounded memory.
 *
 * Lenient where real feeds differ (spec "Main Feed Layout" and "Alternate Feed Layout" disagree with
 * their own samples, e.g. pubDate vs <pubdate>, reposted_user_link vs reposted_status_user_link, and
 * writers differ in prefixes): element names match by LOCAL name whatever the prefix, case-insensitively,
 * with snake_case and camelCase equal (underscores are ignored). Values are trimmed; empty ones count as
 * absent; the first non-empty occurrence wins. Only direct children of <channel> and <item> are read,
 * and a field's value is its own text and CDATA (elements inside it, which feeds should not have, are
 * checked but skipped).
 */
import { findNonXmlCharacter } from "./xml-text.ts";

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

/** Stops the scan from inside the tokenizer; caught in readFeed. */
class StopReading {}

/** Deep enough for any feed; shallow enough that a nesting bomb stops at once. */
const MAX_DEPTH = 64;

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
  // The spec's list names reposted_user_link, its sample writes reposted_status_user_link.
  { repostedstatususerlink: "reposted_user_link" },
);

// Spec "Required/Optional Channel Elements" plus the plain RSS ones.
const CHANNEL_FIELDS = fieldsByKey(
  "title description link language lastBuildDate docs username user_id user_full_name profile next_node relocate header portrait message blocks follows",
);

/** Channel elements whose value is a URL plus one attribute (spec: blocks/follows "count", message "accept"). */
const URL_WITH_ATTRIBUTE: Record<string, string> = { message: "accept", blocks: "count", follows: "count" };

/** XML 1.0 §4.6. A Map, so "&constructor;" or "&__proto__;" cannot reach Object.prototype. */
const PREDEFINED_ENTITIES = new Map(Object.entries({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" }));

/** "&", a body, and ";" if there is one. [^;&]* stops at the next "&", so each character is scanned once. */
const REFERENCE = /&([^;&]*)(;?)/g;

/** XML 1.0 §2.3 Name, loosely: any non-ASCII counts as a name character. Sticky: matches at lastIndex only. */
const NAME = /[A-Za-z_:\u0080-\uFFFF][\w.:\u0080-\uFFFF-]*/y;

enum Kind {
  Other,
  Rss,
  Channel,
  Item,
  Field,
}

interface Frame {
  /** Qualified name as written: the end tag must repeat it exactly (XML is case-sensitive). */
  name: string;
  kind: Kind;
  /** Where a Channel/Item/Field writes its values. */
  target?: Record<string, unknown>;
  field?: string;
  /** Text and CDATA of a Field, joined once at its end tag (no quadratic string building). */
  parts?: string[];
  /** The attribute a URL_WITH_ATTRIBUTE field keeps. */
  attribute?: string;
}

const isSpace = (code: number): boolean => code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;

/** Code points a character reference may produce (XML 1.0 §2.2 Char, §4.1 WFC: Legal Character). */
const isXmlChar = (c: number): boolean =>
  c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

export function readFeed(xml: string, options: ReadOptions = {}): Feed {
  if (typeof xml !== "string") throw new FeedReadError("a feed must be given as text");
  // A leading BOM is not content; line ends are normalized first, as XML 1.0 §2.11 says.
  const src = (xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml).replace(/\r\n?/g, "\n");
  if (!src.trim()) throw new FeedReadError("the feed is empty");

  const fail = (message: string, at: number): never => {
    const before = src.slice(0, at);
    throw new FeedReadError(`${message} (line ${before.split("\n").length}, column ${at - before.lastIndexOf("\n")})`);
  };
  const bad = findNonXmlCharacter(src);
  if (bad) throw new FeedReadError(`character ${bad.codePoint} is not allowed in XML (line ${bad.line}, column ${bad.column})`);

  /** Replace entity and character references (XML 1.0 §4.1); anything else after "&" is an error. */
  const decode = (text: string, at: number): string => {
    const first = text.indexOf("&");
    if (first < 0) return text;
    const parts: string[] = [];
    let from = 0;
    REFERENCE.lastIndex = first;
    // exec, not replace: the first bad reference stops the scan instead of matching all the others first.
    for (let match: RegExpExecArray | null; (match = REFERENCE.exec(text)); from = REFERENCE.lastIndex) {
      const body = match[1]!;
      const semicolon = match[2];
      const where = at + match.index;
      if (!semicolon) fail('"&" must start an entity like &amp; (write & as &amp;)', where);
      const numeric = /^#(x[\da-f]+|\d+)$/i.exec(body);
      let value = PREDEFINED_ENTITIES.get(body);
      if (numeric) {
        const digits = numeric[1]!;
        const code = digits[0] === "x" || digits[0] === "X" ? parseInt(digits.slice(1), 16) : parseInt(digits, 10);
        if (!isXmlChar(code)) fail(`&${body}; is not a character XML allows`, where);
        value = String.fromCodePoint(code);
      } else if (value === undefined) {
        fail(`unknown entity &${body}; (only &lt; &gt; &amp; &quot; &apos; and &#...; are allowed)`, where);
      }
      parts.push(text.slice(from, match.index), value!);
    }
    parts.push(text.slice(from));
    return parts.join("");
  };

  const readName = (at: number): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(src);
    return match ? match[0] : fail(at >= src.length ? "the feed ends in the middle of a tag" : "expected an element or attribute name", at);
  };

  const stack: Frame[] = [];
  const items: FeedItem[] = [];
  let channel: Record<string, unknown> | undefined;
  let sawRoot = false;

  const finish = (frame: Frame): void => {
    if (frame.kind !== Kind.Field) return;
    const value = frame.parts!.join("").trim();
    const target = frame.target!;
    const field = frame.field!;
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

  const startTag = (lt: number): number => {
    const name = readName(lt + 1);
    let i = lt + 1 + name.length;
    const attributes = new Map<string, string>();
    let selfClosing = false;
    for (;;) {
      const spaced = i;
      while (isSpace(src.charCodeAt(i))) i++;
      if (i >= src.length) fail(`<${name}> is not finished`, lt);
      if (src[i] === ">") {
        i++;
        break;
      }
      if (src.startsWith("/>", i)) {
        i += 2;
        selfClosing = true;
        break;
      }
      if (i === spaced) fail(`expected a space, ">" or "/>" in <${name}>`, i);
      const attribute = readName(i);
      i += attribute.length;
      while (isSpace(src.charCodeAt(i))) i++;
      if (src[i] !== "=") fail(`attribute ${attribute} needs ="value"`, i);
      i++;
      while (isSpace(src.charCodeAt(i))) i++;
      const quote = src[i];
      if (quote !== '"' && quote !== "'") fail(`the value of attribute ${attribute} must be in quotes`, i);
      const close = src.indexOf(quote!, i + 1);
      if (close < 0) fail(`the value of attribute ${attribute} is not closed`, i);
      const raw = src.slice(i + 1, close);
      if (raw.includes("<")) fail(`"<" is not allowed in the value of attribute ${attribute}`, i);
      if (attributes.has(attribute)) fail(`attribute ${attribute} appears twice in <${name}>`, i);
      // XML 1.0 §3.3.3: literal white space in attribute values reads as spaces.
      attributes.set(attribute, decode(raw.replace(/[\t\n]/g, " "), i + 1));
      i = close + 1;
    }

    /** An attribute by local name, any case, trimmed; undefined when absent or empty. */
    const attributeValue = (wanted: string): string | undefined => {
      for (const [key, value] of attributes) if (key.slice(key.lastIndexOf(":") + 1).toLowerCase() === wanted && value.trim()) return value.trim();
      return undefined;
    };

    const local = name.slice(name.lastIndexOf(":") + 1).toLowerCase();
    const parent = stack.at(-1);
    const frame: Frame = { name, kind: Kind.Other };
    if (!parent) {
      if (sawRoot) fail(`a second root element <${name}>`, lt);
      if (local !== "rss") fail(`the root element is <${name}>, not <rss>: this is not an RSS feed`, lt);
      sawRoot = true;
      frame.kind = Kind.Rss;
    } else if (parent.kind === Kind.Rss && local === "channel" && !channel) {
      channel = {};
      const count = attributeValue("count");
      if (count) channel.count = count;
      frame.kind = Kind.Channel;
      frame.target = channel;
    } else if (parent.kind === Kind.Channel && local === "item") {
      const item: FeedItem = {};
      items.push(item);
      frame.kind = Kind.Item;
      frame.target = item as Record<string, unknown>;
    } else if (parent.kind === Kind.Channel && local === "link" && attributeValue("href") !== undefined) {
      // <atom:link rel href/> (any prefix): WebSub discovery reads rel="hub" and rel="self"; the RSS
      // <link> (text, no href) is the field below.
      const rel = attributeValue("rel")?.toLowerCase();
      const href = attributeValue("href");
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
        const attributeName = URL_WITH_ATTRIBUTE[field];
        if (attributeName) frame.attribute = attributeValue(attributeName);
      }
    }
    if (selfClosing) finish(frame);
    else if (stack.push(frame) > MAX_DEPTH) fail(`elements are nested more than ${MAX_DEPTH} deep`, lt);
    return i;
  };

  const scan = (): void => {
    let pos = 0;
    while (pos < src.length) {
      const lt = src.indexOf("<", pos);
      const textEnd = lt < 0 ? src.length : lt;
      if (textEnd > pos) {
        const text = src.slice(pos, textEnd);
        const top = stack.at(-1);
        if (top) {
          const value = decode(text, pos);
          top.parts?.push(value);
        } else if (/\S/.test(text)) {
          fail(sawRoot ? "text after the end of the feed" : "text before the first element: this is not an XML feed", pos);
        }
      }
      if (lt < 0) break;

      if (src.startsWith("<!--", lt)) {
        const close = src.indexOf("-->", lt + 4);
        if (close < 0) fail("a comment is not closed (missing -->)", lt);
        pos = close + 3;
      } else if (src.startsWith("<![CDATA[", lt)) {
        const close = src.indexOf("]]>", lt + 9);
        if (close < 0) fail("a CDATA section is not closed (missing ]]>)", lt);
        const top = stack.at(-1);
        if (!top) fail("CDATA outside the root element", lt);
        top!.parts?.push(src.slice(lt + 9, close));
        pos = close + 3;
      } else if (src.startsWith("<?", lt)) {
        const target = readName(lt + 2);
        // The XML declaration belongs before the root element (leniently: not necessarily first).
        if (target.toLowerCase() === "xml" && (sawRoot || stack.length)) fail("<?xml ...?> may only come before the root element", lt);
        const close = src.indexOf("?>", lt + 2 + target.length);
        if (close < 0) fail("a processing instruction is not closed (missing ?>)", lt);
        pos = close + 2;
      } else if (src.startsWith("<!", lt)) {
        fail(
          /^<!doctype/i.test(src.slice(lt, lt + 9))
            ? "<!DOCTYPE> is not allowed in a feed (no DTDs, no custom entities)"
            : 'unexpected "<!" (only comments and CDATA sections start that way)',
          lt,
        );
      } else if (src.startsWith("</", lt)) {
        const name = readName(lt + 2);
        let i = lt + 2 + name.length;
        while (isSpace(src.charCodeAt(i))) i++;
        if (src[i] !== ">") fail(`</${name}> is not finished`, lt);
        const open = stack.pop();
        if (!open) fail(`</${name}> closes nothing`, lt);
        if (open!.name !== name) fail(`</${name}> does not match <${open!.name}>`, lt);
        finish(open!);
        if (open!.kind === Kind.Item && options.stopAfter?.(open!.target as FeedItem, items.length - 1)) throw new StopReading();
        pos = i + 1;
      } else {
        pos = startTag(lt);
      }
    }
  };
  try {
    scan();
  } catch (error) {
    if (error instanceof StopReading) return { channel: channel as FeedChannel, items, complete: false };
    throw error;
  }

  const unclosed = stack.at(-1);
  if (unclosed) fail(`<${unclosed.name}> is not closed`, src.length);
  if (!sawRoot) throw new FeedReadError("the feed has no root element");
  if (!channel) throw new FeedReadError("<rss> has no <channel>");
  return { channel: channel as FeedChannel, items, complete: true };
}
