/**
 * What `npm run import` will write, worked out before anything is written: one post file per item of
 * the old feed, the follows/blocks entries to append, and the profile fields found. Pure: the
 * command reads the old feed (lib/move/source-page.ts over lib/validate/walk.ts) and the site, and
 * writes the plan only once the whole site, with it, still builds (verifyPlan).
 *
 * Each item becomes a post the build reads like any other (lib/publish/posts.ts checks every file):
 * - date: the item's pubDate (RFC 822) or Atom published/updated (RFC 3339), written in UTC;
 * - id: the old guid when it is an integer that no post here uses (replies elsewhere point at it);
 *   otherwise the next free id, in date order after every id in use -- never an automatic one
 *   (lib/publish/guids.ts);
 * - language (the item's, else the old channel's) when it is not the site's;
 * - reply_to and repost from the spec's in_reply_to_* and reposted_* elements (an Atom entry's, and
 *   the plain-URL in_reply_to, as lib/move/atom-targets.ts identified them); a repost's quoted text
 *   is the trailing <blockquote> when the description has one (how Skein and most services write
 *   a repost with a comment), else the whole description;
 * - the body: the HTML cleaned and turned into markdown (lib/move/html-to-markdown.ts). A plain
 *   RSS/Atom post's title leads the body when the text does not already start with it.
 *
 * The file name is the date, a slug and a short hash of the item's identity (guid or link, and
 * date): running the import again finds the same names and skips those items, so only what is new
 * is imported and no file is ever overwritten.
 */
import { stringify } from "yaml";
import { withIdInFrontMatter } from "../publish/guids.ts";
import { plainText } from "../publish/markdown.ts";
import { type ParsedPost, parsePost } from "../publish/posts.ts";
import { type BuildOptions, buildSite, type FileSource, SiteBuildError, type SiteSources } from "../publish/site.ts";
import { imageRef, type ListEntry, languageTag, listEntry, ownUserId, ownUsername } from "../publish/site-schemas.ts";
import { formatIsoUtc, parseFlexibleDate, parseIsoDateTime } from "../shared/dates.ts";
import { slugify } from "../shared/post-file.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { describeIssues, httpUrl, idPattern, otherUserId } from "../shared/schemas.ts";
import { LIMITS } from "../shared/spec.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import { isXmlSafe } from "../shared/xml-text.ts";
import { atomNotes } from "./atom-targets.ts";
import { htmlToMarkdown, quotedMarkdown, splitTrailingQuote } from "./html-to-markdown.ts";
import type { SourceFormat, SourceItem, SourceListEntry, SourceProfile } from "./source-page.ts";

export interface ImportSource {
  format: SourceFormat;
  /** The head's profile. */
  profile: SourceProfile;
  /** Every item of the chain, head first. */
  items: SourceItem[];
  follows?: SourceList;
  blocks?: SourceList;
}

/** A list's entries (newest first, as the list feed gives them), or why it could not be read. */
export type SourceList = Result<SourceListEntry[], string>;

export interface ExistingSite {
  /** Every post of the site, each with its id (the build passed). */
  posts: readonly ParsedPost[];
  /** File names in posts/ (any extension: a name is never reused). */
  names: ReadonlySet<string>;
  /** The site's language: an imported post says its own only when it differs. */
  language: string;
  follows: readonly ListEntry[];
  blocks: readonly ListEntry[];
}

export interface PlannedPost {
  /** File name inside posts/. */
  name: string;
  text: string;
  id: number;
  /** The id is the old guid. */
  keptGuid: boolean;
  date: number;
  where: string;
}

export interface Skipped {
  where: string;
  reason: string;
}

export interface PlannedList {
  add: ListEntry[];
  already: number;
  skipped: Skipped[];
  failed?: string;
}

export interface ProfileField {
  field: "username" | "user_id" | "full_name" | "bio" | "portrait" | "header" | "language";
  value: string;
  /** Why it cannot be written into profile.yaml as it is. */
  problem?: string;
}

export interface ImportPlan {
  posts: PlannedPost[];
  /** Items imported by an earlier run (found by file name, or by date and id). */
  already: number;
  skipped: Skipped[];
  /** Imported, but with something left out. */
  notes: Skipped[];
  follows?: PlannedList;
  blocks?: PlannedList;
  profile: ProfileField[];
}

/** FNV-1a over UTF-16 code units with two seeds: 40 bits as 10 hex digits, the same on every machine. */
function shortHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193) >>> 0;
    b = Math.imul(b ^ code, 0x01000193 ^ 0x5bd1e995) >>> 0;
  }
  return (a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0")).slice(0, 10);
}

const INTEGER_GUID = /^(0|[1-9]\d{0,14})$/;

interface Converted {
  front: Record<string, unknown>;
  body: string;
  /** Plain text of the post, for its file name. */
  words: string;
  date: number;
  notes: string[];
}

/** The post an item becomes, or why it is skipped. */
function convertItem(item: SourceItem, source: ImportSource, site: ExistingSite): Result<Converted, string> {
  if (!item.date) return err("no date");
  const date = parseFlexibleDate(item.date) ?? parseIsoDateTime(item.date);
  if (date === undefined) return err(`the date "${item.date.slice(0, 60)}" cannot be read`);
  const notes: string[] = [];
  const front: Record<string, unknown> = { date: formatIsoUtc(date) };

  let html = item.html ?? "";
  // A plain RSS / Atom post's title leads, unless it only repeats the text (microblogs and some
  // services title an item with its text, or with its first words and "..."): the whole text, or a
  // prefix of it long enough not to be a title that merely starts the same way.
  if (item.title && source.format !== "open-microblog") {
    const title = item.title.replace(/\s+/g, " ").trim();
    const escaped = title.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const text = plainText(html);
    const stem = title.replace(/(\.\.\.|…)$/, "").trim();
    const repeats = text === title || (stem.length >= 20 && text.startsWith(stem));
    if (!repeats) {
      const heading = item.link && /^https?:\/\//i.test(item.link) ? `<a href="${item.link.replace(/"/g, "&quot;")}">${escaped}</a>` : escaped;
      html = `<p><strong>${heading}</strong></p>\n${html}`;
    }
  }

  let bodyHtml = html;
  const repost = item.repost;
  if (repost) {
    const pubdate = repost.pubdate ? (parseFlexibleDate(repost.pubdate) ?? parseIsoDateTime(repost.pubdate)) : undefined;
    const missing: string[] = [];
    if (repost.status_id === undefined || !idPattern.test(repost.status_id)) missing.push("reposted_status_id");
    if (repost.user_id === undefined || !otherUserId.safeParse(repost.user_id).success) missing.push("reposted_status_user_id");
    if (repost.user_link === undefined || !httpUrl.safeParse(repost.user_link).success) missing.push("reposted_user_link");
    if (pubdate === undefined) missing.push("reposted_status_pubdate");
    if (missing.length) {
      notes.push(`the repost data is left out (no usable ${missing.join(", ")}); the text is kept`);
    } else {
      const split = splitTrailingQuote(html);
      const quoted = quotedMarkdown(split ? split[1] : html);
      if (quoted) {
        front.repost = { user_id: repost.user_id, user_link: repost.user_link, status_id: repost.status_id, pubdate: formatIsoUtc(pubdate!), text: quoted };
        bodyHtml = split ? split[0] : "";
      } else notes.push("the repost data is left out: the reposted text is empty");
    }
  }
  const reply = item.reply;
  if (reply) {
    if (
      reply.status_id !== undefined &&
      idPattern.test(reply.status_id) &&
      reply.user_id !== undefined &&
      otherUserId.safeParse(reply.user_id).success &&
      reply.user_link !== undefined &&
      httpUrl.safeParse(reply.user_link).success
    ) {
      if (front.repost) notes.push("reply_to is left out: a post is a reply or a repost, not both");
      else front.reply_to = { user_id: reply.user_id, user_link: reply.user_link, status_id: reply.status_id };
    } else {
      notes.push("reply_to is left out: the item lacks a usable in_reply_to_status_id, in_reply_to_user_id or in_reply_to_user_link");
    }
  }
  if (item.inReplyTo) {
    if (front.reply_to || front.repost) notes.push(`in_reply_to ${item.inReplyTo} is left out: a post answers one thing (it is already a reply or a repost)`);
    else front.in_reply_to = item.inReplyTo;
  }
  notes.push(...atomNotes(item));
  // The item's language, else the old channel's. An unreadable item language is left out with a note
  // (an unreadable channel language shows once, in the profile found).
  const language = [item.language, source.profile.language].find((tag, i) => {
    if (tag === undefined) return false;
    if (languageTag.safeParse(tag).success) return true;
    if (i === 0) notes.push(`the language "${tag.slice(0, 20)}" is left out: not a language tag`);
    return false;
  });
  if (language && language.toLowerCase() !== site.language.toLowerCase()) front.language = language;
  const body = htmlToMarkdown(bodyHtml);
  if (!body && !front.repost) return err("no text");
  if (!isXmlSafe(body)) return err("the text holds characters a feed cannot carry");
  return ok({ front, body, date, notes, words: plainText(bodyHtml) || plainText(html) });
}

function postText(front: Record<string, unknown>, body: string): string {
  return `---\n${stringify(front, { lineWidth: 0 })}---\n${body}${body ? "\n" : ""}`;
}

export function planImport(source: ImportSource, site: ExistingSite): ImportPlan {
  const plan: ImportPlan = { posts: [], already: 0, skipped: [], notes: [], profile: planProfile(source.profile) };
  const used = new Set(site.posts.map((post) => post.id!));
  const existingByDate = new Map<number, ParsedPost[]>();
  for (const post of site.posts) existingByDate.set(post.date, [...(existingByDate.get(post.date) ?? []), post]);
  const hashes = new Set([...site.names].map((name) => /-([0-9a-f]{10})\.md$/.exec(name)?.[1]).filter(Boolean));
  const seenGuids = new Map<string, string>();

  const converted: { item: SourceItem; post: Converted; hash: string; guid?: number }[] = [];
  for (const item of source.items) {
    if (item.guid) {
      const earlier = seenGuids.get(item.guid);
      if (earlier) {
        plan.skipped.push({ where: item.where, reason: `the same guid (${item.guid.slice(0, 40)}) as ${earlier}` });
        continue;
      }
      seenGuids.set(item.guid, item.where);
    }
    // Already imported? Decided from the date and identity alone, before the (costlier) conversion.
    const date = item.date ? (parseFlexibleDate(item.date) ?? parseIsoDateTime(item.date)) : undefined;
    const guid = item.guid && INTEGER_GUID.test(item.guid) ? Number(item.guid) : undefined;
    const hash = date === undefined ? undefined : shortHash(`${item.guid ?? item.link ?? item.html?.slice(0, 500) ?? ""}\n${date}`);
    if (hash !== undefined && (hashes.has(hash) || (guid !== undefined && (existingByDate.get(date!) ?? []).some((post) => post.id === guid)))) {
      plan.already++;
      continue;
    }
    const result = convertItem(item, source, site);
    if (!result.ok) {
      plan.skipped.push({ where: item.where, reason: result.error });
      continue;
    }
    hashes.add(hash!);
    converted.push({ item, post: result.value, hash: hash!, ...(guid !== undefined ? { guid } : {}) });
  }

  // Ids: the old integer guid where it is free, then the next free ids, both in date order.
  converted.sort((a, b) => a.post.date - b.post.date || a.hash.localeCompare(b.hash));
  const ids = new Map<(typeof converted)[number], { id: number; kept: boolean }>();
  for (const entry of converted) {
    if (entry.guid !== undefined && !used.has(entry.guid)) {
      used.add(entry.guid);
      ids.set(entry, { id: entry.guid, kept: true });
    }
  }
  let next = used.size ? Math.max(...used) + 1 : 0;
  const names = new Set(site.names);
  for (const entry of converted) {
    const assigned = ids.get(entry) ?? { id: next++, kept: false };
    const day = formatIsoUtc(entry.post.date).slice(0, 10);
    const name = `${day}-${slugify(entry.post.words)}-${entry.hash}.md`;
    if (names.has(name)) {
      plan.skipped.push({ where: entry.item.where, reason: `a file named posts/${name} exists` });
      continue;
    }
    names.add(name);
    const text = withIdInFrontMatter(postText(entry.post.front, entry.post.body), assigned.id)!;
    const parsed = parsePost({ file: `posts/${name}`, bytes: new TextEncoder().encode(text) });
    if (!parsed.ok) {
      plan.skipped.push({ where: entry.item.where, reason: `it would not build: ${parsed.error[0]!.message}` });
      continue;
    }
    for (const note of entry.post.notes) plan.notes.push({ where: entry.item.where, reason: note });
    plan.posts.push({ name, text, id: assigned.id, keptGuid: assigned.kept, date: entry.post.date, where: entry.item.where });
  }

  const blocked = site.blocks.flatMap((entry) => [`id:${entry.user_id}`, `link:${normalizeUserLink(entry.user_link)}`]);
  if (source.blocks)
    plan.blocks = planList(
      source.blocks,
      site.blocks,
      new Set(site.follows.flatMap((e) => [`id:${e.user_id}`, `link:${normalizeUserLink(e.user_link)}`])),
      "follows",
    );
  const blockedNow = new Set([...blocked, ...(plan.blocks?.add ?? []).flatMap((e) => [`id:${e.user_id}`, `link:${normalizeUserLink(e.user_link)}`])]);
  if (source.follows) plan.follows = planList(source.follows, site.follows, blockedNow, "blocks");
  return plan;
}

function planList(list: SourceList, existing: readonly ListEntry[], other: ReadonlySet<string>, otherName: string): PlannedList {
  if (!list.ok) return { add: [], already: 0, skipped: [], failed: list.error };
  const planned: PlannedList = { add: [], already: 0, skipped: [] };
  const known = new Set(existing.flatMap((e) => [`id:${e.user_id}`, `link:${normalizeUserLink(e.user_link)}`]));
  for (const entry of [...list.value].reverse()) {
    // Lists are written newest first; files are appended to, oldest first.
    const checked = listEntry.safeParse({ user_id: entry.user_id, username: entry.user_name, user_link: entry.user_link });
    if (!checked.success) {
      planned.skipped.push({ where: entry.where, reason: describeIssues(checked.error.issues).join("; ") });
      continue;
    }
    const keys = [`id:${checked.data.user_id}`, `link:${normalizeUserLink(checked.data.user_link)}`];
    if (keys.some((key) => known.has(key))) {
      planned.already++;
      continue;
    }
    if (keys.some((key) => other.has(key))) {
      planned.skipped.push({ where: entry.where, reason: `${checked.data.username} is also in ${otherName}.yaml` });
      continue;
    }
    for (const key of keys) known.add(key);
    planned.add.push(checked.data);
  }
  return planned;
}

function planProfile(found: SourceProfile): ProfileField[] {
  const fields: ProfileField[] = [];
  const add = (field: ProfileField["field"], value: string | undefined, check: (value: string) => string | undefined) => {
    if (value === undefined || value.trim() === "") return;
    const entry: ProfileField = { field, value: value.trim() };
    const problem = check(entry.value);
    if (problem) entry.problem = problem;
    fields.push(entry);
  };
  const issues = (result: { success: boolean; error?: { issues: Parameters<typeof describeIssues>[0] } }) =>
    result.success ? undefined : describeIssues(result.error!.issues).join("; ");
  const bounded = (max: number) => (value: string) =>
    value.length > max ? `longer than ${max} characters` : isXmlSafe(value) ? undefined : "holds characters a feed cannot carry";
  add("username", found.username, (value) => issues(ownUsername.safeParse(value)));
  add("user_id", found.user_id, (value) => issues(ownUserId.safeParse(value)));
  add("full_name", found.full_name, bounded(LIMITS.fullNameLength));
  add("bio", found.bio, bounded(LIMITS.bioLength));
  add("portrait", found.portrait, (value) => issues(imageRef.safeParse(value)));
  add("header", found.header, (value) => issues(imageRef.safeParse(value)));
  add("language", found.language, (value) => issues(languageTag.safeParse(value)));
  return fields;
}

/**
 * The plan checked by the build itself: the site's sources plus the planned posts (and lists and
 * profile, as the command would write them) through lib/publish/site.ts. A planned post the build
 * refuses (too large for a feed page, say) is moved to `skipped` with the build's reason; a problem
 * in the site's own files throws the SiteBuildError.
 */
export function verifyPlan(
  plan: ImportPlan,
  sources: SiteSources,
  changed: { follows?: FileSource; blocks?: FileSource; profile?: FileSource },
  options: BuildOptions = {},
): ImportPlan {
  for (let round = 0; round < 5; round++) {
    const planned = new Map(plan.posts.map((post) => [`posts/${post.name}`, post]));
    const trial: SiteSources = {
      ...sources,
      ...changed,
      posts: [...sources.posts, ...plan.posts.map((post) => ({ file: `posts/${post.name}`, bytes: new TextEncoder().encode(post.text) }))],
    };
    try {
      buildSite(trial, options);
      return plan;
    } catch (error) {
      if (!(error instanceof SiteBuildError)) throw error;
      const ours = error.errors.filter((e) => planned.has(e.file));
      if (ours.length === 0) throw error;
      const refused = new Map(ours.map((e) => [e.file, e.message]));
      plan = {
        ...plan,
        posts: plan.posts.filter((post) => !refused.has(`posts/${post.name}`)),
        skipped: [
          ...plan.skipped,
          ...plan.posts
            .filter((post) => refused.has(`posts/${post.name}`))
            .map((post) => ({ where: post.where, reason: `the build refuses it: ${refused.get(`posts/${post.name}`)}` })),
        ],
      };
    }
  }
  throw new Error("verifyPlan: the build kept refusing imported posts");
}
