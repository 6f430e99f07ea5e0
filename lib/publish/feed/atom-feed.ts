/**
 * The Atom alternate feed (RFC 4287): the same posts as the Open Microblog RSS chain, for the
 * Atom + WebSub microblog design (../shared/specs/atom-microblog-with-websub.txt) and for every feed
 * reader that speaks Atom.
 *
 *   /atom.xml        the head page: the newest posts, rel="self", rel="alternate" to the profile page,
 *                    one rel="hub" per hub of the profile (WebSub §4: discovery), rel="prev-archive"
 *   /atom/<k>.xml    archive k (k = 1 is the oldest), RFC 5005 §4: <fh:archive/>, rel="current"
 *                    (the head) and rel="prev-archive" (archive k-1)
 *
 * Pages are cut exactly where the RSS chain is cut (lib/publish/site.ts hands in the RSS chain's
 * pages): the RSS chain's cut points depend only on the posts before them, so an Atom archive holds
 * the same posts for ever and, like every writer here, renders the same bytes from the same input.
 * Archives therefore carry nothing that can change later: no hubs (WebSub topics are head pages), no
 * "next-archive" link, no links derived from follows.yaml.
 *
 * Ids: lib/publish/feed/atom-ids.ts (urn:uuid from user_id and guid, not from the URL). Dates:
 * RFC 3339 in UTC. `updated` of an entry is its `published` (a post's file records no edit time and
 * the build reads no clock); `updated` of a page is its newest entry's, so an archive keeps its date.
 */
import { create } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import { formatIsoUtc } from "../../shared/dates.ts";
import { ATOM_NS, FEED_HISTORY_NS } from "../../shared/spec.ts";
import type { SiteUrls } from "../../shared/urls.ts";
import type { Post } from "../posts.ts";
import type { Profile } from "../site-schemas.ts";
import { atomEntryId, atomFeedId } from "./atom-ids.ts";
import { absoluteImageUrl, displayName } from "./main-feed.ts";
import { utf8Length } from "./paginate.ts";
import { XmlLines } from "./xml-lines.ts";
import { addText, chainLinks, HeaderTooLargeError, type PageLinks, xmlText } from "./xml-writer.ts";

/** RFC 4685 (Atom Threading Extensions). */
export const THREAD_NS = "http://purl.org/syndication/thread/1.0";
const XML_NS = "http://www.w3.org/XML/1998/namespace";
export const ATOM_CONTENT_TYPE = "application/atom+xml";

/**
 * The `updated` of a page without entries (a site with no posts yet): 1970-01-01T00:00:00Z, read as
 * "unknown". RFC 4287 requires the element; the clock would make two builds differ.
 */
export const UNKNOWN_ATOM_DATE = 0;

export interface AtomContext {
  profile: Profile;
  urls: SiteUrls;
  /** Hub URLs (`self` already resolved to our hub's URL), declared on the head page only. */
  hubs: readonly string[];
  /** Bytes the page may take besides its entries (as for the RSS pages: lib/publish/feed/paginate.ts). */
  headerReserveBytes: number;
}

export interface AtomPage {
  links: PageLinks;
  /** Serialized entries, newest first. */
  entries: readonly string[];
  /** Newest entry's date on this page (epoch ms), or UNKNOWN_ATOM_DATE. */
  updated: number;
}

function attributes(values: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) out[key] = xmlText(value);
  return out;
}

function link(parent: XMLBuilder, values: Record<string, string | undefined>): void {
  parent.ele("link", attributes(values));
}

/**
 * One <entry>, serialized on its own (indented for its place in <feed>) so the page writer can join
 * entries without re-rendering them. An entry with a reply declares the thr prefix itself: the text
 * must stay well-formed on its own.
 */
export function renderAtomEntry(post: Post, context: AtomContext): string {
  const { profile, urls } = context;
  // Kept per post object as the RSS items are (main-feed.ts renderPostItem); the key is all it reads of the context.
  const key = `${profile.user_id}\0${profile.language}\0${urls.base}`;
  const known = renderedEntries.get(post);
  if (known?.key === key) return known.xml;
  const xml = renderEntry(post, context);
  renderedEntries.set(post, { key, xml });
  return xml;
}

const renderedEntries = new WeakMap<Post, { key: string; xml: string }>();

function renderEntry(post: Post, context: AtomContext): string {
  const { profile, urls } = context;
  const entry = new XmlLines(1).open("entry", {
    "xmlns:thr": post.replyTo ? THREAD_NS : undefined,
    "xml:lang": post.language && post.language !== profile.language ? post.language : undefined,
  });
  entry.text("id", atomEntryId(profile.user_id, post.guid));
  entry.text("title", post.summary);
  entry.empty("link", { rel: "alternate", type: "text/html", href: urls.post(post.guid) });
  entry.text("published", formatIsoUtc(post.date));
  entry.text("updated", formatIsoUtc(post.date));
  entry.description("content", post.html, { type: "html" });
  if (post.replyTo) {
    // RFC 4685 §3: ref is the replied entry's atom:id (what its own Atom feed, if Skein's, calls it);
    // href a representation of it: their feed, the one URL an Open Microblog reply names.
    entry.empty("thr:in-reply-to", { ref: atomEntryId(post.replyTo.user_id, post.replyTo.status_id), href: post.replyTo.user_link });
    // The Atom microblog design: "the entry being replied to can be referenced with a ref="via" link having title="reply"".
    entry.empty("link", { rel: "via", title: "reply", href: post.replyTo.user_link });
  }
  if (post.repost) {
    // The same design: title="repost" on a via link "for (full or partial) copying an entry from another micro-blog".
    entry.empty("link", { rel: "via", title: "repost", href: post.repost.user_link });
  }
  return entry.close("entry").end();
}

/** A whole Atom page: the feed's head section and its entries, newest first. */
export function renderAtomPage(page: AtomPage, context: AtomContext): string {
  const { profile, urls } = context;
  const { links } = page;
  const rootAttributes: Record<string, string> = { xmlns: ATOM_NS };
  if (links.archive) rootAttributes["xmlns:fh"] = FEED_HISTORY_NS;
  const doc = create({ version: "1.0", encoding: "UTF-8" }).ele("feed", rootAttributes);
  doc.att(XML_NS, "xml:lang", profile.language);
  addText(doc, "id", atomFeedId(profile.user_id));
  addText(doc, "title", `${displayName(profile)} (@${profile.username})`);
  addText(doc, "subtitle", profile.bio);
  addText(doc, "updated", formatIsoUtc(page.updated));
  const author = doc.ele("author");
  addText(author, "name", displayName(profile));
  addText(author, "uri", urls.profile);
  link(doc, { rel: "self", type: ATOM_CONTENT_TYPE, href: links.selfUrl });
  link(doc, { rel: "alternate", type: "text/html", href: urls.profile });
  if (links.archive) {
    link(doc, { rel: "current", type: ATOM_CONTENT_TYPE, href: links.headUrl });
    doc.ele("fh:archive");
  } else {
    for (const hub of context.hubs) link(doc, { rel: "hub", href: hub });
  }
  if (links.olderUrl) link(doc, { rel: "prev-archive", type: ATOM_CONTENT_TYPE, href: links.olderUrl });
  if (profile.portrait) addText(doc, "icon", absoluteImageUrl(profile.portrait, urls));
  if (profile.header) addText(doc, "logo", absoluteImageUrl(profile.header, urls));
  doc.ele("generator").txt("Skein");
  const shell = `${doc.end({ prettyPrint: true, wellFormed: true })}\n`;
  if (utf8Length(shell) > context.headerReserveBytes) throw new HeaderTooLargeError(links.selfUrl, utf8Length(shell), context.headerReserveBytes);
  if (page.entries.length === 0) return shell;
  const closing = shell.lastIndexOf("</feed>");
  return `${shell.slice(0, closing)}${page.entries.join("\n")}\n${shell.slice(closing)}`;
}

export interface AtomFile {
  /** Site-root-relative path, e.g. "/atom/3.xml". */
  permalink: string;
  render(): string;
  /** What render() reads (lib/publish/site.ts XmlFile). */
  inputs(): unknown;
}

/**
 * The Atom chain for the RSS chain's pages (oldest page first, each page's posts oldest first):
 * page k of one is page k of the other.
 */
export function atomChain(pages: readonly (readonly Post[])[], context: AtomContext, paths: { head: string; archive(k: number): string }): AtomFile[] {
  const links = chainLinks(pages.length, context.urls.atom, context.urls.atomArchive);
  return pages.map((posts, i) => {
    const isHead = i === pages.length - 1;
    const newest = posts.at(-1);
    return {
      permalink: isHead ? paths.head : paths.archive(i + 1),
      render: () =>
        renderAtomPage(
          {
            links: links[i]!,
            entries: posts.map((post) => renderAtomEntry(post, context)).reverse(),
            updated: newest ? newest.date : UNKNOWN_ATOM_DATE,
          },
          context,
        ),
      inputs: () => [context, links[i], posts],
    };
  });
}

/** The profile's `hubs:` as URLs: `self` is our own hub on the Worker (lib/websub/hub-routes.ts). */
export function declaredHubs(profile: Pick<Profile, "hubs">, urls: Pick<SiteUrls, "hub">): string[] {
  return profile.hubs.map((hub) => (hub === "self" ? urls.hub : hub));
}
