/**
 * What the functions need to know about the site, without a network round trip: the owner, the
 * accept policy, who is followed, blocked or selected, and which post ids exist. The build writes
 * it as JSON next to the functions (functions/_generated/inbox-config.json); the blocks list goes
 * there even when it is private, because the file is bundled into the functions, never published.
 */
import type { AcceptPolicy } from "./schemas.ts";
import { normalizeUserLink } from "./urls.ts";

/** Someone matched by user_id or by normalized user_link (either is enough). */
export interface Identity {
  user_id?: string;
  link?: string;
}

export interface InboxConfig {
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
  follows: Identity[];
  blocks: Identity[];
  selected: Identity[];
  /** Published guids as sorted, inclusive [first, last] ranges. */
  post_ids: [number, number][];
}

export function identityOf(entry: { user_id?: string | undefined; user_link?: string | undefined }): Identity {
  const identity: Identity = {};
  if (entry.user_id) identity.user_id = entry.user_id;
  const link = entry.user_link ? normalizeUserLink(entry.user_link) : undefined;
  if (link) identity.link = link;
  return identity;
}

/** [0,1,2,3,7,8] -> [[0,3],[7,8]] */
export function compressIds(ids: readonly number[]): [number, number][] {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const id of sorted) {
    const last = ranges.at(-1);
    if (last && id === last[1] + 1) last[1] = id;
    else ranges.push([id, id]);
  }
  return ranges;
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

/**
 * The parts of the build's SiteModel (lib/publish/site.ts) this file reads. Structural on purpose: the
 * functions import this module, and their Workers type-check must not pull in the build's modules
 * (markdown, YAML, front matter) through a type import.
 */
export interface SiteFacts {
  profile: {
    user_id: string;
    username: string;
    accept: AcceptPolicy;
    selected: readonly { user_id?: string | undefined; user_link?: string | undefined }[];
  };
  urls: { base: string; feed: string; profile: string };
  follows: readonly { user_id: string; user_link: string }[];
  blocks: readonly { user_id: string; user_link: string }[];
  posts: readonly { guid: number }[];
}

export function inboxConfigFromSite(model: SiteFacts): InboxConfig {
  const { profile, urls } = model;
  return {
    owner: {
      user_id: profile.user_id,
      username: profile.username,
      feed_url: urls.feed,
      profile_url: urls.profile,
      post_url_prefix: `${urls.base}/posts/`,
    },
    accept: profile.accept,
    follows: model.follows.map(identityOf),
    blocks: model.blocks.map(identityOf),
    selected: profile.selected.map(identityOf),
    post_ids: compressIds(model.posts.map((post) => post.guid)),
  };
}
