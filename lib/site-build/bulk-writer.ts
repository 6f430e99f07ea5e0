/**
 * Writes lib/publish/site-files.ts's bulk files into the output folder, from Eleventy's
 * `eleventy.after` event (eleventy.config.ts): plain synchronous writes, one folder created once.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { outputPath, type SiteFile } from "../publish/site-files.ts";

/** Write every file under `outDir`; returns how many were written. */
export function writeSiteFiles(outDir: string, files: readonly SiteFile[]): number {
  const made = new Set<string>();
  for (const file of files) {
    const target = path.join(outDir, outputPath(file.permalink));
    const dir = path.dirname(target);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(target, file.render());
  }
  return files.length;
}
