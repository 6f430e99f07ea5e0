/**
 * Issue 2's "append one post" check: build a site, hash every output file, add one post newer than
 * all the others, build again and compare. Issue 17: the rebuild is the incremental one, as a deploy
 * runs it (no _site, the previous build's .cache/skein restored), timed against a full build
 * (--no-cache) of the same site in the same run, and its output is compared byte for byte with a full
 * build of the appended site; then once more in place (--sync), as a deploy that restored _site/ with the
 * cache runs it (scripts/deploy.sh). Archives (closed feed pages, list archives, full
 * older-post pages) are promised never to change when newer posts arrive (lib/publish/feed/paginate.ts, spec
 * "Feed Paging": a full file "is moved as is"), so a cached or mirrored archive stays valid; the
 * head feed, the home page and the new post's page are expected to change.
 */

import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { ProjectCopy } from "../../lib/harness/project-copy.ts";
import { DEFAULT_CACHE_DIR } from "../../lib/site-build/build-cache.ts";
import { SITE_CONFIG_PATH } from "../../lib/site-build/site-config-file.ts";
import { type ChildCommand, hashTree, measureBuild, type RunMeasurement } from "./measure.ts";
import { syntheticPost } from "./synthetic-posts.ts";

/** Output paths (relative to the site root) of archive pages: /feed/N.xml, /follows/N.xml, /blocks/N.xml, /page/N/. */
const ARCHIVE_PATH = /^(?:(?:feed|follows|blocks)\/\d+\.xml|page\/\d+\/index\.html)$/;

export function isArchivePath(relative: string): boolean {
  return ARCHIVE_PATH.test(relative);
}

export interface AppendResult {
  /** Posts before the append. */
  posts: number;
  /** posts/<name> of the appended post. */
  appended: string;
  added: string[];
  changed: string[];
  removed: string[];
  /** Archive pages that changed or disappeared (the target: none). */
  archivesChanged: string[];
  /** Archive pages that appeared (expected when the head fills up; allowed). */
  archivesAdded: string[];
  /** functions/_generated/site-config.json (not site output, reported apart). */
  siteConfigChanged: boolean;
  /** The incremental rebuild after the append (wall, CPU). */
  rebuildSeconds: number;
  rebuildCpuSeconds?: number;
  /** The full build (--no-cache) of the same site just before (the first build of this check). */
  fullSeconds?: number;
  fullCpuSeconds?: number;
  /** The incremental rebuild's files are byte for byte a full build's of the appended site. */
  identical?: boolean;
  /** The same rebuild in place (--sync) into the previous build's _site/, as deploy.sh runs it; its files = a full build's. */
  inPlaceSeconds?: number;
  inPlaceCpuSeconds?: number;
  inPlaceIdentical?: boolean;
  /** Full builds and appends in place timed, taking turns (the figures above are their medians). */
  samples: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function fileHash(file: string): string | undefined {
  return existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : undefined;
}

/**
 * What `npm run build` runs (package.json): the build's precompiled entry, scripts/build.mjs, not tsx,
 * with the cache (`ours` is the full build through tsx, --no-cache).
 */
function npmRunBuild(args: readonly string[]): string[] {
  const script = args.indexOf("scripts/build.ts");
  const tsx = args.indexOf("--import");
  return [...args.slice(0, tsx), "scripts/build.mjs", ...args.slice(script + 1)].filter((arg) => arg !== "--no-cache");
}

/**
 * `copy` must hold exactly posts 0..posts-1 of the synthetic site; `ours` builds it. The appended
 * post is removed again afterwards, so the copy is left as it was found.
 */
export async function appendOnePost(
  copy: ProjectCopy,
  posts: number,
  ours: ChildCommand,
  usageFile: string,
  progress: (line: string) => void,
  samples = 3,
): Promise<AppendResult> {
  const siteConfig = path.join(copy.root, SITE_CONFIG_PATH);
  const cached: ChildCommand = { ...ours, args: npmRunBuild(ours.args) };
  const fullOut: ChildCommand = { ...ours, args: [...ours.args, "--out", "_full"], outDir: path.join(copy.root, "_full") };
  rmSync(path.join(copy.root, DEFAULT_CACHE_DIR), { recursive: true, force: true });
  // The baseline is a full build as a deploy without a cache runs it: into no _site/ at all. Replacing
  // the 10,000-file _site/ the runs before left here costs it as much system time again.
  rmSync(ours.outDir, { recursive: true, force: true });
  progress(`append check: building the ${posts}-post site (full, --no-cache, no _site/ yet), then once more to fill the cache`);
  const full = await measureBuild(ours, usageFile, true);
  const before = hashTree(ours.outDir);
  const configBefore = fileHash(siteConfig);
  await measureBuild(cached, usageFile);

  const post = syntheticPost(posts);
  const appended = `posts/${post.name}`;
  copy.write(appended, post.text);
  progress(`append check: added ${appended}, building again`);
  let rebuild: RunMeasurement;
  let after: Map<string, string>;
  let identical: boolean;
  const inPlace: RunMeasurement[] = [];
  const fulls: RunMeasurement[] = [full];
  let inPlaceIdentical: boolean;
  try {
    rebuild = await measureBuild(cached, usageFile, true);
    after = hashTree(ours.outDir);
    progress("append check: a full build of the appended site, to compare bytes");
    await measureBuild(fullOut, usageFile, true);
    const fresh = hashTree(fullOut.outDir);
    const same = (tree: Map<string, string>) => fresh.size === tree.size && [...fresh].every(([file, hash]) => tree.get(file) === hash);
    identical = same(after);
    rmSync(fullOut.outDir, { recursive: true, force: true });
    progress("append check: without the post again (in place), then the append in place (--sync), as a deploy with _site/ restored");
    const sync: ChildCommand = { ...cached, args: [...cached.args, "--sync"] };
    copy.remove(appended);
    await measureBuild(sync, usageFile, true, true);
    copy.write(appended, post.text);
    inPlace.push(await measureBuild(sync, usageFile, true, true));
    inPlaceIdentical = same(hashTree(ours.outDir));
    // The machine's speed drifts (system time writing 10,000 files above all): more full builds and
    // appends in place, taking turns, and the medians.
    for (let round = 1; round < samples; round++) {
      progress(`append check: full build and append in place, round ${round + 1} of ${samples}`);
      fulls.push(await measureBuild(fullOut, usageFile));
      copy.remove(appended);
      await measureBuild(sync, usageFile, true, true);
      copy.write(appended, post.text);
      inPlace.push(await measureBuild(sync, usageFile, true, true));
    }
  } finally {
    copy.remove(appended);
  }
  const configAfter = fileHash(siteConfig);

  const added = [...after.keys()].filter((file) => !before.has(file));
  const removed = [...before.keys()].filter((file) => !after.has(file));
  const changed = [...after.keys()].filter((file) => before.has(file) && before.get(file) !== after.get(file));
  return {
    posts,
    appended,
    added,
    changed,
    removed,
    archivesChanged: [...changed, ...removed].filter(isArchivePath).sort(),
    archivesAdded: added.filter(isArchivePath),
    siteConfigChanged: configBefore !== configAfter,
    rebuildSeconds: rebuild.wallSeconds,
    rebuildCpuSeconds: rebuild.cpuSeconds,
    fullSeconds: median(fulls.map((run) => run.wallSeconds)),
    fullCpuSeconds: median(fulls.map((run) => run.cpuSeconds)),
    identical,
    inPlaceSeconds: median(inPlace.map((run) => run.wallSeconds)),
    inPlaceCpuSeconds: median(inPlace.map((run) => run.cpuSeconds)),
    inPlaceIdentical,
    samples,
  };
}
