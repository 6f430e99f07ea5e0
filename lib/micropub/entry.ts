/**
 * An h-entry from a Micropub create request (§3.3) -> a post draft (lib/shared/post-file.ts), the
 * same draft the owner's Write page hands to the write path. Pure: the timeline items an
 * in-reply-to or repost-of names are looked up by the caller and passed in.
 *
 * What becomes of each property (docs/micropub.md has the table):
 * - content: a string is the post's markdown, as typed on the Write page; {"html": ...} (§3.3.2,
 *   example 30) is cut to what a post may hold (lib/shared/post-html.ts) and kept as one raw HTML
 *   block (content-html.ts); {"value": ...} is text.
 * - name: a title, written as the post's first line (a heading): Open Microblog items have none.
 * - in-reply-to: an item of our timeline (someone we follow) -> reply_to, so they are notified;
 *   any other http(s) URL -> in_reply_to (a plain-URL reply, u-in-reply-to on the post page).
 * - repost-of: an item of our timeline -> repost (their words quoted); anything else is refused,
 *   since a repost quotes an item we hold.
 * - photo, video, audio: URLs (§3.3.1: "MUST also accept a URL value"), added to the text as an
 *   image or a link. Files are refused (request.ts): there is no media endpoint.
 * - mp-slug: the file's name in git (posts/<day>-<slug>.md); the URL is the id's, /posts/<id>/.
 * - category, published, summary, syndication, location, mp-syndicate-to and anything else: ignored
 *   (§3.3.5: "MUST ignore unrecognized properties"); `ignored` lists them, q=config says so.
 */

import type { TimelineItem } from "../shared/api-types.ts";
import type { PostDraft } from "../shared/post-file.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { parseHttpUrl } from "../shared/urls.ts";
import { escapeHtmlText, escapeMarkdownInline, htmlContentBlock } from "./content-html.ts";

/** What this endpoint makes of an h-entry (q=config "post-types"). */
export const POST_TYPES = [
  { type: "note", name: "Note" },
  { type: "reply", name: "Reply" },
  { type: "repost", name: "Repost" },
] as const;

const USED = new Set(["content", "name", "in-reply-to", "repost-of", "photo", "video", "audio"]);
const UNSUPPORTED_KINDS = ["like-of", "bookmark-of", "rsvp", "checkin", "quotation-of"];

/** The parts of an entry before its references are looked up. */
export interface EntryParts {
  text: string;
  /** The content came as HTML (q=source answers {"html": ...} for it, §3.7.2). */
  html: boolean;
  inReplyTo?: string | undefined;
  repostOf?: string | undefined;
  slug?: string | undefined;
  /** Properties that were ignored (§3.3.5), for the answer's description. */
  ignored: string[];
}

/** A property's one value as a string: a string, or the URL of an h-cite / {value} object (microformats2 JSON). */
function oneString(values: unknown[] | undefined, name: string): Result<string | undefined, string> {
  if (!values || values.length === 0) return ok(undefined);
  if (values.length > 1) return err(`${name}: one value only (a post answers one thing)`);
  const value = values[0];
  if (typeof value === "string") return ok(value);
  if (value && typeof value === "object") {
    const object = value as { value?: unknown; properties?: { url?: unknown } };
    const url = Array.isArray(object.properties?.url) ? object.properties.url[0] : undefined;
    if (typeof url === "string") return ok(url);
    if (typeof object.value === "string") return ok(object.value);
  }
  return err(`${name}: must be a URL`);
}

function urlValue(values: unknown[] | undefined, name: string): Result<string | undefined, string> {
  const value = oneString(values, name);
  if (!value.ok || value.value === undefined) return value;
  const url = parseHttpUrl(value.value.trim());
  return url ? ok(url.href) : err(`${name}: must be an absolute http(s) URL`);
}

function contentOf(values: unknown[] | undefined): Result<{ text: string; html: boolean }, string> {
  const value = values?.[0];
  if (value === undefined) return ok({ text: "", html: false });
  if (typeof value === "string") return ok({ text: value, html: false });
  if (value && typeof value === "object") {
    const { html, value: plain } = value as { html?: unknown; value?: unknown };
    if (typeof html === "string") return ok({ text: html, html: true });
    if (typeof plain === "string") return ok({ text: plain, html: false });
  }
  return err('content: must be text or {"html": "..."}');
}

/** A photo, video or audio value: a URL, or {"value": URL, "alt": text} (§3.3.2, example 5). */
function mediaOf(values: unknown[] | undefined, name: string): Result<{ url: string; alt: string }[], string> {
  const media: { url: string; alt: string }[] = [];
  for (const value of values ?? []) {
    const object = value as { value?: unknown; alt?: unknown } | null;
    const raw = typeof value === "string" ? value : typeof object?.value === "string" ? object.value : undefined;
    const url = raw === undefined ? undefined : parseHttpUrl(raw.trim());
    if (!url) return err(`${name}: must be an http(s) URL (files are not taken: there is no media endpoint)`);
    const alt = typeof object?.alt === "string" ? object.alt : "";
    media.push({ url: url.href, alt: alt.replace(/\s+/g, " ").trim() });
  }
  return ok(media);
}

/** The text with the title before it and the media after it, in the content's own form. */
function assemble(content: { text: string; html: boolean }, name: string | undefined, media: { kind: string; url: string; alt: string }[]): string {
  const title = name?.replace(/\s+/g, " ").trim();
  // A client that sends the note's text as its name too (older clients did) gets no title twice.
  const withTitle = title && !content.text.replace(/\s+/g, " ").trim().startsWith(title) ? title : undefined;
  if (content.html) {
    const parts = [withTitle ? `<h1>${escapeHtmlText(withTitle)}</h1>` : "", content.text];
    for (const { kind, url, alt } of media) {
      const src = escapeHtmlText(url);
      parts.push(kind === "photo" ? `<p><img src="${src}" alt="${escapeHtmlText(alt)}"></p>` : `<p><a href="${src}">${src}</a></p>`);
    }
    return htmlContentBlock(parts.join("\n"));
  }
  const parts = [withTitle ? `# ${escapeMarkdownInline(withTitle)}` : "", content.text.trim()];
  for (const { kind, url, alt } of media) parts.push(kind === "photo" ? `![${escapeMarkdownInline(alt)}](<${url}>)` : `<${url}>`);
  return parts.filter(Boolean).join("\n\n");
}

/** Reads the entry's properties; refuses what cannot become a post (every message names the property). */
export function readEntry(type: string, properties: Record<string, unknown[]>, commands: Record<string, unknown[]>): Result<EntryParts, string> {
  if (type !== "entry") return err(`h=${type.slice(0, 40)}: only h-entry posts are made here (§3.3)`);
  const content = contentOf(properties.content);
  if (!content.ok) return content;
  const name = oneString(properties.name, "name");
  if (!name.ok) return name;
  const inReplyTo = urlValue(properties["in-reply-to"], "in-reply-to");
  if (!inReplyTo.ok) return inReplyTo;
  const repostOf = urlValue(properties["repost-of"], "repost-of");
  if (!repostOf.ok) return repostOf;
  const slug = oneString(commands["mp-slug"], "mp-slug");
  if (!slug.ok) return slug;
  if (inReplyTo.value && repostOf.value) return err("in-reply-to and repost-of: a post is a reply or a repost, not both");
  const media: { kind: string; url: string; alt: string }[] = [];
  for (const kind of ["photo", "video", "audio"]) {
    const found = mediaOf(properties[kind], kind);
    if (!found.ok) return err(found.error);
    media.push(...found.value.map((item) => ({ kind, ...item })));
  }
  const text = assemble(content.value, name.value, media);
  const unsupported = UNSUPPORTED_KINDS.filter((kind) => kind in properties);
  if (!text.trim() && !repostOf.value) {
    const why = unsupported.length ? ` (${unsupported.join(", ")} is not a kind of post made here: notes, replies and reposts are)` : "";
    return err(`content: nothing to post${why}`);
  }
  const ignored = Object.keys(properties).filter((key) => !USED.has(key));
  return ok({ text, html: content.value.html, inReplyTo: inReplyTo.value, repostOf: repostOf.value, slug: slug.value, ignored });
}

/** The ways one URL may be spelled in a feed's <link>: as given, and with or without its trailing slash. */
export function urlSpellings(url: string): { links: string[]; feedItem?: { userLink: string; guid: string } } {
  const parsed = new URL(url);
  const hash = parsed.hash.slice(1);
  const links = [url, url.endsWith("/") ? url.slice(0, -1) : `${url}/`];
  if (!hash) return { links };
  parsed.hash = "";
  return { links, feedItem: { userLink: parsed.href, guid: decodeURIComponent(hash) } };
}

const refOf = (item: TimelineItem) => ({
  user_id: item.user_id,
  user_link: item.user_link,
  status_id: item.guid,
  username: item.username,
  ...(item.link ? { link: item.link } : {}),
});

/**
 * The draft, once the references are looked up: `replyItem` / `repostItem` are the timeline items
 * in-reply-to / repost-of named (timelineItemOf, as the owner's Reply and Repost buttons use).
 */
export function entryDraft(parts: EntryParts, replyItem: TimelineItem | undefined, repostItem: TimelineItem | undefined): Result<PostDraft, string> {
  const draft: PostDraft = { text: parts.text };
  if (parts.slug) draft.slug = parts.slug;
  if (parts.inReplyTo) {
    if (replyItem) draft.reply_to = refOf(replyItem);
    else draft.in_reply_to = parts.inReplyTo;
  }
  if (parts.repostOf) {
    if (!repostItem) return err("repost-of: not an item of your timeline; a repost quotes a post of someone you follow (follow them first)");
    const pubdate = Date.parse(repostItem.date);
    draft.repost = { ...refOf(repostItem), pubdate, text: repostItem.text.trim() || repostItem.link || repostItem.guid };
  }
  return ok(draft);
}
