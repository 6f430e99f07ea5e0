/**
 * npm run bench: issue 2's build benchmark. A script, never a test: timings are printed, not asserted.
 *
 * For each size it writes N deterministic synthetic posts into a throw-away project copy under the
 * OS temp folder (the user's exact build, as `npm run build` runs it: `node --expose-gc --import tsx scripts/build.ts`), and times that build
 * against plain Eleventy rendering the SAME post files to HTML only (bench/build/baseline-project.ts).
 * Runs are interleaved (ours, baseline, ours, baseline, ...) and the medians compared, so both tools
 * see the same machine load: on a shared machine only the ratio is meaningful, not the seconds.
 * When Debian's `hugo` is installed it builds the same posts too (bench/build/hugo-project.ts), in the
 * same interleaved runs, and the table prints ours / Hugo's (issue 17's yardstick); when it is not,
 * the output says so.
 * Then it appends one post to the 10,000-post site and reports which output files changed.
 *
 * Last, the edit loop (bench/build/edit-loop.ts): npm start on the 10,000-post site and hugo server on
 * the same posts, an edited, a new and a broken post each timed from the write to the served change.
 *
 *   tsx bench/build.ts [--sizes 1000,10000,50000] [--repeat N] [--append 10000] [--edit-loop 10000] [--keep] [--json file]
 *   tsx bench/build.ts --publish [--publish-posts 10000]   the publishing job instead (bench/build/publish-path.ts)
 *
 * Progress goes to stderr, the table and the targets to stdout. Exit code: 0 all measured targets met,
 * 1 a target missed (named on stderr), 2 bad options or a build that failed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../lib/harness/project-copy.ts";
import { type AppendResult, appendOnePost } from "./build/append-check.ts";
import { type BaselineProject, createBaselineProject } from "./build/baseline-project.ts";
import { type EditLoopResult, measureEditLoop, renderEditLoop } from "./build/edit-loop.ts";
import { createHugoProject, type HugoProject, hugoVersion } from "./build/hugo-project.ts";
import { type ChildCommand, measureBuild, measureForeignBuild, type RunMeasurement } from "./build/measure.ts";
import { measurePublishPath, PUBLISH_TARGETS, renderPublish } from "./build/publish-path.ts";
import { checkTargets, compare, renderAppend, renderTable, renderTargets, type SizeResult, TOOLS } from "./build/report.ts";
import { syntheticPost } from "./build/synthetic-posts.ts";

const USAGE = `Usage: npm run bench -- [options]
  --sizes 1000,10000,50000   site sizes in posts (default: 1000,10000,50000)
  --repeat N                 measured runs per tool and size (default: 3 up to 10,000 posts, 1 above)
  --append N                 size of the site for the append-one-post check (default: 10000; 0 skips it)
  --edit-loop N              posts of the site for the edit loop under npm start, against hugo server
                             (default: 10000; 0 skips it)
  --keep                     keep the temporary project folders (their path is printed)
  --json FILE                also write the results as JSON
  --publish                  measure the publishing job instead (npm ci, build, checks, wrangler deploy
                             --dry-run) for the example site and a synthetic one
  --publish-posts N          posts of that synthetic site (default: 10000)
  --help`;

/** Posts in the unmeasured warm-up build (fills tsx's transform cache and the OS file cache). */
const WARM_UP_POSTS = 200;

interface Options {
  sizes: number[];
  repeat: number | undefined;
  append: number;
  editLoop: number;
  keep: boolean;
  json: string | undefined;
  publish: number | undefined;
}

function positiveInteger(text: string, what: string, allowZero = false): number {
  const value = Number(text.replace(/_/g, ""));
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1))
    throw new Error(`${what} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${text}"`);
  return value;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: "string", default: "1000,10000,50000" },
      repeat: { type: "string" },
      append: { type: "string", default: "10000" },
      "edit-loop": { type: "string", default: "10000" },
      keep: { type: "boolean", default: false },
      json: { type: "string" },
      publish: { type: "boolean", default: false },
      "publish-posts": { type: "string", default: "10000" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const sizes = values.sizes.split(",").map((s) => positiveInteger(s.trim(), "--sizes entries"));
  return {
    sizes: [...new Set(sizes)],
    repeat: values.repeat === undefined ? undefined : positiveInteger(values.repeat, "--repeat"),
    append: positiveInteger(values.append, "--append", true),
    editLoop: positiveInteger(values["edit-loop"], "--edit-loop", true),
    keep: values.keep,
    json: values.json,
    publish: values.publish ? positiveInteger(values["publish-posts"], "--publish-posts") : undefined,
  };
}

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** A project copy with posts 0..count-1 of the synthetic site and nothing else in posts/. */
function syntheticProject(parentDir: string, count: number): ProjectCopy {
  const copy = createProjectCopy({ posts: {} }, parentDir);
  for (let i = 0; i < count; i++) {
    const post = syntheticPost(i);
    copy.write(`posts/${post.name}`, post.text);
  }
  return copy;
}

/**
 * The user's full build, run the way `npm run build` runs it, minus npm and the tsx CLI wrapper process;
 * --no-cache, so every measured run renders everything (the append check times the incremental one).
 */
function oursCommand(copy: ProjectCopy): ChildCommand {
  return { args: ["--expose-gc", "--import", "tsx", "scripts/build.ts", "--quiet", "--no-cache"], cwd: copy.root, outDir: path.join(copy.root, "_site") };
}

function baselineCommand(baseline: BaselineProject): ChildCommand {
  return { args: baseline.args, cwd: baseline.root, outDir: baseline.outDir };
}

function describeRun(tool: string, run: RunMeasurement): string {
  return `${tool}: ${run.wallSeconds.toFixed(2)} s wall, ${run.cpuSeconds.toFixed(2)} s cpu, ${(run.peakRssBytes / 1e6).toFixed(0)} MB peak, ${run.files} files`;
}

/** One unmeasured build per tool, so the first measured run does not pay for cold caches. */
async function warmUp(benchDir: string, usageFile: string): Promise<void> {
  const copy = syntheticProject(benchDir, WARM_UP_POSTS);
  const baseline = createBaselineProject(benchDir, path.join(copy.root, "posts"));
  try {
    await measureBuild(oursCommand(copy), usageFile);
    await measureBuild(baselineCommand(baseline), usageFile);
  } finally {
    copy.cleanup();
    rmSync(baseline.root, { recursive: true, force: true });
  }
}

function eleventyVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules/@11ty/eleventy/package.json"), "utf8")) as { version: string };
  return manifest.version;
}

async function publishOnly(posts: number): Promise<number> {
  const benchDir = mkdtempSync(path.join(os.tmpdir(), "skein-bench-"));
  try {
    const environment = `node ${process.version}, ${os.cpus().length} CPU, load average ${os.loadavg()[0]!.toFixed(2)} at start`;
    progress(environment);
    const results = await measurePublishPath(benchDir, ["example", posts], progress);
    console.log(`Skein publishing-path benchmark (${environment}, load average ${os.loadavg()[0]!.toFixed(2)} at end)\n\n${renderPublish(results)}`);
    return results.every((r) => PUBLISH_TARGETS[r.site] === undefined || r.totalSeconds <= PUBLISH_TARGETS[r.site]!) ? 0 : 1;
  } finally {
    rmSync(benchDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  if (options.publish !== undefined) return publishOnly(options.publish);
  const { sizes, keep } = options;
  const benchDir = mkdtempSync(path.join(os.tmpdir(), "skein-bench-"));
  const usageFile = path.join(benchDir, "usage.json");
  const cleanup = () => {
    if (!keep) rmSync(benchDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => {
    cleanup();
    process.exit(130);
  });

  const hugo = hugoVersion();
  const environment = `node ${process.version}, @11ty/eleventy ${eleventyVersion()}, ${hugo ?? "hugo NOT installed (apt-get install hugo): no Hugo ratios"}, ${os.cpus().length} CPU ${os.cpus()[0]?.model.trim() ?? ""}, load average ${os.loadavg()[0]!.toFixed(2)} at start`;
  progress(environment);
  progress(`working in ${benchDir}`);
  const results: SizeResult[] = [];
  let append: AppendResult | undefined;
  let editLoop: EditLoopResult | undefined;
  try {
    progress(`warm-up: ${WARM_UP_POSTS} posts, once per tool, not measured`);
    await warmUp(benchDir, usageFile);

    for (const posts of sizes) {
      const repeat = options.repeat ?? (posts <= 10_000 ? 3 : 1);
      progress(`${posts} posts: writing the synthetic site`);
      const copy = syntheticProject(benchDir, posts);
      const baseline = createBaselineProject(benchDir, path.join(copy.root, "posts"));
      const hugoProject: HugoProject | undefined = hugo ? createHugoProject(benchDir, path.join(copy.root, "posts"), hugo) : undefined;
      const ours: RunMeasurement[] = [];
      const base: RunMeasurement[] = [];
      const hugoRuns: RunMeasurement[] = [];
      for (let run = 1; run <= repeat; run++) {
        const o = await measureBuild(oursCommand(copy), usageFile);
        ours.push(o);
        progress(`${posts} posts, run ${run}/${repeat}: ${describeRun(TOOLS.ours, o)}`);
        const b = await measureBuild(baselineCommand(baseline), usageFile);
        base.push(b);
        progress(`${posts} posts, run ${run}/${repeat}: ${describeRun(TOOLS.baseline, b)} (this pair: ratio ${(o.wallSeconds / b.wallSeconds).toFixed(2)})`);
        if (hugoProject) {
          const h = await measureForeignBuild({ ...hugoProject, cwd: hugoProject.root });
          hugoRuns.push(h);
          progress(`${posts} posts, run ${run}/${repeat}: ${describeRun(TOOLS.hugo, h)} (skein / hugo: ${(o.wallSeconds / h.wallSeconds).toFixed(2)})`);
        }
      }
      const result = compare(posts, ours, base, hugoRuns);
      for (const [tool, summary] of [
        [TOOLS.ours, result.ours],
        [TOOLS.baseline, result.baseline],
      ] as const) {
        if (!summary.stableOutput) progress(`WARNING: ${tool} wrote different files or bytes in different runs of the same ${posts}-post site`);
      }
      results.push(result);
      if (posts === options.append) append = await appendOnePost(copy, posts, oursCommand(copy), usageFile, progress);
      if (!keep) {
        copy.cleanup();
        rmSync(baseline.root, { recursive: true, force: true });
        if (hugoProject) rmSync(hugoProject.root, { recursive: true, force: true });
      }
    }

    if (options.append > 0 && !append) {
      progress(`${options.append} posts: writing the synthetic site for the append check`);
      const copy = syntheticProject(benchDir, options.append);
      append = await appendOnePost(copy, options.append, oursCommand(copy), usageFile, progress);
      if (!keep) copy.cleanup();
    }

    if (options.editLoop > 0) {
      progress(`${options.editLoop} posts: writing the synthetic site for the edit loop`);
      const copy = syntheticProject(benchDir, options.editLoop);
      editLoop = await measureEditLoop(copy, options.editLoop, options.repeat ?? 3, benchDir, hugo !== undefined, progress);
      if (!keep) copy.cleanup();
    }
  } finally {
    cleanup();
    if (keep) progress(`kept the temporary projects in ${benchDir}`);
  }

  const targets = checkTargets(results, append);
  const load = `load average ${os.loadavg()[0]!.toFixed(2)} at end`;
  const out = [
    `Skein build benchmark (${environment}, ${load})`,
    `Medians of interleaved runs; ratio = skein / plain Eleventy (same posts, HTML only, same run); vs hugo = skein / hugo (same posts, same run). MB = 10^6 bytes.`,
    ...(hugo ? [] : ["hugo is not installed: no Hugo ratios (Debian: apt-get install hugo)."]),
    "",
    renderTable(results),
    "",
    ...(append ? [renderAppend(append), ""] : []),
    ...(editLoop ? [renderEditLoop(editLoop), ""] : []),
    renderTargets(targets),
  ];
  console.log(out.join("\n"));

  if (options.json) {
    const file = path.resolve(options.json);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ environment, sizes: results, append, editLoop, targets }, null, 2)}\n`);
    progress(`results written to ${file}`);
  }
  const missed = targets.filter((t) => t.pass === false);
  for (const target of missed) progress(`target missed: ${target.name} (${target.detail})`);
  return missed.length ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  // A failed build or a full disk: say what failed, without a stack trace through the bench itself.
  console.error(`npm run bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
