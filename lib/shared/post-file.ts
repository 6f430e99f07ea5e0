/**
 * The one function that turns a post draft into the markdown file Skein keeps in posts/: `npm run
 * new` on a laptop, the owner's pages and the Worker's write path (lib/write/) all call it, so a
 * post looks the same in git wherever it was written. Pure: the caller passes the time, the id (one
 * past the highest guid in use, lib/publish/guids.ts) and which file names are taken.
 *
 * Strangers' words land in our front matter (a reply's user_link, a repost's quoted text), so every
 * value that is not our own formatting is written as a YAML double-quoted scalar with every
 * character outside printable text escaped (YAML 1.2 §7.3.1): no value can end the scalar, open a
 * new key, or close the front matter. What they wrote stays text: the build renders a repost's
 * `text` with raw HTML escaped (lib/publish/markdown.ts renderQuotedMarkdown).
 */
import * as z from "zod/mini";
import { formatIsoUtc } from "./dates.ts";
import { httpUrl, idPattern, languageTag, otherUserId, otherUsername, xmlSafe } from "./schemas.ts";

/** Characters a post's own text may hold (the owner's words); a repost's quoted text the same. */
export const POST_TEXT_MAX = 10_000;

/** Someone else's item, as the spec's reply_to / repost elements name it (spec "Item Elements"). */
export interface OtherItemRef {
  user_id: string;
  /** Their feed's URL (the spec's user_link). */
  user_link: string;
  /** Their item's guid. */
  status_id: string;
  username?: string | undefined;
  /** Their item's own page, when known: the post page's u-in-reply-to / u-repost-of (microformats2). */
  link?: string | undefined;
}

export interface RepostRef extends OtherItemRef {
  /** Their item's date, epoch ms. */
  pubdate: number;
  /** Their words, as text (the build shows it quoted, raw HTML escaped). */
  text: string;
}

export interface PostDraft {
  /** The owner's words (markdown); may be empty only for a repost without a comment. */
  text: string;
  language?: string | undefined;
  reply_to?: OtherItemRef | undefined;
  /** A reply to a web page that is not an Open Microblog item (an IndieWeb post): its URL. */
  in_reply_to?: string | undefined;
  repost?: RepostRef | undefined;
  /** What the file is named after in place of the first words (Micropub's mp-slug); never the URL, which is the id. */
  slug?: string | undefined;
}

const boundedText = (max: number) => z.string().check(z.maxLength(max, `must be at most ${max} characters`), xmlSafe());
const otherItem = {
  user_id: otherUserId,
  user_link: httpUrl,
  status_id: z.string().check(z.regex(idPattern, "must be 1-128 URL-safe characters")),
  username: z.optional(otherUsername),
  link: z.optional(httpUrl),
};

/** A draft as any writer hands it over (a form, the owner API, Micropub, the command line). */
export const postDraft = z
  .strictObject({
    text: boundedText(POST_TEXT_MAX),
    language: z.optional(languageTag),
    reply_to: z.optional(z.strictObject(otherItem)),
    in_reply_to: z.optional(httpUrl),
    repost: z.optional(
      z.strictObject({
        ...otherItem,
        pubdate: z.int().check(z.nonnegative("must be a date"), z.lte(8_640_000_000_000_000, "must be a date")),
        text: boundedText(POST_TEXT_MAX).check(z.refine((value: string) => value.trim() !== "", "must not be empty")),
      }),
    ),
    slug: z.optional(z.string().check(z.maxLength(200, "must be at most 200 characters"))),
  })
  .check(
    z.refine((draft) => !(draft.reply_to && draft.repost), "a post can be a reply or a repost, not both"),
    z.refine((draft) => !(draft.in_reply_to && (draft.reply_to || draft.repost)), "in_reply_to (a web page) cannot be combined with reply_to or repost"),
    z.refine((draft) => draft.text.trim() !== "" || draft.repost !== undefined, "text: write the post (only a repost may have no text of its own)"),
  );

/** "Hello, wide world! Again" -> "hello-wide-world-again" (ASCII letters and digits, at most 6 words). */
export function slugify(text: string): string {
  const words = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter(Boolean)
    .slice(0, 6);
  const slug = words.join("-").slice(0, 48).replace(/-+$/, "");
  return slug || "post";
}

/** Escaped in a double-quoted scalar: controls, DEL/C1, the Unicode line and paragraph separators, a BOM. */
const ESCAPED = /[\u0000-\u001f"\\\u007f-\u009f\u2028\u2029\ufeff]/g;
const SHORT: Record<string, string> = { "\n": "\\n", "\t": "\\t", '"': '\\"', "\\": "\\\\" };

/** A YAML 1.2 double-quoted scalar (§7.3.1) holding exactly `value`. */
export function yamlQuoted(value: string): string {
  return `"${value.replace(ESCAPED, (ch) => SHORT[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

function refLines(key: string, ref: OtherItemRef, extra: string[] = []): string[] {
  const lines = [`${key}:`, `  user_id: ${yamlQuoted(ref.user_id)}`];
  if (ref.username !== undefined) lines.push(`  username: ${yamlQuoted(ref.username)}`);
  lines.push(`  user_link: ${yamlQuoted(ref.user_link)}`, `  status_id: ${yamlQuoted(ref.status_id)}`);
  if (ref.link !== undefined) lines.push(`  link: ${yamlQuoted(ref.link)}`);
  lines.push(...extra);
  return lines;
}

const lf = (text: string) => text.replace(/\r\n?/g, "\n");

/** The text the name is made from: the owner's words, else (a plain repost) "repost <who> <their words>". */
function slugSource(draft: PostDraft): string {
  if (draft.slug && slugify(draft.slug) !== "post") return draft.slug;
  if (draft.text.trim() || !draft.repost) return draft.text;
  return `repost ${draft.repost.username ?? ""} ${draft.repost.text}`;
}

/** The markdown below the file's front matter and a repost's `text`, exactly as postFile() writes them. */
export function postFileWords(draft: PostDraft): { body: string; repostText: string | undefined } {
  const body = lf(draft.text).trim();
  return { body: body ? `${body}\n` : "", repostText: draft.repost ? lf(draft.repost.text).trim() : undefined };
}

/**
 * posts/<day>-<slug>.md and its markdown: `date` (seconds), `id`, `language`, then `reply_to`,
 * `in_reply_to` or `repost`, then the text. The first name `taken` says is free (-2, -3, ... after the slug).
 */
export function postFile(draft: PostDraft, at: { now: number; id: number }, taken: (name: string) => boolean): { name: string; content: string } {
  const day = formatIsoUtc(at.now).slice(0, 10);
  const base = `${day}-${slugify(slugSource(draft))}`;
  let name = `${base}.md`;
  for (let n = 2; taken(name); n++) name = `${base}-${n}.md`;
  // Seconds precision: enough for ordering, and what people write by hand.
  const front = [`date: ${formatIsoUtc(Math.floor(at.now / 1000) * 1000)}`, `id: ${at.id}`];
  if (draft.language) front.push(`language: ${draft.language}`);
  if (draft.reply_to) front.push(...refLines("reply_to", draft.reply_to));
  if (draft.in_reply_to) front.push(`in_reply_to: ${yamlQuoted(draft.in_reply_to)}`);
  const { body, repostText } = postFileWords(draft);
  if (draft.repost) {
    const pubdate = formatIsoUtc(Math.floor(draft.repost.pubdate / 1000) * 1000);
    front.push(...refLines("repost", draft.repost, [`  pubdate: ${pubdate}`, `  text: ${yamlQuoted(repostText ?? "")}`]));
  }
  return { name, content: `---\n${front.join("\n")}\n---\n${body}` };
}
