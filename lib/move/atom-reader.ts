/**
 * A small, lenient reader of Atom feeds (RFC 4287) for `npm run import`, on the principles of
 * lib/shared/remote-feed-reader.ts: the document is read by lib/validate/xml-tree.ts (no DTDs, five
 * entities, bounded depth and size, linear scans), then only what an import needs is taken, leniently:
 * elements by local name in the Atom namespace or in none, values trimmed, an empty value absent, the
 * first one winning. Text constructs (title, subtitle, summary, content) come back as HTML whatever
 * their type ("text" escaped, "html" as is, "xhtml" re-serialized), so the importer has one path.
 */
import { plainText } from "../publish/markdown.ts";
import { ATOM_NS } from "../shared/spec.ts";
import { attributeOf, childElements, innerXml, ownText, XML_NAMESPACE, type XmlDocument, type XmlElement } from "../validate/xml-tree.ts";

/** RFC 4685 (Atom Threading Extensions). */
export const THREAD_NS = "http://purl.org/syndication/thread/1.0";

export interface AtomLink {
  rel: string;
  href: string;
  type?: string;
}

export interface AtomEntry {
  id?: string;
  /** Plain text. */
  title?: string;
  published?: string;
  updated?: string;
  /** The entry's content (or, without one, its summary) as HTML. */
  html?: string;
  /** rel="alternate" (or a link without rel). */
  link?: string;
  /** xml:lang in scope. */
  language?: string;
  /** RFC 4685 §3 thr:in-reply-to: the replied entry's atom:id (ref) and where it is (href). */
  inReplyTo?: { ref: string; href?: string };
  /** The Atom microblog design's rel="via" title="repost" link: the reposted account's feed. */
  repostOf?: string;
  line: number;
}

export interface AtomFeed {
  title?: string;
  subtitle?: string;
  authorName?: string;
  icon?: string;
  logo?: string;
  language?: string;
  links: AtomLink[];
  entries: AtomEntry[];
}

const isAtom = (element: XmlElement): boolean => element.ns === ATOM_NS || element.ns === undefined;

function first(parent: XmlElement, local: string): XmlElement | undefined {
  return childElements(parent, local).find((child) => isAtom(child) && ownText(child).trim() !== "") ?? childElements(parent, local).find(isAtom);
}

function text(parent: XmlElement, local: string): string | undefined {
  const element = first(parent, local);
  const value = element ? ownText(element).trim() : "";
  return value || undefined;
}

const escapeHtml = (value: string) => value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** RFC 4287 §3.1 text construct -> HTML (undefined when empty or out of line). */
function textConstructHtml(element: XmlElement | undefined): string | undefined {
  if (!element || attributeOf(element, "src")) return undefined;
  const type = (attributeOf(element, "type")?.value ?? "text").trim().toLowerCase();
  let html: string;
  if (type === "xhtml") {
    const div = childElements(element, "div")[0];
    html = div ? innerXml(div) : innerXml(element);
  } else if (type === "html" || type === "text/html") {
    html = ownText(element);
  } else {
    const value = ownText(element).trim();
    html = value
      .split(/\n\s*\n/)
      .map((paragraph) => `<p>${escapeHtml(paragraph.trim()).replace(/\n/g, "<br>")}</p>`)
      .join("\n");
  }
  return html.trim() ? html.trim() : undefined;
}

/** A text construct as plain text (titles). */
function textConstructPlain(element: XmlElement | undefined): string | undefined {
  if (!element) return undefined;
  const type = (attributeOf(element, "type")?.value ?? "text").trim().toLowerCase();
  const raw = type === "xhtml" ? innerXml(element) : ownText(element);
  // A text construct's characters are already its text (the parser decoded them once); html and
  // xhtml hold markup whose entities are text once more.
  const plain = type === "text" ? raw.replace(/\s+/g, " ").trim() : plainText(raw);
  return plain || undefined;
}

function links(parent: XmlElement): AtomLink[] {
  return childElements(parent, "link")
    .filter(isAtom)
    .flatMap((element) => {
      const href = attributeOf(element, "href")?.value.trim();
      if (!href) return [];
      const link: AtomLink = { rel: (attributeOf(element, "rel")?.value ?? "alternate").trim(), href };
      const type = attributeOf(element, "type")?.value.trim();
      if (type) link.type = type;
      return [link];
    });
}

function language(element: XmlElement, inherited: string | undefined): string | undefined {
  return attributeOf(element, "lang", XML_NAMESPACE)?.value.trim() || inherited;
}

/** The feed, or undefined when the root is not an Atom <feed>. */
export function readAtom(doc: XmlDocument): AtomFeed | undefined {
  const root = doc.root;
  if (root.local !== "feed" || !isAtom(root)) return undefined;
  const feedLanguage = language(root, undefined);
  const feed: AtomFeed = { links: links(root), entries: [] };
  const title = textConstructPlain(first(root, "title"));
  const subtitle = textConstructPlain(first(root, "subtitle"));
  const author = first(root, "author");
  const authorName = author ? text(author, "name") : undefined;
  const icon = text(root, "icon");
  const logo = text(root, "logo");
  if (title) feed.title = title;
  if (subtitle) feed.subtitle = subtitle;
  if (authorName) feed.authorName = authorName;
  if (icon) feed.icon = icon;
  if (logo) feed.logo = logo;
  if (feedLanguage) feed.language = feedLanguage;
  for (const element of childElements(root, "entry").filter(isAtom)) {
    const entry: AtomEntry = { line: element.line };
    const id = text(element, "id");
    const entryTitle = textConstructPlain(first(element, "title"));
    const published = text(element, "published");
    const updated = text(element, "updated");
    const html = textConstructHtml(first(element, "content")) ?? textConstructHtml(first(element, "summary"));
    const alternate = links(element).find((link) => link.rel === "alternate");
    const entryLanguage = language(element, feedLanguage);
    if (id) entry.id = id;
    if (entryTitle) entry.title = entryTitle;
    if (published) entry.published = published;
    if (updated) entry.updated = updated;
    if (html) entry.html = html;
    if (alternate) entry.link = alternate.href;
    if (entryLanguage) entry.language = entryLanguage;
    const reply = childElements(element, "in-reply-to").find((child) => child.ns === THREAD_NS && attributeOf(child, "ref")?.value.trim());
    if (reply) {
      const href = attributeOf(reply, "href")?.value.trim();
      entry.inReplyTo = { ref: attributeOf(reply, "ref")!.value.trim(), ...(href ? { href } : {}) };
    }
    const repost = childElements(element, "link").find(
      (link) => isAtom(link) && attributeOf(link, "rel")?.value.trim() === "via" && attributeOf(link, "title")?.value.trim().toLowerCase() === "repost",
    );
    const repostHref = repost ? attributeOf(repost, "href")?.value.trim() : undefined;
    if (repostHref) entry.repostOf = repostHref;
    feed.entries.push(entry);
  }
  return feed;
}
