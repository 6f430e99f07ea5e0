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
  /** The channel's count attribute: entries on this page and all older pages (the whole list on the head). */
  total: number;
  headerReserveBytes: number;
}

export interface ListFeedPage {
  links: PageLinks;
  items: readonly string[];
  lastBuildDate?: number;
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
  // The spec's sample puts the list's total in a count attribute on <channel>.
  const { doc, channel } = newChannel(page.links.archive, { count: String(context.total) });
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
  if (page.lastBuildDate !== undefined) addText(channel, "lastBuildDate", formatRfc822(page.lastBuildDate));
  return assemblePage(doc, page.items, page.links.selfUrl, context.headerReserveBytes);
}
