/**
 * What each post must notify (spec "Replies/Mentions": "In the case that a given user replies to, or
 * mentions another known user, the given user's client should alert the mentioned user's server"),
 * computed by the build and carried to the Worker in its site config, like the post ids. Pure and
 * deterministic: the same posts and follows give byte-identical output.
 *
 *   reply    a post with `reply_to` notifies the replied-to account about that item
 *   mention  "@username" of an account in follows.yaml, as a word of the post's own text (not inside
 *            a link's URL, an e-mail address or code; not in a repost's quoted text) notifies that
 *            account. The spec gives a mention no item to answer; the Worker uses the reply URL of
 *            their newest item.
 *
 * A post notifies each account once: a reply that also mentions the replied-to account is a reply.
 * The owner is never notified (a reply to one's own post continues a thread; our inbox needs no alert).
 * Usernames match case-insensitively; two followed accounts with the same username are both
 * notified (the text cannot tell them apart). Only posts dated within NOTIFY_WINDOW_DAYS of the
 * newest post are listed: the Worker would not send older ones anyway, and the list stays small.
 */
import { formatIsoUtc } from "../shared/dates.ts";
import { NOTIFY_WINDOW_DAYS, type OutboxList, type OutboxNotification } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import type { IndexedEntry } from "./feed/list-feed.ts";
import type { Post } from "./posts.ts";
import type { SiteModel } from "./site.ts";

const DAY_MS = 24 * 60 * 60_000;

/** What a username may hold when read out of text (lib/shared/schemas.ts otherUsername). */
const MENTION = /(?<![\p{L}\p{N}_.+\-/@#&=?%:])@([\p{L}\p{N}_.-]{1,25})/gu;

/** Links written as text (markdown-it's linkify turns them into <a>, whose text is the URL again). */
const URL_IN_TEXT = /\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s<>"]*/gi;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'" };

/**
 * The post's own words as plain text for finding mentions: code and preformatted blocks dropped
 * (an "@name" there is code, not a mention), tags and their attributes dropped (so an href never
 * counts), URLs written in the text dropped.
 */
export function mentionText(html: string): string {
  return html
    .replace(/<(pre|code)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(amp|lt|gt|quot|#39|apos);/g, (_, name: string) => ENTITIES[name] ?? " ")
    .replace(URL_IN_TEXT, " ");
}

/**
 * The followed usernames (lower case) the HTML mentions. A token such as "@fern." or "@fern-ish" is
 * read as the longest followed username it starts with, ending before a "." or "-" or at its end.
 */
export function mentionedUsernames(html: string, followedUsernames: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  if (followedUsernames.size === 0 || !html.includes("@")) return found;
  for (const match of mentionText(html).matchAll(MENTION)) {
    const token = match[1]!.toLowerCase();
    for (let end = token.length; end > 0; end--) {
      if (end < token.length && !/[.-]/.test(token[end]!)) continue;
      const candidate = token.slice(0, end);
      if (followedUsernames.has(candidate)) {
        found.add(candidate);
        break;
      }
    }
  }
  return found;
}

/** A short, stable fingerprint of a text (cyrb53): the Worker compares it, it protects nothing. */
export function fingerprint(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${(h2 >>> 0).toString(16).padStart(8, "0")}${(h1 >>> 0).toString(16).padStart(8, "0")}`;
}

/** Who is never notified: the owner, by user_id or feed URL. */
export interface Self {
  user_id: string;
  feed_url: string;
}

/** Notifications of one post, reply first, then mentions in follows.yaml order. */
export function notificationsOfPost(post: Post, follows: readonly IndexedEntry[], self?: Self): OutboxNotification[] {
  const date = formatIsoUtc(post.date);
  const notifications: OutboxNotification[] = [];
  const key = (userId: string, userLink: string) => [`id:${userId}`, `link:${normalizeUserLink(userLink) ?? userLink}`];
  const notified = new Set<string>(self ? key(self.user_id, self.feed_url) : []);
  if (post.replyTo && !key(post.replyTo.user_id, post.replyTo.user_link).some((k) => notified.has(k))) {
    const { user_id, user_link, status_id } = post.replyTo;
    const followed = follows.find((entry) => entry.user_id === user_id || normalizeUserLink(entry.user_link) === normalizeUserLink(user_link));
    notifications.push({
      post_id: post.guid,
      date,
      kind: "reply",
      user_id,
      username: post.replyTo.username ?? followed?.username ?? "",
      user_link,
      status_id,
    });
    for (const k of key(user_id, user_link)) notified.add(k);
  }
  const usernames = new Set(follows.map((entry) => entry.username.toLowerCase()));
  const mentioned = mentionedUsernames(post.bodyHtml, usernames);
  for (const entry of follows) {
    if (!mentioned.has(entry.username.toLowerCase())) continue;
    const keys = key(entry.user_id, entry.user_link);
    if (keys.some((k) => notified.has(k))) continue;
    for (const k of keys) notified.add(k);
    notifications.push({ post_id: post.guid, date, kind: "mention", user_id: entry.user_id, username: entry.username, user_link: entry.user_link });
  }
  return notifications;
}

/** Every post's notifications, oldest post first, for posts within NOTIFY_WINDOW_DAYS of the newest. */
export function outboxList(model: Pick<SiteModel, "posts" | "follows" | "profile" | "urls">): OutboxList {
  let newest = Number.NEGATIVE_INFINITY;
  for (const post of model.posts) newest = Math.max(newest, post.date);
  const from = newest - NOTIFY_WINDOW_DAYS * DAY_MS;
  const self: Self = { user_id: model.profile.user_id, feed_url: model.urls.feed };
  const items = model.posts.filter((post) => post.date >= from).flatMap((post) => notificationsOfPost(post, model.follows, self));
  return { digest: fingerprint(JSON.stringify(items)), items };
}
