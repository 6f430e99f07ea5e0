/**
 * The items of one page: spec "Main Feed Layout" › Required and Optional Item Elements for a main
 * feed page, "Alternate Feed Layout" › Required Item Elements for a follows / blocks list page, and
 * RSS 2.0's <guid>. Each item's facts (guid, date) go back to the chain's checks (validate-feed.ts).
 */
import { MICROBLOG_NS } from "../shared/spec.ts";
import { looseKey, type PageContext, textOf } from "./page-context.ts";
import { SECTION } from "./problems.ts";
import { attributeOf, childElements, ownText, type Position, type XmlElement } from "./xml-tree.ts";

export interface ItemFacts extends Position {
  /** The guid as written (main feed items; list items when present). */
  guid?: string;
  /** The guid when it is a non-negative integer, exactly (guids may be 128-bit: never a float). */
  guidNumber?: bigint;
  /** Epoch ms of the item's pubDate, when readable. */
  date?: number;
}

// RSS 2.0 item elements, plus <language>, which the spec's sample item carries without a prefix.
const RSS_ITEM = new Set(["title", "link", "description", "author", "category", "comments", "enclosure", "guid", "pubDate", "source", "language"]);

const MAIN_ITEM_FIELDS = [
  "reply",
  "in_reply_to_user_id",
  "in_reply_to_status_id",
  "in_reply_to_user_link",
  "reposted_status_user_id",
  "reposted_user_link",
  "reposted_status_user_link",
  "reposted_status_id",
  "reposted_status_pubdate",
  "language",
];
const REPOST_FIELDS = ["reposted_status_id", "reposted_status_user_id", "reposted_status_pubdate"];
const LIST_ITEM_FIELDS = ["user_id", "user_name", "user_link"];

/** RSS 2.0 <guid>: its text, and isPermaLink="false" on an integer guid (else readers take it for a URL). */
function checkGuid(ctx: PageContext, item: XmlElement, main: boolean, info: ItemFacts): XmlElement | undefined {
  const guid = ctx.field(item, "guid", "rss", main ? SECTION.mainItem : SECTION.listSample);
  if (!guid) return undefined;
  info.guid = textOf(guid)!;
  if (/^\d+$/.test(info.guid)) info.guidNumber = BigInt(info.guid);
  const wrongCase = guid.attributes.find((a) => a.local.toLowerCase() === "ispermalink" && a.local !== "isPermaLink");
  if (wrongCase) {
    const section = main ? SECTION.mainSample : SECTION.listSample;
    ctx.report("note", section, `<guid ${wrongCase.name}="...">: RSS 2.0 spells it isPermaLink; the spec's sample writes isPermalink`, wrongCase);
  } else if (info.guidNumber !== undefined && attributeOf(guid, "isPermaLink")?.value !== "false") {
    ctx.report("warning", SECTION.rss, `<guid>${info.guid}</guid> without isPermaLink="false": RSS readers take the guid for the item's URL`, guid);
  }
  return guid;
}

/** Main Feed Layout › Required Item Elements: guid "a unique, incrementing integer starting from 0". */
function checkMainGuid(ctx: PageContext, item: XmlElement, guid: XmlElement | undefined, info: ItemFacts): void {
  const section = SECTION.mainItem;
  if (!guid) ctx.report("error", section, "<item> has no <guid> (a unique, incrementing integer)", item);
  else if (!info.guid) ctx.report("error", section, "<guid> is empty", guid);
  else if (info.guidNumber === undefined)
    ctx.report("error", section, `<guid> "${info.guid}" is not an integer (the spec: a unique, incrementing integer starting from 0)`, guid);
  else if (info.guid.length > 1 && info.guid.startsWith("0")) ctx.report("warning", section, `<guid> "${info.guid}" has leading zeros`, guid);
}

/** Main Feed Layout › Required Item Elements: pubDate, "when the status was posted". */
function checkPubDate(ctx: PageContext, item: XmlElement, info: ItemFacts): void {
  const pubDate = ctx.field(item, "pubDate", "rss", SECTION.mainItem);
  if (!pubDate) {
    ctx.report("error", SECTION.mainItem, "<item> has no <pubDate> (when the status was posted)", item);
    return;
  }
  const date = ctx.checkDate(pubDate, pubDate.name, SECTION.mainItem);
  if (!textOf(pubDate)) ctx.report("error", SECTION.mainItem, `<${pubDate.name}> is empty`, pubDate);
  if (date !== undefined) info.date = date;
}

/** Main Feed Layout › Required Item Elements: description, the HTML text of the post, in CDATA. */
function checkDescription(ctx: PageContext, item: XmlElement): void {
  const body = ctx.field(item, "description", "rss", SECTION.mainItem);
  if (!body) {
    ctx.report("error", SECTION.mainItem, "<item> has no <description> (the HTML text of the post)", item);
    return;
  }
  const sections = body.children.filter((c) => c.kind === "cdata");
  if (!ownText(body).trim()) ctx.report("error", SECTION.mainItem, "<description> is empty", body);
  else if (sections.length > 1) {
    ctx.report(
      "warning",
      SECTION.mainItem,
      `<description> is split over ${sections.length} CDATA sections (its text holds "]]>"); readers that take only the first one, such as the spec's reference validator, cut the text: write it as escaped text instead`,
      body,
    );
  } else if (sections.length === 0 && !ownText(body).includes("]]>")) {
    ctx.report("note", SECTION.mainItem, "<description> is escaped text, not CDATA as the spec says; it reads the same", body);
  }
  if (childElements(body).length)
    ctx.report("error", SECTION.mainItem, "<description> holds XML elements: put the HTML in CDATA or escape it", childElements(body)[0]);
}

/** Main Feed Layout › Optional Item Elements, "Replies": microblog:reply and the in_reply_to_* group. */
function checkReply(ctx: PageContext, item: XmlElement): void {
  const section = SECTION.mainItemOptional;
  const reply = ctx.field(item, "reply", "microblog", section);
  ctx.checkUrl(reply, "microblog:reply", section);
  const strayReply = childElements(item, "reply", null)[0];
  if (strayReply && !reply) {
    const message = "<reply> should be <microblog:reply>: readers look for it in the microblog namespace (the spec's Replies example writes it bare)";
    ctx.report("warning", section, message, strayReply);
  }
  const names = ["in_reply_to_status_id", "in_reply_to_user_id", "in_reply_to_user_link"];
  const present = names.map((name) => ctx.field(item, name, "microblog", section));
  if (present.some(Boolean) && !present.every(Boolean)) {
    const missing = names.filter((_, i) => !present[i]).map((n) => `microblog:${n}`);
    ctx.report("warning", section, `a reply without ${missing.join(", ")}: readers cannot tell what it points at`, present.find(Boolean)!);
  }
  ctx.checkUrl(present[2], "microblog:in_reply_to_user_link", section);
}

/** Main Feed Layout › Optional Item Elements, "Reposts": the reposted_* group (and the sample's spelling). */
function checkRepost(ctx: PageContext, item: XmlElement): void {
  const section = SECTION.mainItemOptional;
  const repostLink = ctx.field(item, "reposted_user_link", "microblog", section);
  const sampleRepostLink = childElements(item, "reposted_status_user_link").find(ctx.isMicroblog);
  if (sampleRepostLink && !repostLink) {
    ctx.report(
      "note",
      SECTION.mainSample,
      "<microblog:reposted_status_user_link> is the spelling of the spec's sample; its list says reposted_user_link. Readers should accept both",
      sampleRepostLink,
    );
  }
  const link = repostLink ?? sampleRepostLink;
  const repost = REPOST_FIELDS.map((name) => ctx.field(item, name, "microblog", section));
  if ((repost.some(Boolean) || link) && (!repost.every(Boolean) || !link)) {
    const missing = REPOST_FIELDS.filter((_, i) => !repost[i]);
    if (!link) missing.push("reposted_user_link");
    ctx.report("warning", section, `a repost without ${missing.map((n) => `microblog:${n}`).join(", ")}`, item);
  }
  ctx.checkUrl(link, link?.name ?? "", section);
  ctx.checkDate(repost[2], "microblog:reposted_status_pubdate", section);
}

function checkMainItem(ctx: PageContext, item: XmlElement, guid: XmlElement | undefined, info: ItemFacts): void {
  checkMainGuid(ctx, item, guid, info);
  checkPubDate(ctx, item, info);
  checkDescription(ctx, item);
  checkReply(ctx, item);
  checkRepost(ctx, item);
  ctx.unknownElements(item, MAIN_ITEM_FIELDS, RSS_ITEM, SECTION.mainItemOptional);
}

/** Alternate Feed Layout › Required Item Elements: user_id, user_name, user_link. */
function checkListItem(ctx: PageContext, item: XmlElement): void {
  for (const name of LIST_ITEM_FIELDS) {
    const element = ctx.field(item, name, "microblog", SECTION.listItem);
    if (element) {
      if (!textOf(element)) ctx.report("error", SECTION.listItem, `<microblog:${name}> is empty`, element);
      continue;
    }
    const spelled = name === "user_name" ? childElements(item, "username").find(ctx.isMicroblog) : undefined;
    if (spelled) {
      const message = "<microblog:username> is read as <microblog:user_name> (the spec's list item element; its reference validator reads username)";
      ctx.report("note", SECTION.listItem, message, spelled);
      continue;
    }
    const stray = childElements(item).find((c) => !ctx.isMicroblog(c) && looseKey(c.local) === looseKey(name));
    if (stray) ctx.report("error", SECTION.listItem, `<${stray.name}> must be <microblog:${name}>, in the namespace ${MICROBLOG_NS}`, stray);
    else ctx.report("error", SECTION.listItem, `<item> has no <microblog:${name}>`, item);
  }
  ctx.checkUrl(ctx.field(item, "user_link", "microblog", SECTION.listItem), "microblog:user_link", SECTION.listItem);
  ctx.unknownElements(item, [...LIST_ITEM_FIELDS, "username"], RSS_ITEM, SECTION.listItem);
}

/** Every item of the page, in order, with its facts. */
export function checkItems(ctx: PageContext, items: readonly XmlElement[], main: boolean): ItemFacts[] {
  return items.map((item) => {
    const info: ItemFacts = { line: item.line, column: item.column };
    const guid = checkGuid(ctx, item, main, info);
    if (main) checkMainItem(ctx, item, guid, info);
    else checkListItem(ctx, item);
    return info;
  });
}
