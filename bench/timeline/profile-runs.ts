/**
 * `npm run bench:timeline -- --profile-runs K`: WHERE the Worker isolate's CPU goes in a cron run,
 * not only how much. The owner's Worker follows N quiet accounts on loopback (all answer 304 once
 * read), under wrangler dev as in the benchmark; after the onboarding (every first poll) and a warm-up
 * (V8 compiles the bundle's functions on their first runs: not a per-run cost), K cron runs, one a
 * minute on the simulated clock, are profiled with V8's sampling profiler. Each run is classed by what
 * the poller did (no feed due, or only 304s) and whether any other job did work; per class the
 * samples are summed by function (self time: the frame the sample was in) and by module (inclusive:
 * every module on the stack, once), and printed per run, as file:line of our sources (the bundle's
 * esbuild module comments give the file). Samples under the D1 binding are left out: locally that is
 * the D1's own SQLite, deployed it runs elsewhere.
 *
 * Paired comparisons: run this file from a `git worktree` of another commit (it copies the code next
 * to it) and from this checkout, in turn. SKEIN_PROFILE_DUMP=<dir> also writes each profiled run's
 * .cpuprofile there (Chrome DevTools opens them).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../lib/harness/static-server.ts";
import { startFeedServer } from "./feeds.ts";
import { cpuOf, IsolateProfiler, isD1Frame, type Profile, type ProfileNode, sampleCapMicros, sampleDelta, sampleSpacingMicros } from "./profiler.ts";
import { type RunResult, startOwnerWorker } from "./worker.ts";

const MINUTE = 60_000;

function log(message: string): void {
  process.stderr.write(`[bench:timeline --profile-runs] ${message}\n`);
}

/** Bundle line -> the source module esbuild put there ("// lib/timeline/poll-job.ts" comments). */
class BundleMap {
  private readonly starts: { line: number; module: string }[] = [];
  private readonly text: string[] = [];

  constructor(bundlePath: string | undefined) {
    if (!bundlePath) return;
    const lines = readFileSync(bundlePath, "utf8").split("\n");
    this.text = lines;
    lines.forEach((line, index) => {
      const match = /^\/\/ ((?:lib|functions|node_modules|\.\.\/)[^\s]*\.(?:ts|js|mjs|cjs|json))$/.exec(line);
      if (match) this.starts.push({ line: index, module: match[1]!.replace(/^(\.\.\/)+/, "") });
    });
  }

  /** "lib/timeline/poll-job.ts:123" (the line within the module's own text in the bundle, 1-based). */
  where(line: number | undefined): { module: string; at: string } {
    if (line === undefined || line < 0 || !this.starts.length) return { module: "?", at: "?" };
    let low = 0;
    let high = this.starts.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.starts[mid]!.line <= line) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    if (found < 0) return { module: "(bundle prelude)", at: `bundle:${line + 1}` };
    const start = this.starts[found]!;
    return { module: start.module, at: `${start.module} +${line - start.line}` };
  }

  source(line: number | undefined): string {
    return line === undefined ? "" : (this.text[line] ?? "").trim().slice(0, 70);
  }
}

/** The newest bundle wrangler dev wrote for the Worker (.wrangler/tmp/dev-* /index.js). */
function findBundle(root: string): string | undefined {
  const tmp = path.join(root, ".wrangler/tmp");
  let best: { file: string; mtime: number } | undefined;
  try {
    for (const dir of readdirSync(tmp)) {
      if (!dir.startsWith("dev-")) continue;
      for (const name of readdirSync(path.join(tmp, dir))) {
        if (!name.endsWith(".js")) continue;
        const file = path.join(tmp, dir, name);
        const mtime = statSync(file).mtimeMs;
        if (!best || mtime > best.mtime) best = { file, mtime };
      }
    }
  } catch {
    return undefined;
  }
  return best?.file;
}

interface Tally {
  runs: number;
  cpuOutsideD1: number[];
  cpuGapsCut: number[];
  cpuAllGapsCut: number[];
  self: Map<string, { us: number; source: string }>;
  lines: Map<string, { us: number; source: string }>;
  d1: Map<string, number>;
  inclusive: Map<string, number>;
  kinds: Map<string, number>;
  polls: number;
}

function emptyTally(): Tally {
  return {
    runs: 0,
    cpuOutsideD1: [],
    cpuGapsCut: [],
    cpuAllGapsCut: [],
    self: new Map(),
    lines: new Map(),
    d1: new Map(),
    inclusive: new Map(),
    kinds: new Map(),
    polls: 0,
  };
}

function add(tally: Tally, profile: Profile, bundle: BundleMap, polls: number): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stackOf = (id: number): ProfileNode[] => {
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node) stack.push(node);
    }
    return stack;
  };
  tally.runs += 1;
  tally.polls += polls;
  const cpu = cpuOf(profile);
  tally.cpuOutsideD1.push(cpu.cpuOutsideD1Ms);
  tally.cpuGapsCut.push(cpu.cpuOutsideD1GapsCutMs);
  tally.cpuAllGapsCut.push(cpu.cpuGapsCutMs);
  const cap = sampleCapMicros(profile);
  const spacing = sampleSpacingMicros(profile);
  const nodeSelf = new Map<number, number>();
  profile.samples.forEach((nodeId, index) => {
    // A wait the isolate spent unlocked is not the CPU of the first function after it.
    const delta = sampleDelta(profile.timeDeltas[index] ?? 0, cap, spacing);
    const stack = stackOf(nodeId);
    const leaf = stack[0];
    if (!leaf || leaf.callFrame.functionName === "(idle)") return;
    if (stack.some(isD1Frame)) {
      // The binding's own JavaScript (serializing queries, turning answers into rows): left out of the
      // figures like the bench does, but shown, since deployed it runs in the isolate too.
      const caller = stack.find((node) => node.callFrame.url !== "" && !isD1Frame(node) && !node.callFrame.url.startsWith("cloudflare"));
      const name = `${leaf.callFrame.functionName || "(anonymous)"} ${leaf.callFrame.url.replace(/^.*\//, "")} <- ${caller ? `${caller.callFrame.functionName} ${bundle.where(caller.callFrame.lineNumber).module}` : "(after an await)"}`;
      tally.d1.set(name, (tally.d1.get(name) ?? 0) + delta);
      return;
    }
    const frame = leaf.callFrame;
    const isOurs = frame.url !== "" && !frame.url.startsWith("node:") && !frame.url.startsWith("cloudflare");
    const place = isOurs ? bundle.where(frame.lineNumber) : { module: frame.url || "(native)", at: frame.url || "" };
    const name = frame.functionName || "(anonymous)";
    const key = `${name}  ${place.at}`;
    nodeSelf.set(leaf.id, (nodeSelf.get(leaf.id) ?? 0) + delta);
    const entry = tally.self.get(key) ?? { us: 0, source: isOurs ? bundle.source(frame.lineNumber) : "" };
    entry.us += delta;
    tally.self.set(key, entry);
    const kind = name.startsWith("(") ? name : isOurs ? "JavaScript (ours + bundled libraries)" : `other: ${frame.url || "(native)"}`;
    tally.kinds.set(kind, (tally.kinds.get(kind) ?? 0) + delta);
    // Inclusive by module: each of our modules on the stack once.
    const modules = new Set<string>();
    for (const node of stack) {
      const url = node.callFrame.url;
      if (url === "" || url.startsWith("node:") || url.startsWith("cloudflare")) continue;
      modules.add(bundle.where(node.callFrame.lineNumber).module);
    }
    for (const module of modules) tally.inclusive.set(module, (tally.inclusive.get(module) ?? 0) + delta);
  });
  // Hot lines: a node's self time shared out by V8's ticks per line (positionTicks, 1-based lines).
  for (const [id, us] of nodeSelf) {
    const node = byId.get(id);
    const ticks = node?.positionTicks ?? [];
    const total = ticks.reduce((sum, tick) => sum + tick.ticks, 0);
    if (!node || !total) continue;
    for (const tick of ticks) {
      const where = bundle.where(tick.line - 1);
      const key = `${where.at}  (${node.callFrame.functionName || "anonymous"})`;
      const entry = tally.lines.get(key) ?? { us: 0, source: bundle.source(tick.line - 1) };
      entry.us += (us * tick.ticks) / total;
      tally.lines.set(key, entry);
    }
  }
}

const median = (values: readonly number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : Number.NaN;
};
const ms = (us: number, runs: number) => (us / 1000 / Math.max(1, runs)).toFixed(3);

function print(label: string, tally: Tally, top: number): void {
  console.log(
    `\n== ${label}: ${tally.runs} runs, ${tally.polls} polls; isolate CPU per run, median: ${median(tally.cpuAllGapsCut).toFixed(2)} ms with waits cut, ${median(tally.cpuGapsCut).toFixed(2)} ms of it outside the D1 binding (${median(tally.cpuOutsideD1).toFixed(2)} ms w/o D1 counting every sample's whole delta, as bench:timeline did)`,
  );
  console.log("  (the tables below count a sample that follows a wait as one sampling interval: see profiler.ts)");
  if (!tally.runs) return;
  const d1Total = [...tally.d1.values()].reduce((sum, us) => sum + us, 0);
  const d1Top = [...tally.d1].sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log(`  under the D1 binding (left out of the figures): ${ms(d1Total, tally.runs)} ms per run; by leaf <- our caller:`);
  for (const [name, us] of d1Top) console.log(`    ${ms(us, tally.runs).padStart(7)}  ${name}`);
  console.log("  by kind, ms per run:");
  for (const [kind, us] of [...tally.kinds].sort((a, b) => b[1] - a[1])) console.log(`    ${ms(us, tally.runs).padStart(7)}  ${kind}`);
  console.log("  inclusive by module (on the stack), ms per run:");
  for (const [module, us] of [...tally.inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`    ${ms(us, tally.runs).padStart(7)}  ${module}`);
  console.log("  self time by function, ms per run:");
  for (const [key, entry] of [...tally.self].sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
    console.log(`    ${ms(entry.us, tally.runs).padStart(7)}  ${key}${entry.source ? `   | ${entry.source}` : ""}`);
  }
  console.log("  hot lines of our code (module +line in the bundle), ms per run:");
  for (const [key, entry] of [...tally.lines].sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
    console.log(`    ${ms(entry.us, tally.runs).padStart(7)}  ${key}   | ${entry.source}`);
  }
}

export async function profileRuns(options: {
  feeds: number;
  runs: number;
  warmup: number;
  top: number;
  parentDir: string;
  feedDelayMs: number;
}): Promise<void> {
  const dayStart = Date.UTC(2026, 5, 2, 0, 0, 0);
  log(`building ${options.feeds} quiet followed sites ...`);
  const feedServer = await startFeedServer({ count: options.feeds, chatty: 0, daily: 0, dayStart, seed: 42, delayMs: options.feedDelayMs });
  const port = await freePort();
  const inspectorPort = await freePort();
  log("building, migrating and starting the owner's site under wrangler dev ...");
  const worker = await startOwnerWorker({
    parentDir: options.parentDir,
    port,
    inspectorPort,
    accounts: feedServer.accounts,
    ownerUrl: `http://127.0.0.1:${port}`,
  });
  const profiler = await IsolateProfiler.connect(inspectorPort);
  try {
    // Onboarding (every first poll) and every hub discovery of the subscriber job, then a warm-up.
    let time = dayStart - 240 * MINUTE;
    for (let run = 0; run < 240; run++, time += MINUTE) {
      const result = await worker.runAt(time);
      const poller = result.jobs.find((job) => job.job === "timeline.poll");
      if (run > 30 && poller && !/new/.test(poller.summary) && /^(no feed due|polled \d+ of [\d,]+ followed feeds: \d+ not modified)$/.test(poller.summary)) {
        const subscriber = result.jobs.find((job) => job.job === "timeline.websub");
        if (subscriber && /nothing to do/.test(subscriber.summary)) break;
      }
    }
    log(`onboarded; warming up (${options.warmup} runs) ...`);
    for (let run = 0; run < options.warmup; run++, time += MINUTE) await worker.runAt(time, profiler);
    const bundle = new BundleMap(findBundle(worker.project.root));
    const idle = emptyTally();
    const only304 = emptyTally();
    const busy = emptyTally();
    /** Every 5th minute the WebSub subscriber job runs too (over every follow). */
    const idleWithSubscriber = emptyTally();
    const otherSummaries = new Map<string, number>();
    log(`profiling ${options.runs} runs ...`);
    for (let run = 0; run < options.runs; run++, time += MINUTE) {
      const result: RunResult = await worker.runAt(time, profiler);
      const profile = profiler.last;
      if (!profile) continue;
      if (process.env.SKEIN_PROFILE_DUMP) writeFileSync(path.join(process.env.SKEIN_PROFILE_DUMP, `run-${run}.cpuprofile`), JSON.stringify(profile));
      const poller = result.jobs.find((job) => job.job === "timeline.poll")!;
      const polls = Number(/^polled (\d+) of/.exec(poller.summary)?.[1] ?? 0);
      const notModified = Number(/(\d+) not modified/.exec(poller.summary)?.[1] ?? 0);
      const others = result.jobs.filter((job) => job.job !== "timeline.poll" && (job.fetches > 0 || job.rowsWritten > 0));
      for (const job of result.jobs)
        if (job.job !== "timeline.poll") otherSummaries.set(`${job.job}: ${job.summary}`, (otherSummaries.get(`${job.job}: ${job.summary}`) ?? 0) + 1);
      const subscriberRan = result.jobs.some((job) => job.job === "timeline.websub");
      if (others.length) add(busy, profile, bundle, polls);
      else if (polls === 0 && subscriberRan) add(idleWithSubscriber, profile, bundle, 0);
      else if (polls === 0) add(idle, profile, bundle, 0);
      else if (notModified === polls) add(only304, profile, bundle, polls);
      else add(busy, profile, bundle, polls);
    }
    console.log(
      `\nprofile of ${options.runs} cron runs, ${options.feeds} followed feeds (quiet: 304 once read${options.feedDelayMs ? `, every answer ${options.feedDelayMs} ms late` : ""}), after ${options.warmup} warm-up runs`,
    );
    console.log(`the other jobs' reports over those runs:`);
    for (const [summary, n] of [...otherSummaries].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}x ${summary}`);
    print("run, no feed due", idle, options.top);
    print("run, no feed due, the WebSub subscriber's minute (every 5)", idleWithSubscriber, options.top);
    print("run, only 304s", only304, options.top);
    if (busy.runs) print("run, other work (a job fetched or wrote)", busy, options.top);
    const perRun = only304.polls / Math.max(1, only304.runs);
    const perPoll = (key: "cpuAllGapsCut" | "cpuGapsCut" | "cpuOutsideD1") => ((median(only304[key]) - median(idle[key])) / perRun).toFixed(2);
    console.log(
      `\nper 304 poll above the no-feed-due median: ${perPoll("cpuAllGapsCut")} ms with waits cut (${perPoll("cpuGapsCut")} ms outside the D1 binding), ${perPoll("cpuOutsideD1")} ms counting whole deltas w/o D1 (medians; ${perRun.toFixed(2)} polls a run)`,
    );
    if (profiler.lost) console.log(`(${profiler.lost} profiles dropped by the inspector proxy)`);
  } finally {
    profiler.close();
    await worker.stop();
    await feedServer.close();
  }
}

/**
 * `npm run bench:timeline -- --profile-onboarding`: where the isolate's CPU goes in the onboarding
 * runs (every follow new at once: first polls, each backfilling the head page's newest items), the
 * runs the benchmark's "onboarding run" row measures. The first run of the isolate (V8 compiles the
 * poller's code then) is tallied on its own; every later run until no follow is left unread, together.
 */
export async function profileOnboarding(options: { feeds: number; top: number; parentDir: string }): Promise<void> {
  const dayStart = Date.UTC(2026, 5, 2, 0, 0, 0);
  log(`building ${options.feeds} quiet followed sites ...`);
  const feedServer = await startFeedServer({ count: options.feeds, chatty: 0, daily: 0, dayStart, seed: 42 });
  const port = await freePort();
  const inspectorPort = await freePort();
  log("building, migrating and starting the owner's site under wrangler dev ...");
  const worker = await startOwnerWorker({
    parentDir: options.parentDir,
    port,
    inspectorPort,
    accounts: feedServer.accounts,
    ownerUrl: `http://127.0.0.1:${port}`,
  });
  const profiler = await IsolateProfiler.connect(inspectorPort);
  try {
    const bundle = new BundleMap(findBundle(worker.project.root));
    const firstRun = emptyTally();
    const later = emptyTally();
    const perRun: string[] = [];
    let time = dayStart - 180 * MINUTE;
    for (let run = 0; run < options.feeds + 30; run++, time += MINUTE) {
      const result: RunResult = await worker.runAt(time, profiler);
      const profile = profiler.last;
      const poller = result.jobs.find((job) => job.job === "timeline.poll")!;
      const polls = Number(/^polled (\d+) of/.exec(poller.summary)?.[1] ?? 0);
      if (profile) {
        if (process.env.SKEIN_PROFILE_DUMP) writeFileSync(path.join(process.env.SKEIN_PROFILE_DUMP, `onboarding-${run}.cpuprofile`), JSON.stringify(profile));
        add(run === 0 ? firstRun : later, profile, bundle, polls);
      }
      perRun.push(
        `  run ${String(run + 1).padStart(3)}: ${result.isolateWaitsCutMs.toFixed(2).padStart(6)} ms (${result.isolateOutsideD1WaitsCutMs.toFixed(2).padStart(6)} w/o D1), ${poller.d1Calls} D1 calls, ${poller.rowsWritten} rows | ${poller.summary}`,
      );
      const status = await worker.get<{ follows: { state: string }[] }>("/api/timeline/follows");
      const fresh = status.follows.filter((follow) => follow.state === "new").length;
      if (fresh === 0) break;
    }
    console.log(`\nprofile of the onboarding runs: ${options.feeds} followed feeds, every follow new at once (quiet feeds of 5 posts each)`);
    console.log("isolate CPU per run, ms, waits cut (D1 binding included), then without the D1 binding:");
    for (const line of perRun) console.log(line);
    print("the isolate's first run (the poller's code compiled on first use)", firstRun, options.top);
    print("the onboarding runs after the first", later, options.top);
    if (profiler.lost) console.log(`(${profiler.lost} profiles dropped by the inspector proxy)`);
  } finally {
    profiler.close();
    await worker.stop();
    await feedServer.close();
  }
}
