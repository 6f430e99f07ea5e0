/**
 * The only place the build touches the file system for input: it reads the profile, the lists and
 * every post as bytes and hands them to lib/publish/site.ts, which validates them all.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { PageLimits } from "../publish/feed/paginate.ts";
import { DEFAULT_FEED_LIMITS } from "../publish/feed/paginate.ts";
import type { PostSource } from "../publish/posts.ts";
import { REPLIES_DIR } from "../publish/replies.ts";
import { type BuildOptions, buildSite, type FileSource, type SiteModel, type SiteSources } from "../publish/site.ts";
import { activeBuildCache, type BuildCache } from "./build-cache.ts";
import { signatureOf, stableSignature } from "./cache-files.ts";

export const SOURCE_PATHS = {
  posts: "posts",
  profile: "site/_data/profile.yaml",
  follows: "site/_data/follows.yaml",
  blocks: "site/_data/blocks.yaml",
} as const;

/**
 * Post files this process has read, with the file's identity then (inode, size, mtime, ctime): a
 * process that builds again (npm start) hands back the same bytes object for a file that did not
 * change, one stat instead of a read, and the build's cache knows those bytes' hash by identity.
 */
const readPosts = new Map<string, { signature: string; bytes: Buffer }>();

/**
 * The post file `file` (posts/x.md) under `root`. With the build's cache, a file it knows by its
 * signature (build-cache.ts knownPost: the previous build read it, unchanged since) is not read: one
 * stat where a read costs four calls. `now` is when this reading started (stableSignature).
 */
function readPost(root: string, file: string, now: number, cache: BuildCache | undefined): PostSource {
  const full = path.join(root, file);
  const known = readPosts.get(full);
  if (known || cache) {
    const stat = statSync(full, { bigint: true });
    const signature = cache && stableSignature(stat, now);
    cache?.notePostFile(file, signature);
    if (known && known.signature === signatureOf(stat)) return { file, bytes: known.bytes };
    const source = signature ? cache!.knownPost(file, signature) : undefined;
    if (source) return source;
  }
  // The identity from the open file: no stat more than the read itself for a file read the first time
  // (every file of a fresh process without a cache: npm run build --no-cache).
  const fd = openSync(full, "r");
  try {
    const stat = fstatSync(fd, { bigint: true });
    const bytes = readFileSync(fd);
    readPosts.set(full, { signature: signatureOf(stat), bytes });
    cache?.notePostFile(file, stableSignature(stat, now));
    return { file, bytes };
  } finally {
    closeSync(fd);
  }
}

function readSource(root: string, relative: string): FileSource | undefined {
  const full = path.join(root, relative);
  return existsSync(full) ? { file: relative, bytes: readFileSync(full) } : undefined;
}

export function readSiteSources(root: string, cache?: BuildCache): SiteSources {
  const profile = readSource(root, SOURCE_PATHS.profile);
  if (!profile) throw new Error(`${SOURCE_PATHS.profile} is missing: copy the example from the Skein repository or run \`npm run init\``);
  const postsDir = path.join(root, SOURCE_PATHS.posts);
  const files = existsSync(postsDir)
    ? readdirSync(postsDir)
        .filter((name) => name.endsWith(".md"))
        .sort()
    : [];
  const now = Date.now();
  const sources: SiteSources = { profile, posts: files.map((name) => readPost(root, `${SOURCE_PATHS.posts}/${name}`, now, cache)) };
  const follows = readSource(root, SOURCE_PATHS.follows);
  const blocks = readSource(root, SOURCE_PATHS.blocks);
  if (follows) sources.follows = follows;
  if (blocks) sources.blocks = blocks;
  // posts/replies/<guid>.yaml: the approved replies (lib/publish/replies.ts).
  const repliesDir = path.join(root, REPLIES_DIR);
  if (existsSync(repliesDir)) {
    sources.replies = readdirSync(repliesDir)
      .filter((name) => name.endsWith(".yaml") || name.endsWith(".yml"))
      .sort()
      .map((name) => ({ file: `${REPLIES_DIR}/${name}`, bytes: readFileSync(path.join(repliesDir, name)) }));
  }
  return sources;
}

function limitsFromEnv(env: NodeJS.ProcessEnv, prefix: string, base: PageLimits): PageLimits {
  const number = (name: string, fallback: number) => {
    const raw = env[`${prefix}_${name}`];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${prefix}_${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  const limits = {
    maxItems: number("MAX_ITEMS", base.maxItems),
    maxBytes: number("MAX_BYTES", base.maxBytes),
    headerReserveBytes: number("HEADER_RESERVE_BYTES", base.headerReserveBytes),
  };
  // Otherwise no item could ever fit and every post would be reported as too large.
  if (limits.headerReserveBytes >= limits.maxBytes) {
    throw new Error(`${prefix}_HEADER_RESERVE_BYTES (${limits.headerReserveBytes}) must be smaller than ${prefix}_MAX_BYTES (${limits.maxBytes})`);
  }
  return limits;
}

/**
 * Build options from the environment: SKEIN_URL / SKEIN_FUNCTIONS_URL override the profile's URLs
 * (previews, local servers); SKEIN_FEED_* and SKEIN_HTML_PAGE_SIZE change page limits (tests, benchmarks).
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv): BuildOptions {
  const options: BuildOptions = { feedLimits: limitsFromEnv(env, "SKEIN_FEED", DEFAULT_FEED_LIMITS) };
  if (env.SKEIN_URL) options.urlOverride = env.SKEIN_URL;
  if (env.SKEIN_FUNCTIONS_URL) options.functionsUrlOverride = env.SKEIN_FUNCTIONS_URL;
  if (env.SKEIN_HTML_PAGE_SIZE) {
    const size = Number(env.SKEIN_HTML_PAGE_SIZE);
    if (!Number.isInteger(size) || size < 1) throw new Error(`SKEIN_HTML_PAGE_SIZE must be a positive integer, got "${env.SKEIN_HTML_PAGE_SIZE}"`);
    options.htmlPageSize = size;
  }
  return options;
}

const cache = new Map<string, SiteModel>();

/**
 * The site model for a project folder, built once per process (the build script and Eleventy share it);
 * with the build's cache (build-cache.ts), posts whose bytes it knows are not parsed again.
 */
export function loadSiteModel(root: string, env: NodeJS.ProcessEnv = process.env): SiteModel {
  const key = path.resolve(root);
  let model = cache.get(key);
  if (!model) {
    const buildCache = activeBuildCache(key);
    model = buildSite(readSiteSources(key, buildCache), {
      ...optionsFromEnv(env),
      ...(buildCache ? { parsePost: buildCache.parsePost, itemBytes: buildCache.itemBytes } : {}),
    });
    buildCache?.keyPosts(model.posts);
    cache.set(key, model);
  }
  return model;
}

export function forgetSiteModel(root: string): void {
  cache.delete(path.resolve(root));
}
