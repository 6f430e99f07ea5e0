import { formatRfc822 } from "../../shared/dates.ts";
import type { ListEntry, Profile } from "../site-schemas.ts";
import { addChainLinks, addText, assemblePage, newChannel, type PageLinks, serializeItem } from "./xml-writer.ts";

export type ListKind = "follows" | "blocks";

/** An entry of the follows or blocks list with its position (0 = first in the file, the oldest). */
export interface IndexedEntry extends ListEntry {
  index: number;
}

export interface ListFeedContext {
  kind: ListKind;
  profile: Profile;
  headerReserveBytes: number;
}

/**
 * The lastBuildDate of a list page on which no entry, nor any on an older page, says when it was
 * added (`since`): Thu, 01 Jan 1970 00:00:00 +0000, the Unix epoch, read as "unknown". The spec's list
 * layout requires lastBuildDate; a date taken from the posts or the clock would rewrite archived list
 * pages whenever it changed, and a build must give the same bytes for the same input.
 */
export const UNKNOWN_LIST_DATE = 0;

export interface ListFeedPage {
  links: PageLinks;
  items: readonly string[];
  /** Spec "Alternate Feed Layout", required: when the newest entry of this page (or an older one) was added, or UNKNOWN_LIST_DATE. */
  lastBuildDate: number;
}

/** Spec "Alternate Feed Layout", required item elements: user_id, user_name, user_link. */
export function renderListItem(entry: IndexedEntry): string {
  return serializeItem((item) => {
    item.ele("guid", { isPermaLink: "false" }).txt(String(entry.index));
    // A title so general RSS readers show something for the entry.
    addText(item, "title", `@${entry.username}`);
    addText(item, "microblog:user_id", entry.user_id);
    addText(item, "microblog:user_link", entry.user_link);
    addText(item, "microblog:user_name", entry.username);
  });
}

export function renderListPage(page: ListFeedPage, context: ListFeedContext): string {
  const { profile, kind } = context;
  // No count attribute on <channel> (the spec's sample has one, its element lists do not, and the W3C
  // feed validator refuses it): the main feed's microblog:follows / microblog:blocks carry the counts.
  const { doc, channel } = newChannel(page.links.archive);
  addText(channel, "title", kind === "follows" ? `Accounts @${profile.username} follows` : `Accounts @${profile.username} blocks`);
  addText(
    channel,
    "description",
    kind === "follows" ? `The Open Microblog follows list of @${profile.username}` : `The Open Microblog blocks list of @${profile.username}`,
  );
  addText(channel, "microblog:username", profile.username);
  addText(channel, "microblog:user_id", profile.user_id);
  addText(channel, "link", page.links.headUrl);
  addChainLinks(channel, page.links);
  addText(channel, "lastBuildDate", formatRfc822(page.lastBuildDate));
  return assemblePage(doc, page.items, page.links.selfUrl, context.headerReserveBytes);
}
