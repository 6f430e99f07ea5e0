/**
 * npm run bench:websub: what being one's own WebSub hub (`hubs: [self]`) costs on the free plan,
 * measured in workerd. A script, never a test: figures are printed next to the free plan's budgets
 * (ratios), and CPU next to a baseline measured in the same run (job runs with nothing to deliver);
 * nothing timed is asserted.
 *
 * Setup: a project copy with P posts (default 499; the deploy's post fills the head page to 500) and `hubs: [self]`, built and
 * served by `wrangler dev` with the site (wrangler.toml: the topic pages come from the ASSETS binding,
 * as deployed), its rate limits raised; N loopback subscribers (one Node server, default 200) subscribe
 * to the RSS head (half of them) and the Atom head (the other half), each with a secret, and are
 * verified. Then a deploy (one more post, rebuilt in place: wrangler dev reloads the Worker with the new
 * page hashes), and job runs (POST /api/jobs/run, what the cron does each minute) until every
 * subscriber has its signed delivery.
 *
 * Printed per run: deliveries, subrequests (fetches + D1 calls of the whole run) against 50, D1 rows
 * written, the Worker isolate's CPU (V8's profiler over wrangler dev's inspector,
 * bench/timeline/profiler.ts) against 10 ms and against the baseline; then rows written per delivery
 * and per subscription, runs (minutes) until all are served, and the deliver job's caps
 * (lib/websub/deliver-job.ts: deliveriesPerRun of each head page under DEFAULT_DELIVER_OPTIONS) beside
 * the deliveries the runs made. Progress on stderr, tables on stdout.
 *
 * Isolate CPU is printed two ways (bench/timeline/profiler.ts): every non-idle sample with its whole
 * time delta, and with the waits cut -- V8 samples the isolate only while workerd holds its lock, so
 * the first sample after a wait (a delivery's POST in flight, a D1 call) carries the wait in its delta;
 * a run of deliveries waits often, and counted whole those waits read as CPU. `--subscriber-delay-ms`
 * shows it: subscribers that answer late add "CPU" to the whole-delta figure, not to the cut one.
 *
 * `--profile K`: where a delivery run's CPU goes -- the K functions with the most self time, summed
 * over the delivery runs after the first (the first after the deploy also queues the deliveries and
 * compiles the new isolate's code: warm-up), waits cut, samples under the D1 binding left out (locally
 * that is the D1's own SQLite), named with the module the bundle's esbuild comments give.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { postMarkdown, profileYaml } from "../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../lib/harness/project-copy.ts";
import { freePort } from "../lib/harness/static-server.ts";
import { migrateLocal, QUIET_WRANGLER, raiseRateLimits, run, TSX, WRANGLER } from "../lib/harness/wrangler-server.ts";
import type { JobsRunReport } from "../lib/shared/api-types.ts";
import type * as DeliverJob from "../lib/websub/deliver-job.ts";
import { cpuOf, IsolateProfiler, isD1Frame, type Profile, type ProfileNode, sampleCapMicros, sampleDelta, sampleSpacingMicros } from "./timeline/profiler.ts";

const FREE = { cpuMsPerInvocation: 10, subrequestsPerInvocation: 50, rowsWrittenPerDay: 100_000 };
const TOKEN = "bench-websub-owner-token";

const USAGE = `Usage: npm run bench:websub -- [options]
  --subscribers N   subscribers of our own hub (default 200)
  --posts N         posts before the deploy (default 499: after it, a full head page of 500)
  --subscriber-delay-ms N   subscribers answer a delivery N ms late (default 0)
  --profile K       print the K functions with the most self time over the delivery runs
  --keep            keep the temporary folder (its path is printed)`;

function log(message: string): void {
  process.stderr.write(`[bench:websub] ${message}\n`);
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "n/a";
const pct = (value: number, budget: number) => `${fmt((100 * value) / budget, 1)}%`;

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((row) => row.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")).join("\n");
}

interface RunFigures {
  deliveries: number;
  subrequests: number;
  rowsWritten: number;
  deliverRows: number;
  publishRows: number;
  cpuMs: number;
  /** The same with the waits cut (see the top comment). */
  cpuCutMs: number;
  summary: string;
}

/** Bundle line -> the source module esbuild put there (its "// lib/websub/deliver-job.ts" comments). */
function bundleModules(root: string): (line: number | undefined) => string {
  const tmp = path.join(root, ".wrangler/tmp");
  let newest: { file: string; mtime: number } | undefined;
  try {
    for (const dir of readdirSync(tmp).filter((d) => d.startsWith("dev-"))) {
      for (const name of readdirSync(path.join(tmp, dir)).filter((n) => n.endsWith(".js"))) {
        const file = path.join(tmp, dir, name);
        const mtime = statSync(file).mtimeMs;
        if (!newest || mtime > newest.mtime) newest = { file, mtime };
      }
    }
  } catch {
    // no bundle: modules unnamed
  }
  const starts: { line: number; module: string }[] = [];
  if (newest) {
    readFileSync(newest.file, "utf8")
      .split("\n")
      .forEach((text, line) => {
        const match = /^\/\/ ((?:lib|functions|node_modules|\.\.\/)\S*\.(?:ts|js|mjs|cjs|json))$/.exec(text);
        if (match) starts.push({ line, module: match[1]!.replace(/^(\.\.\/)+/, "") });
      });
  }
  return (line) => {
    if (line === undefined) return "?";
    let found: string | undefined;
    for (const start of starts) {
      if (start.line > line) break;
      found = start.module;
    }
    return found ?? "(bundle)";
  };
}

/** Self time (waits cut, D1 binding left out) by function, summed over profiles: microseconds. */
function selfTimes(profiles: Profile[], moduleOf: (line: number | undefined) => string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const cap = sampleCapMicros(profile);
    const spacing = sampleSpacingMicros(profile);
    profile.samples.forEach((id, index) => {
      const leaf = byId.get(id);
      if (!leaf || leaf.callFrame.functionName === "(idle)") return;
      const stack: ProfileNode[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!);
      if (stack.some(isD1Frame)) {
        // Locally the D1's own SQLite; deployed, the binding's serializing runs in the isolate: shown apart.
        totals.set("(under the D1 binding)", (totals.get("(under the D1 binding)") ?? 0) + sampleDelta(profile.timeDeltas[index] ?? 0, cap, spacing));
        return;
      }
      const frame = leaf.callFrame;
      const ours = frame.url !== "" && !frame.url.startsWith("node:") && !frame.url.startsWith("cloudflare");
      // The nearest caller of ours names a native or built-in frame (crypto.subtle, fetch, streams).
      const caller = stack.slice(1).find((node) => node.callFrame.url !== "" && !node.callFrame.url.startsWith("cloudflare"));
      const where = ours
        ? moduleOf(frame.lineNumber)
        : `${frame.url || "native"}${caller ? ` <- ${caller.callFrame.functionName || "(anonymous)"} ${moduleOf(caller.callFrame.lineNumber)}` : ""}`;
      const key = `${frame.functionName || "(anonymous)"}  ${where}`;
      totals.set(key, (totals.get(key) ?? 0) + sampleDelta(profile.timeDeltas[index] ?? 0, cap, spacing));
    });
  }
  return totals;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: "string" },
      posts: { type: "string" },
      "subscriber-delay-ms": { type: "string" },
      profile: { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const subscribers = Number(values.subscribers ?? 200);
  const posts = Number(values.posts ?? 499);
  const delayMs = Number(values["subscriber-delay-ms"] ?? 0);
  const top = Number(values.profile ?? 0);
  if (!Number.isInteger(subscribers) || subscribers < 1 || !Number.isInteger(posts) || posts < 1) throw new Error(USAGE);
  if (!Number.isInteger(delayMs) || delayMs < 0 || !Number.isInteger(top) || top < 0) throw new Error(USAGE);

  // The subscribers: one loopback server, a path each; GET echoes the challenge, POST counts.
  const received = new Map<number, number>();
  const verified = new Set<number>();
  let deliveredBytes = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const id = Number(/^\/s\/(\d+)$/.exec(url.pathname)?.[1] ?? -1);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method === "GET") {
        verified.add(id);
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(url.searchParams.get("hub.challenge") ?? "");
        return;
      }
      received.set(id, (received.get(id) ?? 0) + 1);
      deliveredBytes += Buffer.concat(chunks).byteLength;
      setTimeout(() => {
        res.writeHead(204);
        res.end();
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const subscriberBase = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const parent = mkdtempSync(path.join(os.tmpdir(), "skein-bench-websub-"));
  const port = await freePort();
  const inspectorPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const postFiles: Record<string, string> = {};
  for (let i = 0; i < posts; i++) {
    postFiles[`p${i}.md`] = postMarkdown({
      id: i,
      date: Date.UTC(2026, 0, 1) + i * 3_600_000,
      body: `Post ${i}: ${"a few words about birds and bread, ".repeat(3)}`,
    });
  }
  let project: ProjectCopy | undefined;
  let pgid: number | undefined;
  const stop = () => {
    if (pgid) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // gone
      }
    }
  };
  process.on("SIGINT", () => {
    stop();
    process.exit(130);
  });
  try {
    project = createProjectCopy(
      {
        profile: profileYaml({ username: "hubowner", user_id: "be4c0000-0000-4000-8000-0000000000bb", url, hubs: ["self"] }),
        follows: null,
        blocks: null,
        posts: postFiles,
      },
      parent,
    );
    project.write(".dev.vars", `OWNER_TOKEN=${TOKEN}\n`);
    log(`building ${posts} posts`);
    const built = run(TSX, ["scripts/build.ts", "--quiet"], project.root, { SKEIN_URL: url });
    if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
    migrateLocal(project);
    raiseRateLimits(project);
    log("starting wrangler dev");
    let output = "";
    const child = spawn(
      WRANGLER,
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--show-interactive-dev-session=false",
        "--inspector-port",
        String(inspectorPort),
        "--var",
        "FETCH_ALLOW_LOOPBACK:true",
      ],
      { cwd: project.root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...QUIET_WRANGLER } },
    );
    pgid = child.pid;
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    for (const deadline = Date.now() + 90_000; ; ) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
      const ok = await fetch(`${url}/feed.xml`)
        .then((r) => r.arrayBuffer().then(() => r.ok))
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    let profiler = await IsolateProfiler.connect(inspectorPort);

    const jobsRun = async (): Promise<{ report: JobsRunReport; cpuMs: number; cpuCutMs: number; profile: Profile | undefined }> => {
      for (let attempt = 0; ; attempt++) {
        await profiler.start();
        try {
          const response = await fetch(`${url}/api/jobs/run`, {
            method: "POST",
            headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
            body: "{}",
          });
          const report = (await response.json()) as JobsRunReport;
          const profile = await profiler.stopProfile();
          const cpu = profile ? cpuOf(profile) : undefined;
          return { report, cpuMs: cpu?.cpuOutsideD1Ms ?? Number.NaN, cpuCutMs: cpu?.cpuOutsideD1GapsCutMs ?? Number.NaN, profile };
        } catch (error) {
          await profiler.stop().catch(() => undefined);
          // wrangler dev reloading the Worker (after the deploy) cuts a request off: ask again.
          if (attempt > 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    };
    const figures = (report: JobsRunReport, cpuMs: number, cpuCutMs: number): RunFigures => {
      const job = (name: string) => report.jobs.find((j) => j.job === name);
      const deliver = job("websub.deliver");
      return {
        deliveries: Number(/^(\d+) deliver/.exec(deliver?.summary ?? "")?.[1] ?? 0),
        subrequests: report.jobs.reduce((n, j) => n + j.fetches + j.d1_calls, 0),
        rowsWritten: report.jobs.reduce((n, j) => n + j.rows_written, 0),
        deliverRows: deliver?.rows_written ?? 0,
        publishRows: job("websub.publish")?.rows_written ?? 0,
        cpuMs,
        cpuCutMs,
        summary: deliver?.summary ?? "",
      };
    };

    // The first run settles the publisher (no subscriber yet: nothing is queued).
    await jobsRun();
    log(`subscribing ${subscribers} subscribers`);
    const feed = `${url}/feed.xml`;
    const atom = `${url}/atom.xml`;
    for (let i = 0; i < subscribers; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, subscribers - i) }, async (_, k) => {
          const id = i + k;
          const response = await fetch(`${url}/api/websub/hub`, {
            method: "POST",
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({
              "hub.mode": "subscribe",
              "hub.topic": id % 2 ? atom : feed,
              "hub.callback": `${subscriberBase}/s/${id}`,
              "hub.secret": `secret-${id}`,
            }),
          });
          if (response.status !== 202) throw new Error(`subscription ${id} answered ${response.status}: ${await response.text()}`);
        }),
      );
    }
    for (const deadline = Date.now() + 60_000; verified.size < subscribers; ) {
      if (Date.now() > deadline) throw new Error(`only ${verified.size} of ${subscribers} verifications arrived`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Verification writes after the 202: give the last ones a moment to land in D1.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    log("baseline: 5 job runs with nothing to deliver");
    const baseline: RunFigures[] = [];
    for (let i = 0; i < 5; i++) {
      const { report, cpuMs, cpuCutMs } = await jobsRun();
      baseline.push(figures(report, cpuMs, cpuCutMs));
    }

    log("deploy: one more post, rebuilt in place");
    project.write(`posts/p${posts}.md`, postMarkdown({ id: posts, date: Date.UTC(2026, 0, 1) + posts * 3_600_000, body: "The post every subscriber gets." }));
    const rebuilt = run(TSX, ["scripts/build.ts", "--sync", "--quiet"], project.root, { SKEIN_URL: url });
    if (rebuilt.status !== 0) throw new Error(`rebuild failed:\n${rebuilt.stdout}\n${rebuilt.stderr}`);
    const headBytes = { rss: 0, atom: 0 };
    for (const deadline = Date.now() + 60_000; ; ) {
      const text = await fetch(feed)
        .then((r) => r.text())
        .catch(() => "");
      if (text.includes("The post every subscriber gets.")) {
        headBytes.rss = Buffer.byteLength(text);
        headBytes.atom = Buffer.byteLength(await (await fetch(atom)).text());
        break;
      }
      if (Date.now() > deadline) throw new Error("the rebuilt feed was never served");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // The reloaded Worker is a new isolate: profile that one.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    profiler.close();
    profiler = await IsolateProfiler.connect(inspectorPort);

    log("job runs until every subscriber has its delivery");
    const runs: RunFigures[] = [];
    const profiles: Profile[] = [];
    let firstProfile: Profile | undefined;
    for (let i = 0; i < 200; i++) {
      const { report, cpuMs, cpuCutMs, profile } = await jobsRun();
      const f = figures(report, cpuMs, cpuCutMs);
      // Runs before the reloaded Worker knows the new hashes deliver nothing: not counted.
      if (f.deliveries === 0 && f.publishRows === 0 && runs.length === 0) continue;
      runs.push(f);
      if (profile && runs.length > 1 && f.deliveries > 0) profiles.push(profile);
      if (runs.length === 1) firstProfile = profile;
      log(`run ${runs.length}: ${f.summary}`);
      if ([...received.values()].reduce((a, b) => a + b, 0) >= subscribers) break;
    }
    const total = [...received.values()].reduce((a, b) => a + b, 0);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
    const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
    const baseCpu = median(baseline.map((b) => b.cpuMs));
    const baseCut = median(baseline.map((b) => b.cpuCutMs));
    const full = runs.filter((r) => r.deliveries > 0);
    const runCpu = full.map((r) => r.cpuMs);
    const runCut = full.map((r) => r.cpuCutMs);
    const perDelivery = full.map((r) => Math.max(0, r.cpuMs - baseCpu) / r.deliveries);
    const perDeliveryCut = full.map((r) => Math.max(0, r.cpuCutMs - baseCut) / r.deliveries);
    // The job's caps (lib/websub/deliver-job.ts): deliveries of each head page one run makes, beside
    // what the runs made. Imported by name at run time: a worktree of an older commit prints the rest.
    const deliverJob: Partial<typeof DeliverJob> = await import("../lib/websub/deliver-job.ts");
    const { DEFAULT_DELIVER_OPTIONS: options, deliveriesPerRun } = deliverJob;
    const estimateRows: string[][] = [];
    if (options && deliveriesPerRun && "bytesPerRun" in options) {
      estimateRows.push([
        `the job's caps (${options.deliveriesPerRun} deliveries, ${fmt(options.bytesPerRun / 1024, 0)} KiB a run): deliveries per run`,
        `${deliveriesPerRun(options, headBytes.rss)} of the RSS page, ${deliveriesPerRun(options, headBytes.atom)} of the Atom page; made: median ${median(full.map((r) => r.deliveries))}, most ${Math.max(0, ...full.map((r) => r.deliveries))}`,
      ]);
    }
    const settled = full.slice(2).map((r) => r.cpuCutMs);

    process.stdout.write(
      `\nSkein as its own hub: ${subscribers} subscribers (half RSS, half Atom${delayMs ? `, answering ${delayMs} ms late` : ""}), ${posts + 1} posts; head pages ${fmt(headBytes.rss / 1024)} KiB (RSS) and ${fmt(headBytes.atom / 1024)} KiB (Atom); load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}\n\n`,
    );
    const row = (label: string, r: RunFigures) => [
      label,
      r.deliveries,
      r.subrequests,
      pct(r.subrequests, FREE.subrequestsPerInvocation),
      r.rowsWritten,
      fmt(r.cpuMs, 2),
      fmt(r.cpuCutMs, 2),
      pct(r.cpuCutMs, FREE.cpuMsPerInvocation),
      fmt(r.cpuCutMs / baseCut, 1),
    ];
    process.stdout.write(
      `${table(
        [
          "job run (POST /api/jobs/run, every job)",
          "deliveries",
          "subrequests",
          "of 50",
          "rows written",
          "isolate CPU ms",
          "waits cut ms",
          "of 10 ms",
          "x baseline",
        ],
        [
          ...baseline.map((b, i) => row(`baseline ${i + 1} (nothing due)`, b)),
          ...runs.slice(0, 6).map((r, i) => row(`after the deploy, run ${i + 1}`, r)),
          ...(runs.length > 6 ? [[`... ${runs.length - 6} more runs`, "", "", "", "", "", "", "", ""]] : []),
        ],
      )}\n\n`,
    );
    const deliverRows = runs.reduce((n, r) => n + r.deliverRows, 0);
    const queueRows = runs.reduce((n, r) => n + r.publishRows, 0);
    process.stdout.write(
      `${table(
        ["figure", "value"],
        [
          ["deliveries received (each subscriber once)", `${total} of ${subscribers}${[...received.values()].some((n) => n > 1) ? " (some twice!)" : ""}`],
          ["runs (minutes) from the deploy to the last delivery", runs.length],
          ["deliveries per run (median)", median(full.map((r) => r.deliveries))],
          [
            "subrequests per run, most",
            `${Math.max(...runs.map((r) => r.subrequests))} (${pct(Math.max(...runs.map((r) => r.subrequests)), FREE.subrequestsPerInvocation)} of 50)`,
          ],
          [
            "isolate CPU per run with deliveries: median / p90",
            `${fmt(median(runCpu), 2)} / ${fmt(quantile(runCpu, 0.9), 2)} ms (baseline ${fmt(baseCpu, 2)} ms)`,
          ],
          [
            "isolate CPU per run with deliveries, waits cut: median / p90",
            `${fmt(median(runCut), 2)} / ${fmt(quantile(runCut, 0.9), 2)} ms (baseline ${fmt(baseCut, 2)} ms)`,
          ],
          ["isolate CPU per delivery above the baseline (median)", `${fmt(median(perDelivery), 2)} ms (waits cut: ${fmt(median(perDeliveryCut), 2)} ms)`],
          [
            "the same, runs after the first two (the new isolate warmed up): median / p90",
            settled.length ? `${fmt(median(settled), 2)} / ${fmt(quantile(settled, 0.9), 2)} ms` : "n/a",
          ],
          ...estimateRows,
          ["D1 rows written to queue the deliveries (publish job)", `${queueRows} (${fmt(queueRows / subscribers, 2)} per subscriber)`],
          ["D1 rows written by the deliveries", `${deliverRows} (${fmt(deliverRows / Math.max(1, total), 2)} per delivery)`],
          [
            "rows written per deploy, all subscribers",
            `${queueRows + deliverRows} (${pct(queueRows + deliverRows, FREE.rowsWrittenPerDay)} of a day's 100,000)`,
          ],
          ["bytes delivered", `${fmt(deliveredBytes / 1024)} KiB`],
        ],
      )}\n`,
    );
    if (top > 0 && firstProfile) {
      // The first run after the deploy: a new isolate (its functions compiled as they first run), the
      // publisher queueing the deliveries, the pages read, and the first deliveries.
      const first = [...selfTimes([firstProfile], bundleModules(project.root))].sort((a, b) => b[1] - a[1]);
      const firstSum = first.filter(([key]) => key !== "(under the D1 binding)").reduce((n, [, us]) => n + us, 0);
      process.stdout.write(`\nSelf time of the first run after the deploy, waits cut: ${fmt(firstSum / 1000, 2)} ms outside the D1 binding\n\n`);
      process.stdout.write(
        `${table(
          ["function  module (<- our caller of a built-in)", "ms"],
          first.slice(0, Math.min(top, 15)).map(([key, us]) => [key, fmt(us / 1000, 3)]),
        )}\n`,
      );
    }
    if (top > 0) {
      const deliveries = full.slice(1).reduce((n, r) => n + r.deliveries, 0);
      const all = selfTimes(profiles, bundleModules(project.root));
      const d1 = all.get("(under the D1 binding)") ?? 0;
      all.delete("(under the D1 binding)");
      const totals = [...all].sort((a, b) => b[1] - a[1]);
      const sum = totals.reduce((n, [, us]) => n + us, 0);
      process.stdout.write(
        `\nSelf time over ${profiles.length} delivery runs after the first (${deliveries} deliveries), waits cut, D1 binding left out: ${fmt(sum / 1000 / Math.max(1, profiles.length), 2)} ms per run (under the D1 binding, left out: ${fmt(d1 / 1000 / Math.max(1, profiles.length), 2)} ms per run)\n\n`,
      );
      process.stdout.write(
        `${table(
          ["function  module (<- our caller of a built-in)", "ms per run", "us per delivery", "share"],
          totals.slice(0, top).map(([key, us]) => [key, fmt(us / 1000 / Math.max(1, profiles.length), 3), fmt(us / Math.max(1, deliveries), 1), pct(us, sum)]),
        )}\n`,
      );
    }
  } finally {
    stop();
    server.close();
    if (values.keep) log(`kept ${parent}`);
    else rmSync(parent, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
