/**
 * What each post sends webmentions to (W3C Webmention §3.1.1: "a source document that mentions the
 * target"), computed by the build and carried to the Worker in its site config, like the outbox's
 * notifications. Pure and deterministic.
 *
 * A post's targets: its plain-URL `in_reply_to:` first, then every http(s) link of its own text in
 * order (not the quoted text of a repost: those are someone else's links), without
 *   - our own pages (anything under the site's base URL),
 *   - the Open Microblog item a `reply_to:` answers (the outbox notifies it the Open Microblog way),
 *   - repeats; and at most MAX_WEBMENTION_TARGETS of them.
 * Every post within NOTIFY_WINDOW_DAYS of the newest is listed, with or without targets, with a
 * fingerprint of what it says: the Worker re-sends when the fingerprint changes (§3.1.4, an edit; a
 * link taken out of the post is sent to once more, as the section asks), and when the post is gone
 * (§3.1.5, its guid is no longer published).
 */
import { formatIsoUtc } from "../shared/dates.ts";
import { MAX_WEBMENTION_TARGETS, NOTIFY_WINDOW_DAYS, type WebmentionList, type WebmentionSource } from "../shared/site-config.ts";
import { fingerprint } from "./outbox-list.ts";
import type { Post } from "./posts.ts";
import type { SiteModel } from "./site.ts";

const DAY_MS = 24 * 60 * 60_000;

/** The href of every <a> in our own rendered markdown (markdown-it writes href="..." with &amp; escaped). */
const HREF = /<a\s[^>]*?href="([^"]*)"/gi;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

function absoluteHttp(text: string): string | undefined {
  try {
    const url = new URL(text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name] ?? ""));
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** The pages a post links to that get a webmention, in order. */
export function webmentionTargets(post: Post, siteBase: string): string[] {
  const ours = siteBase.endsWith("/") ? siteBase : `${siteBase}/`;
  const skip = new Set<string>();
  if (post.replyTo?.link) skip.add(absoluteHttp(post.replyTo.link) ?? post.replyTo.link);
  const candidates = [post.inReplyTo ?? "", ...[...post.bodyHtml.matchAll(HREF)].map((match) => match[1] ?? "")];
  const targets: string[] = [];
  for (const candidate of candidates) {
    const url = absoluteHttp(candidate);
    if (!url || skip.has(url) || url === ours.slice(0, -1) || url.startsWith(ours)) continue;
    skip.add(url);
    targets.push(url);
    if (targets.length === MAX_WEBMENTION_TARGETS) break;
  }
  return targets;
}

export function webmentionSource(post: Post, model: Pick<SiteModel, "urls">): WebmentionSource {
  return {
    post_id: post.guid,
    date: formatIsoUtc(post.date),
    source: model.urls.post(post.guid),
    fingerprint: fingerprint(JSON.stringify([post.html, post.inReplyTo ?? "", post.date])),
    targets: webmentionTargets(post, model.urls.base),
  };
}

/** Every recent post's webmention targets, oldest post first. */
export function webmentionList(model: Pick<SiteModel, "posts" | "urls">): WebmentionList {
  let newest = Number.NEGATIVE_INFINITY;
  for (const post of model.posts) newest = Math.max(newest, post.date);
  const from = newest - NOTIFY_WINDOW_DAYS * DAY_MS;
  const items = model.posts.filter((post) => post.date >= from).map((post) => webmentionSource(post, model));
  return { digest: fingerprint(JSON.stringify(items)), items };
}
