/**
 * Test factories: site content built from code, with FIXED UTC dates, so every test states what it
 * feeds the build and nothing depends on the clock, the machine's zone or the example content.
 *
 * - profileYaml / fullProfile: site/_data/profile.yaml text
 * - person / listYaml: follows.yaml and blocks.yaml text
 * - postMarkdown / postFile: posts/*.md text or a PostSource ({ file, bytes })
 * - siteSources / projectContent: the same content for lib/publish/site.ts (in memory) or createProjectCopy (CLI)
 * - buildSiteInMemory / buildSiteFiles: buildSite + every XmlFile rendered, plus the stable HTML pages
 *   rendered with the Eleventy-free functions of lib/publish/html/site-pages.ts
 * - seededRandom: a small deterministic PRNG for property tests
 */
import { stringify } from "yaml";
import { idsForPostsWithoutId } from "../publish/guids.ts";
import { type PostSource, parsePost } from "../publish/posts.ts";
import { type BuildOptions, buildSite, type SiteModel, type SiteSources } from "../publish/site.ts";
import { olderPageFiles, postPageFiles } from "../publish/site-files.ts";
import { SOURCE_PATHS } from "../site-build/site-source.ts";
import type { ProjectContent } from "./project-copy.ts";

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Dates

/** 2026-01-01T09:00:00Z: every fixture date is an offset from this instant. */
export const BASE_DATE = Date.UTC(2026, 0, 1, 9, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** BASE_DATE plus `days` days and `hours` hours (epoch ms, UTC). */
export function fixedDate(days: number, hours = 0): number {
  return BASE_DATE + days * DAY + hours * HOUR;
}

/** "2026-01-03T09:00:00Z" for an epoch ms (milliseconds dropped when zero). */
export function isoUtc(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(".000Z", "Z");
}

// ---------------------------------------------------------------------------------------------
// Profile

export const OWNER_ID = "3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10";

/** The smallest valid profile: only the required fields. */
export const MINIMAL_PROFILE = {
  username: "ada",
  user_id: OWNER_ID,
  language: "en",
  url: "https://ada.example",
} as const;

/** A profile with every optional field set (relocate, pictures, functions elsewhere, selected, public blocks). */
export const FULL_PROFILE = {
  ...MINIMAL_PROFILE,
  full_name: "Ada Lovelace & <Co>",
  bio: "Notes on engines & looms.\n\nCDATA edge: ]]> stays, <b>tags</b> too.",
  portrait: "/assets/portrait.svg",
  header: "https://img.example/header.png",
  accept: "selected",
  selected: [{ user_id: "5b8f3a2c-9d41-4e06-8a7b-2c1d0e9f8a64", username: "juniper", user_link: "https://juniper.example/feed.xml" }],
  public_blocks: true,
  relocate: "https://new-home.example/ada/feed.xml",
  functions_url: "https://inbox.ada.example",
  docs: "https://docs.ada.example/open-microblog",
} as const;

/** profile.yaml text: the minimal profile with `fields` merged in (a field set to undefined is left out). */
export function profileYaml(fields: Record<string, unknown> = {}): string {
  return yamlText({ ...MINIMAL_PROFILE, ...fields });
}

// ---------------------------------------------------------------------------------------------
// Follows / blocks lists

export interface PersonFields {
  user_id: string;
  username: string;
  user_link: string;
  since?: string;
}

/** The i-th other account: distinct id, name and feed URL; `since` a fixed date unless overridden. */
export function person(i: number, overrides: Partial<PersonFields> = {}): PersonFields {
  const hex = (i + 1).toString(16).padStart(12, "0");
  return {
    user_id: `00000000-0000-4000-8000-${hex}`,
    username: `friend_${i}`,
    user_link: `https://friend${i}.example/feed.xml`,
    since: isoUtc(fixedDate(i, 1)),
    ...overrides,
  };
}

/** follows.yaml / blocks.yaml text for these entries (oldest first, as the file is appended to). */
export function listYaml(entries: readonly object[]): string {
  return entries.length ? yamlText(entries) : "[]\n";
}

// ---------------------------------------------------------------------------------------------
// Posts

export interface OtherPostRef {
  user_id: string;
  user_link: string;
  status_id: string | number;
  username?: string;
}

export interface PostSpec {
  /** File name inside posts/ (default: derived from the date). */
  name?: string;
  /** Epoch ms (written as ISO UTC) or the exact front-matter text of the date. */
  date: number | string;
  /** Markdown below the front matter (default: none, as for a plain repost). */
  body?: string;
  id?: number;
  language?: string;
  replyTo?: OtherPostRef;
  repost?: OtherPostRef & { pubdate: number | string; text: string };
  /** Extra front-matter fields, e.g. to test unknown ones. */
  extra?: Record<string, unknown>;
}

function dateText(date: number | string): string {
  return typeof date === "number" ? isoUtc(date) : date;
}

export function postFileName(spec: PostSpec): string {
  if (spec.name) return spec.name;
  return `${dateText(spec.date).replace(/[^0-9A-Za-z]/g, "")}.md`;
}

/** The text of a post file: a YAML front matter block, then the markdown body. */
export function postMarkdown(spec: PostSpec): string {
  const front: Record<string, unknown> = { date: dateText(spec.date) };
  if (spec.id !== undefined) front.id = spec.id;
  if (spec.language !== undefined) front.language = spec.language;
  if (spec.replyTo) front.reply_to = { ...spec.replyTo };
  if (spec.repost) front.repost = { ...spec.repost, pubdate: dateText(spec.repost.pubdate) };
  Object.assign(front, spec.extra);
  return `---\n${yamlText(front)}---\n${spec.body ?? ""}`;
}

/** A post as the build reads it: display path and UTF-8 bytes. */
export function postFile(spec: PostSpec): PostSource {
  return { file: `${SOURCE_PATHS.posts}/${postFileName(spec)}`, bytes: encoder.encode(postMarkdown(spec)) };
}

/** A raw post file (e.g. broken on purpose). */
export function rawPostFile(name: string, content: string | Uint8Array): PostSource {
  return { file: `${SOURCE_PATHS.posts}/${name}`, bytes: typeof content === "string" ? encoder.encode(content) : content };
}

// ---------------------------------------------------------------------------------------------
// Whole sites

export interface SiteContent {
  /** profile.yaml text (default: the minimal profile). */
  profile?: string | Uint8Array;
  /** follows.yaml / blocks.yaml text; undefined = no file. */
  follows?: string | Uint8Array;
  blocks?: string | Uint8Array;
  posts?: readonly (PostSpec | PostSource)[];
}

function bytesOf(content: string | Uint8Array): Uint8Array {
  return typeof content === "string" ? encoder.encode(content) : content;
}

function toSource(post: PostSpec | PostSource): PostSource {
  return "bytes" in post ? post : postFile(post);
}

/**
 * Every post of a site needs its `id:` (lib/publish/guids.ts). A PostSpec without one gets the id the
 * build would ask for (Skein's numbering in date order), so fixtures stay short and keep the guids
 * they always had. To build a post WITHOUT an id on purpose, pass a PostSource (postFile(spec)).
 */
function withIds(posts: readonly (PostSpec | PostSource)[]): PostSource[] {
  const sources = posts.map(toSource);
  const parsed = sources.flatMap((source) => {
    const result = parsePost(source);
    return result.ok ? [result.value] : [];
  });
  const ids = new Map(idsForPostsWithoutId(parsed).map((missing) => [missing.file, missing.id]));
  return posts.map((post, i) => {
    const id = "bytes" in post || post.id !== undefined ? undefined : ids.get(sources[i]!.file);
    return id === undefined ? sources[i]! : postFile({ ...(post as PostSpec), id });
  });
}

/** The same content lib/publish/site.ts would get from scripts/site-source.ts reading a project folder. */
export function siteSources(content: SiteContent = {}): SiteSources {
  const sources: SiteSources = {
    profile: { file: SOURCE_PATHS.profile, bytes: bytesOf(content.profile ?? profileYaml()) },
    posts: withIds(content.posts ?? []),
  };
  if (content.follows !== undefined) sources.follows = { file: SOURCE_PATHS.follows, bytes: bytesOf(content.follows) };
  if (content.blocks !== undefined) sources.blocks = { file: SOURCE_PATHS.blocks, bytes: bytesOf(content.blocks) };
  return sources;
}

/** The same content for createProjectCopy(): lists absent unless given. */
export function projectContent(content: SiteContent = {}): ProjectContent {
  const text = (value: string | Uint8Array) => (typeof value === "string" ? value : new TextDecoder().decode(value));
  const posts: Record<string, string | Uint8Array> = {};
  for (const post of withIds(content.posts ?? [])) posts[post.file.slice(SOURCE_PATHS.posts.length + 1)] = post.bytes;
  return {
    profile: text(content.profile ?? profileYaml()),
    follows: content.follows === undefined ? null : text(content.follows),
    blocks: content.blocks === undefined ? null : text(content.blocks),
    posts,
  };
}

export interface InMemorySite {
  model: SiteModel;
  /** Every feed and list feed file, permalink -> XML text. */
  xml: Map<string, string>;
  /** Older-post pages (/page/k/) and post pages (/posts/g/): the pages that must never change once written. */
  stableHtml: Map<string, string>;
}

/** Every XmlFile of a model rendered, keyed by permalink. */
export function renderXmlFiles(model: SiteModel): Map<string, string> {
  const files = new Map<string, string>();
  for (const file of [...model.feedFiles, ...model.listFiles]) files.set(file.permalink, file.render());
  return files;
}

/** Older-post pages and post pages, as the build writes them (lib/publish/site-files.ts). */
export function renderStableHtml(model: SiteModel): Map<string, string> {
  return new Map([...olderPageFiles(model), ...postPageFiles(model)].map((file) => [file.permalink, file.render()]));
}

/** buildSite + every XML file rendered + the stable HTML pages. */
export function buildSiteInMemory(content: SiteContent | SiteSources, options: BuildOptions = {}): InMemorySite {
  const sources = isSiteSources(content) ? content : siteSources(content);
  const model = buildSite(sources, options);
  return { model, xml: renderXmlFiles(model), stableHtml: renderStableHtml(model) };
}

/** buildSite + render every XmlFile: permalink -> XML text. */
export function buildSiteFiles(content: SiteContent | SiteSources, options: BuildOptions = {}): Map<string, string> {
  const sources = isSiteSources(content) ? content : siteSources(content);
  return renderXmlFiles(buildSite(sources, options));
}

function isSiteSources(value: SiteContent | SiteSources): value is SiteSources {
  return typeof value.profile === "object" && value.profile !== null && "file" in value.profile;
}

// ---------------------------------------------------------------------------------------------
// Randomness for property tests

export { type SeededRandom, seededRandom } from "./seeded-random.ts";

// ---------------------------------------------------------------------------------------------

function yamlText(value: unknown): string {
  // Drop undefined fields so `{ bio: undefined }` removes a field instead of writing "null".
  const cleaned = JSON.parse(JSON.stringify(value)) as unknown;
  return stringify(cleaned, { lineWidth: 0 });
}
