/**
 * npm run build: validate every input first (lib/publish/site.ts), then let Eleventy write the site into a
 * staging folder and swap it into place, so a failed build never leaves a partial _site/ behind
 * (the previous good build, if any, stays). Also writes the Worker's view of the site
 * (functions/_generated/site-config.json), which wrangler bundles into the Worker.
 *
 * Incremental: it keeps what it parsed and wrote in .cache/skein/ (lib/site-build/build-cache.ts), so
 * the next build renders only the files whose inputs changed, with the same bytes as a full build.
 *
 *   tsx scripts/build.ts [--out _site] [--quiet] [--sync] [--no-cache] [--worker-config]
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Eleventy from "@11ty/eleventy";
import type { configureSkein, config as eleventyFileConfig } from "../eleventy.config.ts";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { runningLocalServer } from "../lib/cli/local-server.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { SiteBuildError, type SiteModel } from "../lib/publish/site.ts";
import { BuildCache, type CacheStats, DEFAULT_CACHE_DIR, setActiveBuildCache } from "../lib/site-build/build-cache.ts";
import { SITE_CONFIG_PATH, writeSiteConfig } from "../lib/site-build/site-config-file.ts";
import { forgetSiteModel, loadSiteModel, optionsFromEnv } from "../lib/site-build/site-source.ts";
import type { EleventyConfig, TemplateModule } from "../site/_includes/eleventy.ts";

export { SITE_CONFIG_PATH };

export interface BuildResult {
  model: SiteModel;
  outDir: string;
  files: number;
  seconds: number;
  /** What the incremental build's cache saved (absent with `cache: false`). */
  cache?: CacheStats;
}

export interface BuildFolderOptions {
  /**
   * How the finished staging folder replaces the output: "rename" swaps folders (atomic; the default),
   * "sync" mirrors changed files into the existing folder, so a dev server watching it keeps working.
   */
  replace?: "rename" | "sync";
  /** The cache folder (default .cache/skein under root), or false for a full build that keeps none. */
  cache?: string | false;
  /**
   * npm start: once every served file is in place, let the event loop run once (its static server, in
   * this process, answers the requests that waited for the build) before the bookkeeping -- the
   * Worker's site config and the cache's manifest -- is written.
   */
  servedFirst?: boolean;
}

/**
 * The Eleventy configuration and templates compiled into the build's precompiled entry
 * (scripts/build.mjs): Eleventy gets them as its `config` callback instead of importing the TypeScript
 * files through tsx, the same code with the same output.
 */
export interface PrecompiledEleventy {
  /** eleventy.config.ts's configure(), its `config` export and every site/ template module by path. */
  configure: typeof configureSkein;
  config: typeof eleventyFileConfig;
  templates: Record<string, TemplateModule>;
}

let precompiled: PrecompiledEleventy | undefined;

export function usePrecompiledEleventy(modules: PrecompiledEleventy): void {
  precompiled = modules;
}

function eleventyOptions(): Record<string, unknown> {
  if (!precompiled) return { configPath: "eleventy.config.ts", quietMode: true };
  const { configure, config, templates } = precompiled;
  // configPath false: no config file is imported; the callback does what eleventy.config.ts's exports do.
  return {
    configPath: false,
    quietMode: true,
    config: (eleventyConfig: EleventyConfig) => {
      eleventyConfig.setIncludesDirectory(config.dir.includes);
      eleventyConfig.setDataDirectory(config.dir.data);
      eleventyConfig.setTemplateFormats(config.templateFormats);
      configure(eleventyConfig, templates);
    },
  };
}

/** Build the site in `root` into `outDir`. Throws SiteBuildError (all bad files) before writing anything. */
export async function buildSiteFolder(root: string, outDir = "_site", options: BuildFolderOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const cache = options.cache === false ? undefined : new BuildCache(path.resolve(root, options.cache ?? DEFAULT_CACHE_DIR), optionsFromEnv(process.env));
  setActiveBuildCache(root, cache);
  // Always read the sources afresh; Eleventy's global data then reuses this same model.
  forgetSiteModel(root);
  let model: SiteModel;
  try {
    model = loadSiteModel(root);
  } catch (error) {
    setActiveBuildCache(root, undefined);
    throw error;
  }
  const finalDir = path.resolve(root, outDir);
  const stagingDir = `${finalDir}.staging-${process.pid}`;
  rmSync(stagingDir, { recursive: true, force: true });
  // npm start's rebuilds: the bulk files go straight into the served folder, only those that changed
  // (build-cache.ts syncInto), after every input was validated; Eleventy's few pages are mirrored below.
  const syncing = options.replace === "sync" && existsSync(finalDir) && cache?.syncInto(finalDir) === true;
  const previousCwd = process.cwd();
  process.chdir(root);
  let files = 0;
  try {
    const eleventy = new Eleventy("site", stagingDir, eleventyOptions());
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
    setActiveBuildCache(root, undefined);
  }
  if (!options.servedFirst) writeSiteConfig(root, model);
  if (options.replace === "sync" && existsSync(finalDir)) {
    mirrorFolder(stagingDir, finalDir, keepSet(syncing ? cache!.keptInSyncFolder() : new Set()));
    rmSync(stagingDir, { recursive: true, force: true });
  } else {
    const oldDir = `${finalDir}.old-${process.pid}`;
    if (existsSync(finalDir)) renameSync(finalDir, oldDir);
    renameSync(stagingDir, finalDir);
    rmSync(oldDir, { recursive: true, force: true });
    // npm start's first build: its rebuilds then sync into this folder knowing what is in it.
    if (options.servedFirst) cache?.placedInto(finalDir);
  }
  if (options.servedFirst) {
    await passPollPhase();
    writeSiteConfig(root, model);
  }
  cache?.save();
  const result: BuildResult = { model, outDir: finalDir, files, seconds: (performance.now() - started) / 1000 };
  if (cache) result.cache = cache.stats;
  return result;
}

/**
 * Resolves once the event loop has passed a poll phase, where the requests that waited for the build
 * are read and (lib/dev-server: synchronously) answered. One setImmediate is not enough: resumed from
 * an I/O callback, it runs in this same turn's check phase, before any socket is read.
 */
function passPollPhase(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** Files (and the folders holding them) that a mirror must not remove: the bulk files synced in place. */
interface Keep {
  files: ReadonlySet<string>;
  dirs: ReadonlySet<string>;
}

function keepSet(files: ReadonlySet<string>): Keep {
  const dirs = new Set<string>();
  for (const file of files) for (let dir = path.posix.dirname(file); dir !== "."; dir = path.posix.dirname(dir)) dirs.add(dir);
  return { files, dirs };
}

/**
 * Make `target` hold exactly what `source` holds (besides `keep`), touching only files that differ. A
 * file that is the same file (a hard link to the same object of the build's cache) is not even read; a
 * changed one is replaced, never written in place (the old one may be linked into the cache).
 */
function mirrorFolder(source: string, target: string, keep: Keep, relative = ""): void {
  const wanted = new Set(readdirSync(source));
  for (const name of readdirSync(target)) {
    const rel = relative ? `${relative}/${name}` : name;
    if (!wanted.has(name) && !keep.files.has(rel) && !keep.dirs.has(rel)) rmSync(path.join(target, name), { recursive: true, force: true });
  }
  for (const name of wanted) {
    const from = path.join(source, name);
    const to = path.join(target, name);
    const fromStat = statSync(from);
    const toStat = existsSync(to) ? statSync(to) : undefined;
    if (fromStat.isDirectory()) {
      if (toStat && !toStat.isDirectory()) rmSync(to, { force: true });
      mkdirSync(to, { recursive: true });
      mirrorFolder(from, to, keep, relative ? `${relative}/${name}` : name);
      continue;
    }
    if (toStat?.isDirectory()) rmSync(to, { recursive: true, force: true });
    else if (toStat && toStat.ino === fromStat.ino && toStat.dev === fromStat.dev) continue;
    else if (toStat && toStat.size === fromStat.size && readFileSync(from).equals(readFileSync(to))) continue;
    rmSync(to, { force: true });
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
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
  const { cache } = result;
  if (cache) {
    const why = cache.ignored ? ` (previous cache not used: ${cache.ignored})` : "";
    lines.push(`  cache: ${cache.filesReused} files and ${cache.postsReused} posts reused, ${cache.filesRendered} files rendered${why}`);
  }
  for (const warning of model.warnings) lines.push(`  note:  ${warning}`);
  return lines.join("\n");
}

/**
 * `npm start` serves _site/ and rebuilds it for its local URL only when posts/ or site/ change, so a
 * plain `npm run build` beside it (the README's "npm run build writes the whole site") silently swaps
 * in a site made for the profile's url: the local feed then names https://you.example, and the local
 * Worker's config with it. Say so, and how to put the local site back.
 */
export function localServerNote(root: string, outDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SKEIN_URL) return undefined;
  if (path.resolve(root, outDir ?? "_site") !== path.resolve(root, "_site")) return undefined;
  const server = runningLocalServer(root);
  if (!server) return undefined;
  return (
    `note: npm start is running here (${server.url}) and now serves this build, made for the profile's url, ` +
    "until its next rebuild. npm start rebuilds by itself when posts/ or site/ change; to put its local site back now, " +
    `run SKEIN_URL=${server.url} npm run build`
  );
}

export const USAGE = `Usage: npm run build [-- --out _site] [--quiet] [--sync] [--no-cache] [--worker-config]

  --out DIR          write the site into DIR (default _site)
  --quiet            no summary
  --sync             update the output folder in place (what npm start's rebuilds use)
  --no-cache         a full build: neither read nor write ${DEFAULT_CACHE_DIR}/ (the incremental build's
                     cache; its output is the same bytes)
  --worker-config    only write ${SITE_CONFIG_PATH} (the Worker's view of the site), not the site
  --if-missing       with --worker-config: only when that file does not exist yet (npm run typecheck)`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    out: { type: "string" },
    quiet: { type: "boolean", default: false },
    sync: { type: "boolean", default: false },
    "no-cache": { type: "boolean", default: false },
    "worker-config": { type: "boolean", default: false },
    "if-missing": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}`);
  const root = process.cwd();
  try {
    if (values["worker-config"]) {
      if (values["if-missing"] && existsSync(path.join(root, SITE_CONFIG_PATH))) return;
      writeSiteConfig(root, loadSiteModel(root));
      if (!values.quiet) console.log(`wrote ${SITE_CONFIG_PATH}`);
      return;
    }
    const result = await buildSiteFolder(root, values.out, {
      replace: values.sync ? "sync" : "rename",
      ...(values["no-cache"] ? { cache: false as const } : {}),
    });
    if (!values.quiet) console.log(summary(result));
    const note = localServerNote(root, values.out);
    if (note) console.error(note);
  } catch (error) {
    if (error instanceof SiteBuildError) throw new CliError(`Build failed, nothing was written.\n${error.message}`);
    throw error;
  }
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run build", USAGE, main);
