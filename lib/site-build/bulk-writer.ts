/**
 * Writes lib/publish/site-files.ts's bulk files into the output folder, from Eleventy's
 * `eleventy.after` event (eleventy.config.ts): plain synchronous writes, one folder created once.
 * With the build's cache (build-cache.ts), a file whose inputs did not change is the previous build's
 * bytes, not rendered again.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { outputPath, type SiteFile } from "../publish/site-files.ts";
import type { BuildCache } from "./build-cache.ts";

/** Write every file under `outDir`; returns how many were written. */
export function writeSiteFiles(outDir: string, files: readonly SiteFile[], cache?: BuildCache): number {
  const made = new Set<string>();
  for (const file of files) {
    const relative = outputPath(file.permalink);
    const cached = cache && file.inputs ? cache : undefined;
    // Into the folder being synced (npm start), only a replaced file needs its folder: writeOutput makes it.
    if (cached?.syncing) {
      cached.writeOutput(relative, cached.targetFor(outDir, relative), file.inputs!(), file.render);
      continue;
    }
    const target = path.join(outDir, relative);
    const dir = path.dirname(target);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    if (cached) cached.writeOutput(relative, target, file.inputs!(), file.render);
    else writeFileSync(target, file.render());
  }
  cache?.removeUnbuilt();
  return files.length;
}
