/**
 * The answers to GET /api/micropub?q=... (§3.7).
 *
 * - q=config (§3.7.1): no media-endpoint (there is none: a free-plan Worker keeps no files, and the
 *   write path commits markdown only -- docs/micropub.md says why), syndicate-to [] (§3.7.3), and,
 *   from the Micropub extensions every client of today reads, `post-types` and `q`. What is ignored
 *   or not supported is said in `skein` (an object of our own: clients ignore what they do not know).
 * - q=source (§3.7.2): the posts this Worker wrote (the write store, migrations/0012): their text,
 *   as {"html": ...} when it came as HTML, and what they answer. A post written in git has its source
 *   there, not here.
 * - q=syndicate-to (§3.7.3): [].
 */
import type { WrittenPost } from "../write/store.ts";
import { htmlOfBlock } from "./content-html.ts";
import { POST_TYPES } from "./entry.ts";

export const QUERIES = ["config", "source", "syndicate-to"] as const;

export function configAnswer(docsUrl: string): Record<string, unknown> {
  return {
    "syndicate-to": [],
    "post-types": POST_TYPES,
    q: QUERIES,
    skein: {
      docs: docsUrl,
      "media-endpoint": "none: photos by URL only (a free-plan Worker keeps no files; posts are markdown in git)",
      ignored: ["category (posts have no tags)", "published (a post is dated when it is committed)", "summary", "syndication", "location", "mp-syndicate-to"],
      "mp-slug": "names the file in git (posts/<day>-<slug>.md); the URL is /posts/<id>/",
      update: "not supported: edit posts/<file>.md in git",
      delete: "not supported: remove the file in git",
    },
  };
}

/** A written post as microformats2 JSON (§3.7.2), all properties or the ones asked for. */
export function sourceAnswer(post: WrittenPost, url: string, asked: readonly string[]): Record<string, unknown> {
  const { draft } = post;
  const html = htmlOfBlock(draft.text);
  const properties: Record<string, unknown[]> = {
    content: [html !== undefined ? { html } : draft.text],
    published: [post.created_at],
    url: [url],
  };
  const replyTo = draft.reply_to?.link ?? draft.in_reply_to;
  if (replyTo) properties["in-reply-to"] = [replyTo];
  else if (draft.reply_to) properties["in-reply-to"] = [`${draft.reply_to.user_link}#${draft.reply_to.status_id}`];
  if (draft.repost) properties["repost-of"] = [draft.repost.link ?? `${draft.repost.user_link}#${draft.repost.status_id}`];
  if (!draft.text.trim()) delete properties.content;
  if (asked.length === 0) return { type: ["h-entry"], properties };
  return { properties: Object.fromEntries(asked.filter((name) => name in properties).map((name) => [name, properties[name]])) };
}
