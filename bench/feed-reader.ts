/**
 * npm run bench:reader: the CPU cost of reading XML, against a baseline measured in the same run. A
 * script, never a test: figures are printed, nothing timed is asserted.
 *
 * What is timed, on one page of our own main feed holding 500 items (built by our builder from
 * ordinary posts): readFeed (lib/shared/remote-feed-reader.ts, in the Worker, where an invocation has
 * 10 ms of CPU on the free plan) reading the whole page and stopping early (stopAfter) as the poller
 * and the reply verifier do, and parseXml (lib/validate/xml-tree.ts, the validator's and importer's
 * positioned tree) on the same page. The baseline is the same two files as they were at another
 * commit (by default the one before lib/shared/xml-scanner.ts replaced their two hand-written
 * tokenizers), taken with `git show` into a temporary folder and imported beside the current ones.
 *
 * Rounds interleave current and baseline (their order alternating), each round timing a batch of
 * calls; the table gives the median time per call and the ratio current / baseline. On a shared
 * machine only the ratio is meaningful.
 *
 *   tsx bench/feed-reader.ts [--baseline <git revision>] [--rounds N]
 *
 * Exit code: 0 measured, 1 the two versions read the page differently, 2 bad options or a baseline
 * that cannot be taken from git.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildSiteFiles, postFile, profileYaml } from "../lib/harness/factories.ts";
import { REPO_ROOT } from "../lib/harness/project-copy.ts";
import * as currentReader from "../lib/shared/remote-feed-reader.ts";
import * as currentTree from "../lib/validate/xml-tree.ts";
import { fixed, renderColumns, times } from "./inbox/format.ts";

const USAGE = `Usage: npm run bench:reader -- [options]
  --baseline REV   git revision whose reader and tree are the baseline
                   (default: the commit before lib/shared/xml-scanner.ts was added)
  --rounds N       measured rounds per case and version (default: 41)
  --help`;

const READER = "lib/shared/remote-feed-reader.ts";
const TREE = "lib/validate/xml-tree.ts";
const ITEMS = 500;
/** A timed batch of calls lasts about this long (the timer's resolution and one call's jitter are small beside it). */
const BATCH_MS = 20;
const WARM_UP_ROUNDS = 8;

type Reader = typeof currentReader;
type Tree = typeof currentTree;

interface Case {
  label: string;
  run: (reader: Reader, tree: Tree) => number;
}

const git = (args: string[]): string => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();

function defaultBaseline(): string {
  const added = git(["log", "--diff-filter=A", "--format=%H", "--", "lib/shared/xml-scanner.ts"]).split("\n").filter(Boolean).at(-1);
  return added ? `${added}^` : "HEAD";
}

/**
 * Writes the baseline's file into `folder`, its relative imports pointing at the current files they
 * name (the baseline's own tokenizer is inside the file; what it imports, xml-text.ts, is unchanged).
 */
function baselineFile(revision: string, file: string, folder: string): string {
  const source = git(["show", `${revision}:${file}`]);
  const from = path.dirname(path.join(REPO_ROOT, file));
  const rewritten = source.replace(
    /from "(\.\.?\/[^"]+)"/g,
    (_, specifier: string) => `from ${JSON.stringify(pathToFileURL(path.resolve(from, specifier)).href)}`,
  );
  const target = path.join(folder, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, rewritten);
  return target;
}

function feedPage(): string {
  const url = "http://127.0.0.1:9/bench";
  const posts = Array.from({ length: ITEMS }, (_, i) =>
    postFile({
      id: i,
      date: Date.UTC(2026, 0, 1) + i * 60_000,
      body: `Post ${i}: a microblog post of ordinary length, with a [link](https://example.com/${i}), *emphasis*, a & and a "quote", about bread and looms.`,
    }),
  );
  const files = buildSiteFiles({ profile: profileYaml({ username: "bench", url }), posts }, { urlOverride: url });
  return files.get("/feed.xml")!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeBatch(run: () => number, calls: number): number {
  const start = performance.now();
  for (let i = 0; i < calls; i++) run();
  return (performance.now() - start) / calls;
}

/** Calls per batch for this case, from the slower of the two versions after a first warm-up. */
function batchSize(...runs: (() => number)[]): number {
  const slowest = Math.max(...runs.map((run) => timeBatch(run, 3)));
  return Math.max(1, Math.ceil(BATCH_MS / Math.max(slowest, 0.001)));
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { baseline: { type: "string" }, rounds: { type: "string", default: "41" }, help: { type: "boolean" } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`--rounds must be a positive integer\n${USAGE}`);
    return 2;
  }
  const folder = mkdtempSync(path.join(os.tmpdir(), "skein-bench-reader-"));
  try {
    let revision: string;
    let baseline: { reader: Reader; tree: Tree };
    try {
      revision = values.baseline ?? defaultBaseline();
      const commit = git(["rev-parse", "--short", revision]);
      baseline = {
        reader: (await import(pathToFileURL(baselineFile(revision, READER, folder)).href)) as Reader,
        tree: (await import(pathToFileURL(baselineFile(revision, TREE, folder)).href)) as Tree,
      };
      revision = `${revision} (${commit})`;
    } catch (error) {
      console.error(`cannot take the baseline from git: ${error instanceof Error ? error.message.split("\n")[0] : error}`);
      return 2;
    }

    const xml = feedPage();
    const cases: Case[] = [
      { label: `readFeed, the whole page (${ITEMS} items)`, run: (reader) => reader.readFeed(xml).items.length },
      { label: "readFeed, stopAfter the 1st item (a poll, one new post)", run: (reader) => reader.readFeed(xml, { stopAfter: () => true }).items.length },
      { label: "readFeed, stopAfter the 20th item (backfill)", run: (reader) => reader.readFeed(xml, { stopAfter: (_, index) => index >= 19 }).items.length },
      { label: "parseXml (validator, importer), the whole page", run: (_, tree) => tree.parseXml(xml).elementCount },
    ];

    // Same reading first: a faster reader that reads something else is no result.
    const same = JSON.stringify(currentReader.readFeed(xml)) === JSON.stringify(baseline.reader.readFeed(xml));
    const sameTree = JSON.stringify(currentTree.parseXml(xml)) === JSON.stringify(baseline.tree.parseXml(xml));

    const rows = [["case", "current ms/call", "baseline ms/call", "current/baseline", "items or elements"]];
    for (const { label, run } of cases) {
      const current = () => run(currentReader, currentTree);
      const old = () => run(baseline.reader, baseline.tree);
      const calls = batchSize(current, old);
      const samples = { current: [] as number[], old: [] as number[] };
      for (let round = 0; round < WARM_UP_ROUNDS + rounds; round++) {
        const order = round % 2 === 0 ? (["current", "old"] as const) : (["old", "current"] as const);
        for (const which of order) {
          const took = timeBatch(which === "current" ? current : old, calls);
          if (round >= WARM_UP_ROUNDS) samples[which].push(took);
        }
      }
      const a = median(samples.current);
      const b = median(samples.old);
      rows.push([label, fixed(a, 3), fixed(b, 3), times(a / b), String(current())]);
    }
    console.log(`XML reading: one ${(xml.length / 1024).toFixed(0)} KiB main-feed page of ${ITEMS} items, median of ${rounds} rounds of ~${BATCH_MS} ms each`);
    console.log(`baseline: ${revision}; current: the working tree\n`);
    console.log(renderColumns(rows, new Set([1, 2, 3, 4])));
    console.log(`\nsame result as the baseline: readFeed ${same ? "yes" : "NO"}, parseXml ${sameTree ? "yes" : "NO"}`);
    return same && sameTree ? 0 : 1;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
