/**
 * What the Worker knows about the site without a network round trip: the owner, the accept
 * policy, who is followed, blocked or selected, and which post ids exist. The build writes it as
 * JSON next to the Worker's entry (functions/_generated/site-config.json, lib/publish/site-config.ts)
 * and wrangler bundles it in; the blocks list goes there even when it is private, because the file is
 * bundled into the Worker, never published as an asset.
 */
import type { PublishedKey } from "./signing-keys.ts";
import type { AcceptPolicy } from "./spec.ts";
import { normalizeUserLink } from "./urls.ts";

/** Someone matched by user_id or by normalized user_link (either is enough). */
export interface Identity {
  user_id?: string;
  link?: string;
}

/** An account in follows.yaml, as the timeline poller and the policy need it. */
export interface FollowedAccount {
  user_id: string;
  username: string;
  /** Their feed URL as written in follows.yaml. */
  user_link: string;
  /** normalizeUserLink(user_link), for matching. */
  link: string;
}

/**
 * Spec "Replies/Mentions": a post that replies to or mentions someone must alert their server. The
 * build lists, for each post, whom it must notify (lib/publish/outbox-list.ts); the outbox job
 * (lib/outbox/send-job.ts) sends each notification once, after the post is live.
 */
export interface OutboxNotification {
  /** Our post's guid: the status_id we send. */
  post_id: number;
  /** The post's date, ISO 8601 UTC: a post notifies only within NOTIFY_WINDOW_DAYS of it. */
  date: string;
  /** reply: front matter `reply_to`; mention: "@username" of an account in follows.yaml. */
  kind: "reply" | "mention";
  user_id: string;
  /** "" when the post's reply_to names no username and the account is not followed. */
  username: string;
  /** Their feed URL. */
  user_link: string;
  /** A reply's item in their feed (its guid); absent for a mention (their newest item is used). */
  status_id?: string;
}

export interface OutboxList {
  /** Changes whenever `items` change: the job reconciles D1 with the list only then. */
  digest: string;
  items: OutboxNotification[];
}

/**
 * Skein notifies for a post during this many days after its date, and the build lists only posts
 * that recent (counted from its newest post): an imported archive or a back-dated post alerts nobody,
 * and the list bundled into the Worker stays small.
 */
export const NOTIFY_WINDOW_DAYS = 14;

/**
 * Webmention out (W3C Webmention §3.1): the pages a post links to that are not Open Microblog items
 * (a link in its text, a plain-URL `in_reply_to:`), listed by the build (lib/publish/webmention-list.ts)
 * for every post within NOTIFY_WINDOW_DAYS, with a fingerprint of its content: a new fingerprint is an
 * edit, which sends again (§3.1.4). The webmention.send job (lib/webmention/send-job.ts) sends them.
 */
export interface WebmentionSource {
  /** Our post's guid. */
  post_id: number;
  /** The post's date, ISO 8601 UTC. */
  date: string;
  /** Our post page: the webmention's source. */
  source: string;
  /** Changes when the post's content changes. */
  fingerprint: string;
  /** Absolute http(s) URLs, in the order the post names them (in_reply_to first), at most MAX_WEBMENTION_TARGETS. */
  targets: string[];
}

export interface WebmentionList {
  digest: string;
  items: WebmentionSource[];
}

/** Targets a post sends webmentions to, at most: a plain count a reader can check (docs/reach.md). */
export const MAX_WEBMENTION_TARGETS = 10;

/** A feed's head page as a WebSub topic (lib/websub/): what the build wrote there. */
export interface WebSubTopic {
  /** The head page's URL: the topic (its rel="self"). */
  url: string;
  /** The Content-Type a hub delivers it with (WebSub §7: the topic's). */
  content_type: string;
  /**
   * SHA-256 (hex) of the page's bytes as built. A new value means a deploy changed the feed (the
   * publisher pings its hubs once per value); the served page hashing to it means the deploy is live.
   */
  sha256: string;
}

/** WebSub (W3C Recommendation 2018): the hubs the feeds declare and where the timeline's subscriptions call back. */
export interface WebSubConfig {
  /** Hub URLs the head pages declare (profile `hubs:`), `self` resolved to `self_hub`. */
  hubs: string[];
  /** Our own hub's URL when the profile lists `self`: the Worker is that hub (lib/websub/hub-routes.ts). */
  self_hub?: string;
  /** The RSS head and the Atom head. */
  topics: WebSubTopic[];
  /** Prefix of the timeline's callback URLs (a token follows): where hubs push the feeds we follow. */
  callback_prefix: string;
}

export interface SiteConfig {
  owner: {
    user_id: string;
    username: string;
    /** Our head feed URL: the user_link others use for us. */
    feed_url: string;
    profile_url: string;
    /** Prefix of our post permalinks; a mention may link to one. */
    post_url_prefix: string;
  };
  accept: AcceptPolicy;
  follows: FollowedAccount[];
  blocks: Identity[];
  selected: Identity[];
  /** Published guids as sorted, inclusive [first, last] ranges. */
  post_ids: [number, number][];
  /** What the posts must notify (absent in a config written before the outbox: nothing is reconciled). */
  notifications?: OutboxList;
  /**
   * Our published signing keys (what the head feed says) and whether senders claiming a followed or
   * selected account must sign (docs/signing.md). Absent in a config written before signing.
   */
  signing?: { keys: PublishedKey[]; require_signatures: boolean };
  /** Webmentions our posts send (absent in a config written before Webmention out: nothing is sent). */
  webmentions?: WebmentionList;
  /** Hubs, topics and callbacks (absent in a config written before WebSub: no pings, no hub, no subscriptions). */
  websub?: WebSubConfig;
  /** profile.yaml `bridgy_fed: true`: /.well-known/webfinger and host-meta redirect to Bridgy Fed (lib/webmention/bridge-routes.ts). */
  bridgy_fed?: true;
}

export function identityOf(entry: { user_id?: string | undefined; user_link?: string | undefined }): Identity {
  const identity: Identity = {};
  if (entry.user_id) identity.user_id = entry.user_id;
  const link = entry.user_link ? normalizeUserLink(entry.user_link) : undefined;
  if (link) identity.link = link;
  return identity;
}

export function hasPostId(ranges: readonly (readonly [number, number])[], id: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const [first, last] = ranges[mid] as readonly [number, number];
    if (id < first) high = mid - 1;
    else if (id > last) low = mid + 1;
    else return true;
  }
  return false;
}
