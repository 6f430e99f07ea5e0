/**
 * The Worker's view of the site (lib/shared/site-config.ts), made from the build's model. The build
 * writes it next to the Worker's entry on every run, so the Worker's policy, post ids and follows
 * always match what the site publishes.
 */
import type { FollowedAccount, SiteConfig } from "../shared/site-config.ts";
import { identityOf } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import { outboxList } from "./outbox-list.ts";
import type { SiteModel } from "./site.ts";

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

export function siteConfigFromModel(model: Pick<SiteModel, "profile" | "urls" | "follows" | "blocks" | "posts">): SiteConfig {
  const { profile, urls } = model;
  const follows: FollowedAccount[] = model.follows.map((entry) => ({
    user_id: entry.user_id,
    username: entry.username,
    user_link: entry.user_link,
    link: normalizeUserLink(entry.user_link) ?? entry.user_link,
  }));
  return {
    owner: {
      user_id: profile.user_id,
      username: profile.username,
      feed_url: urls.feed,
      profile_url: urls.profile,
      post_url_prefix: `${urls.base}/posts/`,
    },
    accept: profile.accept,
    follows,
    blocks: model.blocks.map(identityOf),
    selected: profile.selected.map(identityOf),
    post_ids: compressIds(model.posts.map((post) => post.guid)),
    notifications: outboxList(model),
  };
}
