/**
 * npm run build: validate every input first (lib/publish/site.ts), then let Eleventy write the site into a
 * staging folder and swap it into place, so a failed build never leaves a partial _site/ behind
 * (the previous good build, if any, stays). Also writes the functions' view of the site.
 *
 *   tsx scripts/build.ts [--out _site] [--quiet] [--sync]
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Eleventy from "@11ty/eleventy";
import { SiteBuildError, type SiteModel } from "../lib/publish/site.ts";
import { isEntryPoint } from "./entry-point.ts";
import { writeInboxConfig } from "./inbox-config-file.ts";
import { forgetSiteModel, loadSiteModel } from "./site-source.ts";

export { INBOX_CONFIG_PATH } from "./inbox-config-file.ts";

export interface BuildResult {
  model: SiteModel;
  outDir: string;
  files: number;
  seconds: number;
}

export interface BuildFolderOptions {
  /**
   * How the finished staging folder replaces the output: "rename" swaps folders (atomic; the default),
   * "sync" mirrors changed files into the existing folder, so a dev server watching it keeps working.
   */
  replace?: "rename" | "sync";
}

/** Build the site in `root` into `outDir`. Throws SiteBuildError (all bad files) before writing anything. */
export async function buildSiteFolder(root: string, outDir = "_site", options: BuildFolderOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  // Always read the sources afresh; Eleventy's global data then reuses this same model.
  forgetSiteModel(root);
  const model = loadSiteModel(root);
  const finalDir = path.resolve(root, outDir);
  const stagingDir = `${finalDir}.staging-${process.pid}`;
  rmSync(stagingDir, { recursive: true, force: true });
  const previousCwd = process.cwd();
  process.chdir(root);
  let files = 0;
  try {
    const eleventy = new Eleventy("site", stagingDir, { configPath: "eleventy.config.ts", quietMode: true });
    // Our own summary replaces Eleventy's "Wrote N files" line; its warnings and errors still show.
    eleventy.logger.overrideLogger({ ...console, log: () => {} });
    const written = (await eleventy.write()) as unknown;
    files = countWritten(written);
  } catch (error) {
    rmSync(stagingDir, { recursive: true, force: true });
    throw error;
  } finally {
    process.chdir(previousCwd);
    forgetSiteModel(root);
  }
  writeInboxConfig(root, model);
  if (options.replace === "sync" && existsSync(finalDir)) {
    mirrorFolder(stagingDir, finalDir);
    rmSync(stagingDir, { recursive: true, force: true });
  } else {
    const oldDir = `${finalDir}.old-${process.pid}`;
    if (existsSync(finalDir)) renameSync(finalDir, oldDir);
    renameSync(stagingDir, finalDir);
    rmSync(oldDir, { recursive: true, force: true });
  }
  return { model, outDir: finalDir, files, seconds: (performance.now() - started) / 1000 };
}

/** Make `target` hold exactly what `source` holds, touching only files that differ. */
function mirrorFolder(source: string, target: string): void {
  const wanted = new Set(readdirSync(source));
  for (const name of readdirSync(target)) {
    if (!wanted.has(name)) rmSync(path.join(target, name), { recursive: true, force: true });
  }
  for (const name of wanted) {
    const from = path.join(source, name);
    const to = path.join(target, name);
    if (statSync(from).isDirectory()) {
      if (existsSync(to) && !statSync(to).isDirectory()) rmSync(to, { force: true });
      mkdirSync(to, { recursive: true });
      mirrorFolder(from, to);
    } else {
      if (existsSync(to) && statSync(to).isDirectory()) rmSync(to, { recursive: true, force: true });
      if (!existsSync(to) || !readFileSync(from).equals(readFileSync(to))) copyFileSync(from, to);
    }
  }
}

function countWritten(written: unknown): number {
  // Eleventy 3 resolves write() to [passthroughCopies, templates].
  if (Array.isArray(written)) return written.flat(2).filter((entry) => entry && typeof entry === "object").length;
  return 0;
}

export function summary(result: BuildResult): string {
  const { model } = result;
  const archives = model.feedPageCount - 1;
  const lists = model.listFiles.length;
  const lines = [
    `Skein built ${model.posts.length} post${model.posts.length === 1 ? "" : "s"} for @${model.profile.username} in ${result.seconds.toFixed(2)} s -> ${path.relative(process.cwd(), result.outDir) || "."}/`,
    `  feed:  ${model.urls.feed} (${archives} archive page${archives === 1 ? "" : "s"})`,
    `  lists: ${lists} list feed page${lists === 1 ? "" : "s"} (follows ${model.follows.length}${model.profile.public_blocks ? `, blocks ${model.blocks.length}` : ", blocks private"})`,
    `  html:  home + ${model.posts.length} post pages + ${model.htmlPages.length} older-post page${model.htmlPages.length === 1 ? "" : "s"}; inbox accept=${model.profile.accept}`,
  ];
  for (const warning of model.warnings) lines.push(`  note:  ${warning}`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf("--out");
  const outDir = outIndex >= 0 ? args[outIndex + 1] : undefined;
  if (outIndex >= 0 && !outDir) throw new Error("--out needs a folder");
  try {
    const result = await buildSiteFolder(process.cwd(), outDir, { replace: args.includes("--sync") ? "sync" : "rename" });
    if (!args.includes("--quiet")) console.log(summary(result));
  } catch (error) {
    if (error instanceof SiteBuildError) {
      console.error(`Build failed, nothing was written.\n${error.message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

if (isEntryPoint(import.meta.url)) {
  await main();
}
