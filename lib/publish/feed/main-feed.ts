import { formatRfc822 } from "../../shared/dates.ts";
import { SIGNING_KEY_ELEMENT, SIGNING_NS } from "../../shared/signing-keys.ts";
import { MICROBLOG_NS } from "../../shared/spec.ts";
import type { SiteUrls } from "../../shared/urls.ts";
import type { Post } from "../posts.ts";
import type { Profile } from "../site-schemas.ts";
import { XmlLines } from "./xml-lines.ts";
import { addChainLinks, addDescription, addText, assemblePage, newChannel, type PageLinks, xmlText } from "./xml-writer.ts";

/** Everything the main feed's channel header says about its owner (spec "Main Feed Layout"). */
export interface FeedContext {
  profile: Profile;
  urls: SiteUrls;
  followsCount: number;
  /** Present only when the blocks list is public. */
  blocksCount?: number;
  headerReserveBytes: number;
  /** WebSub hubs (`self` resolved), declared on the head page only: archives never change. */
  hubs?: readonly string[];
}

/** One page of the main feed: its place in the chain and its items, newest first, already serialized. */
export interface FeedPage {
  links: PageLinks;
  items: readonly string[];
  /** Newest item's date on this page (spec: "the date and time that the last item was added"). */
  lastBuildDate?: number;
}

/** An absolute URL for a picture given as a URL or as a path on this site. */
export function absoluteImageUrl(ref: string, urls: SiteUrls): string {
  return ref.startsWith("/") ? `${urls.base}${ref}` : ref;
}

export function displayName(profile: Profile): string {
  return profile.full_name ?? profile.username;
}

/**
 * Spec "Required/Optional Item Elements", in the order of the spec's sample feed. The item declares
 * xmlns:microblog itself: the reference validator re-serialises each item alone, and a serializer
 * working on the whole document would drop the declaration as redundant. Indented for its place
 * inside <channel> (lib/publish/feed/xml-lines.ts).
 */
/**
 * Each post's item with what else it reads of the context (below): a process that builds again (npm
 * start) keeps an unchanged post's object (lib/publish/guids.ts), so its item is not rendered again.
 * A new dependency of the item on the context belongs in this key.
 */
const renderedItems = new WeakMap<Post, { key: string; xml: string }>();

export function renderPostItem(post: Post, context: FeedContext): string {
  const { profile, urls } = context;
  const key = `${profile.accept}\0${profile.language}\0${urls.base}\0${urls.functionsBase}`;
  const known = renderedItems.get(post);
  if (known?.key === key) return known.xml;
  const xml = renderItem(post, context);
  renderedItems.set(post, { key, xml });
  return xml;
}

function renderItem(post: Post, context: FeedContext): string {
  const { profile, urls } = context;
  const item = new XmlLines(2).open("item", { "xmlns:microblog": MICROBLOG_NS });
  item.text("guid", post.guid, { isPermaLink: "false" });
  item.text("pubDate", formatRfc822(post.date));
  // Plain RSS readers need a link to open; Open Microblog clients use guid and reply.
  item.text("link", urls.post(post.guid));
  item.description("description", post.html);
  if (profile.accept !== "off") item.text("microblog:reply", urls.reply(post.guid));
  if (post.replyTo) {
    item.text("microblog:in_reply_to_status_id", post.replyTo.status_id);
    item.text("microblog:in_reply_to_user_id", post.replyTo.user_id);
    item.text("microblog:in_reply_to_user_link", post.replyTo.user_link);
  }
  if (post.repost) {
    item.text("microblog:reposted_status_id", post.repost.status_id);
    item.text("microblog:reposted_status_pubdate", formatRfc822(post.repost.pubdate));
    item.text("microblog:reposted_status_user_id", post.repost.user_id);
    item.text("microblog:reposted_user_link", post.repost.user_link);
  }
  // Spec: item language is "recommended if the language is different than the feed language".
  if (post.language && post.language !== profile.language) item.text("microblog:language", post.language);
  return item.close("item").end();
}

/** A whole page of the main feed: the full channel header (spec: "do not remove the header information") and its items. */
export function renderFeedPage(page: FeedPage, context: FeedContext): string {
  const { profile, urls } = context;
  // Skein's signing keys (lib/shared/signing-keys.ts, docs/signing.md): the head page only.
  const keys = page.links.archive ? [] : profile.signing_keys;
  const { doc, channel } = newChannel(page.links.archive, {}, keys.length ? { "xmlns:skein": SIGNING_NS } : {});
  addText(channel, "title", `${displayName(profile)} (@${profile.username})`);
  addText(channel, "microblog:username", profile.username);
  addText(channel, "microblog:user_id", profile.user_id);
  addText(channel, "microblog:user_full_name", profile.full_name);
  // RSS 2.0 requires a channel description; the spec makes it the bio, in CDATA.
  addDescription(channel.ele("description"), profile.bio ?? `Posts by @${profile.username}`);
  if (profile.header) addText(channel, "microblog:header", absoluteImageUrl(profile.header, urls));
  if (profile.portrait) addText(channel, "microblog:portrait", absoluteImageUrl(profile.portrait, urls));
  addText(channel, "microblog:profile", urls.profile);
  // Spec: link is the feed URL, "if the feed is paginated, then the link to the most recent page".
  addText(channel, "link", urls.feed);
  addChainLinks(channel, page.links);
  // WebSub §4: a topic declares its hubs with rel="hub" (for RSS in the Atom namespace); the topic is
  // the head page, whose rel="self" addChainLinks wrote. Archives are static: no hub.
  if (!page.links.archive) for (const hub of context.hubs ?? []) channel.ele("atom:link", { rel: "hub", href: xmlText(hub) });
  // Spec "Relocation": relocate only on the most recently updated page.
  if (!page.links.archive) addText(channel, "microblog:relocate", profile.relocate);
  if (context.blocksCount !== undefined) addText(channel, "microblog:blocks", urls.list("blocks"), { count: String(context.blocksCount) });
  addText(channel, "microblog:follows", urls.list("follows"), { count: String(context.followsCount) });
  if (profile.accept !== "off") addText(channel, "microblog:message", urls.message, { accept: profile.accept });
  addText(channel, "docs", profile.docs);
  addText(channel, "language", profile.language);
  if (page.lastBuildDate !== undefined) addText(channel, "lastBuildDate", formatRfc822(page.lastBuildDate));
  addText(channel, "generator", "Skein");
  for (const entry of keys)
    addText(channel, `skein:${SIGNING_KEY_ELEMENT}`, entry.key, entry.until ? { alg: "ed25519", until: entry.until } : { alg: "ed25519" });
  return assemblePage(doc, page.items, page.links.selfUrl, context.headerReserveBytes);
}
