/**
 * What the Worker knows about the site without a network round trip: the owner, the accept
 * policy, who is followed, blocked or selected, and which post ids exist. The build writes it as
 * JSON next to the Worker's entry (functions/_generated/site-config.json, lib/publish/site-config.ts)
 * and wrangler bundles it in; the blocks list goes there even when it is private, because the file is
 * bundled into the Worker, never published as an asset.
 */
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
