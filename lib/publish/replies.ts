/**
 * Approved replies: what the owner chose to show under their posts (issue "Conversations on the
 * site"). They are data in the repository, like the posts -- `posts/replies/<our post's guid>.yaml`,
 * one file per post, a list of the replies shown under it, written by `npm run replies -- approve`
 * and reviewed in git like any change. Removing an entry un-shows it. The feed never changes for
 * them: approved replies are not our posts.
 *
 * Everything in such a file is someone else's words and is checked like a post: every field, and
 * the text must already be what the sanitizer makes of it (lib/shared/sanitize-html.ts), so a hand
 * edit that sneaks markup in fails the build naming the file.
 */
import * as z from "zod/mini";
import { sanitizeHtml } from "../shared/sanitize-html.ts";
import { describeIssues, httpUrl, idPattern, otherUserId, otherUsername, xmlSafe } from "../shared/schemas.ts";
import { LIMITS } from "../shared/spec.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import type { FileError, Post } from "./posts.ts";
import { parseYamlText } from "./posts.ts";
import { isoDateWithZone } from "./site-schemas.ts";
import { type ApprovedWebmentionEntry, approvedWebmentionEntry, isWebmentionEntry } from "./webmention-responses.ts";

/** The folder, relative to the project, and the file of one post's replies. */
export const REPLIES_DIR = "posts/replies";
export const repliesFile = (guid: number) => `${REPLIES_DIR}/${guid}.yaml`;

/** The most text one reply may carry (a snapshot of a microblog post). */
export const MAX_REPLY_TEXT = 20_000;

export const approvedReplyEntry = z.strictObject({
  user_id: otherUserId,
  username: otherUsername,
  /** Their feed URL. */
  user_link: httpUrl,
  /** Their profile page (their feed's microblog:profile), when it has one. */
  profile: z.optional(httpUrl),
  /** Their name (their feed's microblog:user_full_name), when it has one. */
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(LIMITS.fullNameLength), xmlSafe())),
  /** Their item's guid. */
  guid: z
    .pipe(
      z.union([z.string(), z.int().check(z.nonnegative())]),
      z.transform((value) => String(value)),
    )
    .check(z.refine((value: string) => idPattern.test(value), "must be 1-128 URL-safe characters")),
  date: isoDateWithZone,
  /** Their item's permalink, when it has one. */
  link: z.optional(httpUrl),
  /** What their item answers, when it answers another reply (nested one level under it). */
  in_reply_to: z.optional(
    z.strictObject({
      status_id: z.string().check(z.regex(idPattern, "must be 1-128 URL-safe characters")),
      user_id: z.optional(otherUserId),
      user_link: z.optional(httpUrl),
    }),
  ),
  /** Their item's HTML, sanitized when it was approved. */
  text: z.string().check(
    z.minLength(1, "must not be empty"),
    z.maxLength(MAX_REPLY_TEXT, `must be at most ${MAX_REPLY_TEXT} characters`),
    xmlSafe(),
    z.refine((value: string) => sanitizeHtml(value) === value, "contains markup that is not allowed here (approve the reply again with npm run replies)"),
  ),
});
export type ApprovedReplyEntry = z.output<typeof approvedReplyEntry>;

/** A reply as the post page shows it, with the answers it has (one level). */
export interface ReplyThread {
  reply: ShownReply | ShownWebmention;
  answers: ShownReply[];
}

export type ShownReply =
  | ({ kind: "theirs" } & ApprovedReplyEntry)
  /** One of the owner's own posts that answers a shown reply. */
  | { kind: "ours"; post: Post };

/** A webmention the owner approved (lib/publish/webmention-responses.ts): shown on its own, never nested. */
export interface ShownWebmention {
  kind: "webmention";
  mention: ApprovedWebmentionEntry;
}

export interface FileSourceLike {
  file: string;
  bytes: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function sameAccount(a: { user_id?: string | undefined; user_link?: string | undefined }, b: { user_id: string; user_link: string }): boolean {
  if (a.user_id !== undefined && a.user_id === b.user_id) return true;
  const link = a.user_link ? normalizeUserLink(a.user_link) : undefined;
  return link !== undefined && link === normalizeUserLink(b.user_link);
}

/**
 * Read every replies file, check it against the published posts, and arrange each post's replies:
 * oldest first, an answer to a shown reply nested under it (one level: an answer to an answer goes
 * under the same top reply), the owner's own posts that answer a shown reply among the answers.
 */
export function loadApprovedReplies(files: readonly FileSourceLike[], posts: readonly Post[], errors: FileError[]): Map<number, ReplyThread[]> {
  const byGuid = new Map(posts.map((post) => [post.guid, post]));
  const threads = new Map<number, ReplyThread[]>();
  for (const source of files) {
    const match = /\/(0|[1-9]\d{0,14})\.yaml$/.exec(source.file);
    const guid = match ? Number(match[1]) : undefined;
    if (guid === undefined) {
      errors.push({ file: source.file, message: `is not named after a post: name it <post guid>.yaml, e.g. ${repliesFile(0)}` });
      continue;
    }
    if (!byGuid.has(guid)) {
      errors.push({ file: source.file, message: `there is no post ${guid} to show these replies under` });
      continue;
    }
    let data: unknown;
    try {
      data = parseYamlText(utf8.decode(source.bytes));
    } catch (error) {
      errors.push({ file: source.file, message: `is not valid UTF-8 YAML: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` });
      continue;
    }
    if (data === null || data === undefined) continue;
    if (!Array.isArray(data)) {
      errors.push({ file: source.file, message: "must be a YAML list of replies (each starting with `- user_id: ...`)" });
      continue;
    }
    const entries: ApprovedReplyEntry[] = [];
    const mentions: ApprovedWebmentionEntry[] = [];
    const seen = new Set<string>();
    data.forEach((raw, index) => {
      if (isWebmentionEntry(raw)) {
        const mention = approvedWebmentionEntry.safeParse(raw);
        if (!mention.success) {
          for (const message of describeIssues(mention.error.issues)) errors.push({ file: source.file, message: `webmention ${index + 1}: ${message}` });
        } else if (seen.has(`wm\u0000${mention.data.webmention}`)) {
          errors.push({ file: source.file, message: `webmention ${index + 1}: the same webmention is listed twice` });
        } else {
          seen.add(`wm\u0000${mention.data.webmention}`);
          mentions.push(mention.data);
        }
        return;
      }
      const checked = approvedReplyEntry.safeParse(raw);
      if (!checked.success) {
        for (const message of describeIssues(checked.error.issues)) errors.push({ file: source.file, message: `reply ${index + 1}: ${message}` });
        return;
      }
      const key = `${checked.data.user_id}\u0000${checked.data.guid}`;
      if (seen.has(key)) {
        errors.push({ file: source.file, message: `reply ${index + 1}: the same reply (user_id and guid) is listed twice` });
        return;
      }
      seen.add(key);
      entries.push(checked.data);
    });
    threads.set(guid, withWebmentions(arrange(entries, posts), mentions));
  }
  return threads;
}

/** Webmentions as threads of their own, in date order among the replies (a stable sort keeps ties as listed). */
function withWebmentions(threads: ReplyThread[], mentions: readonly ApprovedWebmentionEntry[]): ReplyThread[] {
  if (mentions.length === 0) return threads;
  const all = [...threads, ...mentions.map((entry): ReplyThread => ({ reply: { kind: "webmention", mention: entry }, answers: [] }))];
  const dateOf = ({ reply }: ReplyThread) => (reply.kind === "ours" ? reply.post.date : reply.kind === "webmention" ? reply.mention.date : reply.date);
  return all.sort((a, b) => dateOf(a) - dateOf(b));
}

function arrange(entries: ApprovedReplyEntry[], posts: readonly Post[]): ReplyThread[] {
  const ordered = [...entries].sort((a, b) => a.date - b.date || (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0) || (a.guid < b.guid ? -1 : 1));
  const threads: ReplyThread[] = [];
  /** Which thread each shown reply of theirs belongs to, by its account and guid. */
  const homeOf = (target: NonNullable<ApprovedReplyEntry["in_reply_to"]> | { status_id: string; user_id: string; user_link: string }) =>
    threads.find((thread) =>
      [thread.reply, ...thread.answers].some((shown) => shown.kind === "theirs" && shown.guid === target.status_id && sameAccount(target, shown)),
    );
  for (const entry of ordered) {
    const home = entry.in_reply_to ? homeOf(entry.in_reply_to) : undefined;
    if (home) home.answers.push({ kind: "theirs", ...entry });
    else threads.push({ reply: { kind: "theirs", ...entry }, answers: [] });
  }
  // The owner's own posts that answer a shown reply: among that reply's answers, in date order.
  for (const post of posts) {
    if (!post.replyTo) continue;
    const home = homeOf({ status_id: String(post.replyTo.status_id), user_id: post.replyTo.user_id, user_link: post.replyTo.user_link });
    if (home) home.answers.push({ kind: "ours", post });
  }
  const dateOf = (shown: ShownReply) => (shown.kind === "ours" ? shown.post.date : shown.date);
  for (const thread of threads) thread.answers.sort((a, b) => dateOf(a) - dateOf(b));
  return threads;
}

/** How many replies a post shows (the home page's count). */
export function replyCount(threads: readonly ReplyThread[] | undefined): number {
  return (threads ?? []).reduce((n, thread) => n + 1 + thread.answers.filter((answer) => answer.kind === "theirs").length, 0);
}
