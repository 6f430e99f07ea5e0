/**
 * Issue 2's "append one post" check: build a site, hash every output file, add one post newer than
 * all the others, build again and compare. Archives (closed feed pages, list archives, full
 * older-post pages) are promised never to change when newer posts arrive (lib/publish/feed/paginate.ts, spec
 * "Feed Paging": a full file "is moved as is"), so a cached or mirrored archive stays valid; the
 * head feed, the home page and the new post's page are expected to change.
 */

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { ProjectCopy } from "../../lib/harness/project-copy.ts";
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
  rebuildSeconds: number;
  /** The full build of the same site just before (the first build of this check). */
  fullSeconds?: number;
}

function fileHash(file: string): string | undefined {
  return existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : undefined;
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
): Promise<AppendResult> {
  const siteConfig = path.join(copy.root, SITE_CONFIG_PATH);
  progress(`append check: building the ${posts}-post site`);
  const full = await measureBuild(ours, usageFile, true);
  const before = hashTree(ours.outDir);
  const configBefore = fileHash(siteConfig);

  const post = syntheticPost(posts);
  const appended = `posts/${post.name}`;
  copy.write(appended, post.text);
  progress(`append check: added ${appended}, building again`);
  let rebuild: RunMeasurement;
  try {
    rebuild = await measureBuild(ours, usageFile, true);
  } finally {
    copy.remove(appended);
  }
  const after = hashTree(ours.outDir);
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
    fullSeconds: full.wallSeconds,
  };
}
