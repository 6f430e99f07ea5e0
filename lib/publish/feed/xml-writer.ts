import { create, fragment } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import { ATOM_NS, FEED_HISTORY_NS, MICROBLOG_NS } from "../../shared/spec.ts";
import { utf8Length } from "./paginate.ts";

/** The XML writer every page of our own feeds shares (the main feed and the list feeds). */

/** Where a page sits in its chain; the same shape for the main feed and the list feeds. */
export interface PageLinks {
  /** This page's own absolute URL (atom:link rel="self"). */
  selfUrl: string;
  /** The head page's URL: the channel <link> and, on archives, RFC 5005 rel="current". */
  headUrl: string;
  /** The next older page (microblog:next_node and RFC 5005 rel="prev-archive"), if any. */
  olderUrl?: string;
  /** True for an archive page (RFC 5005 fh:archive); false for the head. */
  archive: boolean;
}

/**
 * Links of every page of a chain, oldest first, the head last: archive k lives at archiveUrl(k)
 * (k = 1 is the oldest) and points to k-1; the head points to the newest archive.
 */
export function chainLinks(pageCount: number, headUrl: string, archiveUrl: (k: number) => string): PageLinks[] {
  const links: PageLinks[] = [];
  for (let index = 0; index < pageCount; index++) {
    const isHead = index === pageCount - 1;
    const link: PageLinks = { selfUrl: isHead ? headUrl : archiveUrl(index + 1), headUrl, archive: !isHead };
    if (index > 0) link.olderUrl = archiveUrl(index);
    links.push(link);
  }
  return links;
}

/**
 * Text for xmlbuilder2, which escapes "&" only when it does not already look like an entity: "&amp;"
 * would read back as "&", and "Q&A;" would be an undefined entity (not well-formed). Escaping every
 * "&" first makes it write each one as "&amp;"; "<" and ">" it escapes itself.
 */
export function xmlText(text: string): string {
  return text.replace(/&/g, "&amp;");
}

/**
 * The text of a <description> (spec: "surrounded with <![CDATA[]]> tags"): one CDATA section, or,
 * when the text itself holds "]]>" (which ends a CDATA section, XML 1.0 §2.7), escaped text. Either
 * way the element holds ONE text node with the whole text: consumers that read only the first CDATA
 * node (the spec's reference validator, lxml's .text on some parsers) would cut a text split across
 * two sections at its first "]]>".
 */
export function addDescription(element: XMLBuilder, text: string): XMLBuilder {
  if (text.includes("]]>")) return element.txt(xmlText(text));
  return element.dat(text);
}

/** Add <name>text</name> only when there is text: never an empty element. */
export function addText(parent: XMLBuilder, name: string, text: string | number | undefined, attributes?: Record<string, string>): void {
  if (text === undefined || text === "") return;
  parent.ele(name, attributeValues(attributes)).txt(xmlText(String(text)));
}

function attributeValues(attributes: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, xmlText(value)]));
}

/** RFC 5005 links plus microblog:next_node, in one place so every chain is walked the same way. */
export function addChainLinks(channel: XMLBuilder, links: PageLinks): void {
  channel.ele("atom:link", attributeValues({ rel: "self", type: "application/rss+xml", href: links.selfUrl }));
  if (links.archive) {
    channel.ele("atom:link", attributeValues({ rel: "current", type: "application/rss+xml", href: links.headUrl }));
    channel.ele("fh:archive");
  }
  if (links.olderUrl) {
    channel.ele("atom:link", attributeValues({ rel: "prev-archive", type: "application/rss+xml", href: links.olderUrl }));
    addText(channel, "microblog:next_node", links.olderUrl);
  }
}

/** A new <rss><channel> document with the namespaces a page of this kind needs. */
export function newChannel(
  archive: boolean,
  channelAttributes: Record<string, string> = {},
  extraNamespaces: Record<string, string> = {},
): { doc: XMLBuilder; channel: XMLBuilder } {
  const rootAttributes: Record<string, string> = { version: "2.0", "xmlns:microblog": MICROBLOG_NS, "xmlns:atom": ATOM_NS, ...extraNamespaces };
  if (archive) rootAttributes["xmlns:fh"] = FEED_HISTORY_NS;
  const doc = create({ version: "1.0", encoding: "UTF-8" }).ele("rss", rootAttributes);
  const channel = doc.ele("channel", channelAttributes);
  return { doc, channel };
}

/**
 * Serialize one <item> on its own, indented for its place inside <channel>. The item declares
 * xmlns:microblog itself: the reference validator re-serialises each item alone, and a serializer
 * working on the whole document would drop the declaration as redundant.
 */
export function serializeItem(build: (item: XMLBuilder) => void): string {
  const root = fragment();
  build(root.ele("item", { "xmlns:microblog": MICROBLOG_NS }));
  return root.end({ prettyPrint: true, offset: 2, wellFormed: true });
}

export class HeaderTooLargeError extends Error {
  constructor(
    readonly url: string,
    readonly bytes: number,
    readonly reserve: number,
  ) {
    super(`the channel header of ${url} takes ${bytes} bytes but pages reserve only ${reserve}; shorten the bio or the URLs in the profile`);
  }
}

/** Finish a page: header from the builder, then the pre-serialized items, newest first. */
export function assemblePage(doc: XMLBuilder, items: readonly string[], selfUrl: string, headerReserveBytes: number): string {
  const shell = `${doc.end({ prettyPrint: true, wellFormed: true })}\n`;
  if (utf8Length(shell) > headerReserveBytes) throw new HeaderTooLargeError(selfUrl, utf8Length(shell), headerReserveBytes);
  const closing = shell.lastIndexOf("  </channel>");
  if (items.length === 0) return shell;
  return `${shell.slice(0, closing)}${items.join("\n")}\n${shell.slice(closing)}`;
}

/** Bytes an item adds to a page (its text plus the newline that separates it). */
export function itemBytes(itemXml: string): number {
  return utf8Length(itemXml) + 1;
}
