/**
 * The Worker's view of the site (lib/shared/site-config.ts), made from the build's model. The build
 * writes it next to the Worker's entry on every run, so the Worker's policy, post ids and follows
 * always match what the site publishes.
 */
import { createHash } from "node:crypto";
import type { FollowedAccount, SiteConfig, WebSubConfig } from "../shared/site-config.ts";
import { identityOf } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import { ATOM_CONTENT_TYPE, declaredHubs } from "./feed/atom-feed.ts";
import { outboxList } from "./outbox-list.ts";
import type { SiteModel, XmlFile } from "./site.ts";
import { webmentionList } from "./webmention-list.ts";

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

/** SHA-256 (hex) of a page's UTF-8 bytes: what the Worker computes over the served page (crypto.subtle). */
export function pageSha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The WebSub part of the config: the declared hubs and both head pages as topics, with their hashes. */
export function websubConfig(model: Pick<SiteModel, "profile" | "urls"> & Partial<Pick<SiteModel, "feedFiles" | "atomFiles">>): WebSubConfig {
  const { profile, urls } = model;
  const config: WebSubConfig = { hubs: declaredHubs(profile, urls), topics: [], callback_prefix: urls.websubCallback };
  if (profile.hubs.includes("self")) config.self_hub = urls.hub;
  const head = (files: readonly XmlFile[] | undefined) => files?.at(-1);
  const rss = head(model.feedFiles);
  const atom = head(model.atomFiles);
  if (rss) config.topics.push({ url: urls.feed, content_type: "application/rss+xml", sha256: pageSha256(rss.render()) });
  if (atom) config.topics.push({ url: urls.atom, content_type: ATOM_CONTENT_TYPE, sha256: pageSha256(atom.render()) });
  return config;
}

export function siteConfigFromModel(
  model: Pick<SiteModel, "profile" | "urls" | "follows" | "blocks" | "posts"> & Partial<Pick<SiteModel, "feedFiles" | "atomFiles">>,
): SiteConfig {
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
    webmentions: webmentionList(model),
    websub: websubConfig(model),
    signing: { keys: profile.signing_keys, require_signatures: profile.require_signatures },
    ...(profile.bridgy_fed ? { bridgy_fed: true } : {}),
  };
}
