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
 * written, workerd's CPU against the baseline (an upper bound: bench/workerd-cpu.ts; deployed CPU is
 * the Workers `cpuTime`, docs/benchmarks.md); then rows written per delivery and per subscription,
 * runs (minutes) until all are served, and the deliver job's caps (lib/websub/deliver-job.ts:
 * deliveriesPerRun of each head page under DEFAULT_DELIVER_OPTIONS) beside the deliveries the runs
 * made. Progress on stderr, tables on stdout.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { postMarkdown, profileYaml } from "../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../lib/harness/project-copy.ts";
import { freePort } from "../lib/harness/static-server.ts";
import { buildProject, migrateLocal, QUIET_WRANGLER, raiseRateLimits, run, WRANGLER } from "../lib/harness/wrangler-server.ts";
import type { JobsRunReport } from "../lib/shared/api-types.ts";
import type * as DeliverJob from "../lib/websub/deliver-job.ts";
import { withWorkerdCpu } from "./workerd-cpu.ts";

const FREE = { subrequestsPerInvocation: 50, rowsWrittenPerDay: 100_000 };
const TOKEN = "bench-websub-owner-token";

const USAGE = `Usage: npm run bench:websub -- [options]
  --subscribers N   subscribers of our own hub (default 200)
  --posts N         posts before the deploy (default 499: after it, a full head page of 500)
  --subscriber-delay-ms N   subscribers answer a delivery N ms late (default 0)
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
  /** workerd's CPU during the run (bench/workerd-cpu.ts). */
  cpuMs: number;
  summary: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: "string" },
      posts: { type: "string" },
      "subscriber-delay-ms": { type: "string" },
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
  if (!Number.isInteger(subscribers) || subscribers < 1 || !Number.isInteger(posts) || posts < 1) throw new Error(USAGE);
  if (!Number.isInteger(delayMs) || delayMs < 0) throw new Error(USAGE);

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
    buildProject(project, url);
    migrateLocal(project);
    raiseRateLimits(project);
    log("starting wrangler dev");
    let output = "";
    const child = spawn(
      WRANGLER,
      ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", "--var", "FETCH_ALLOW_LOOPBACK:true"],
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
    const group = child.pid;
    if (group === undefined) throw new Error(`wrangler dev has no process id:\n${output}`);
    const jobsRun = async (): Promise<{ report: JobsRunReport; cpuMs: number }> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const { result: report, cpuMs } = await withWorkerdCpu(group, async () => {
            const response = await fetch(`${url}/api/jobs/run`, {
              method: "POST",
              headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
              body: "{}",
            });
            return (await response.json()) as JobsRunReport;
          });
          return { report, cpuMs };
        } catch (error) {
          // wrangler dev reloading the Worker (after the deploy) cuts a request off: ask again.
          if (attempt > 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    };
    const figures = (report: JobsRunReport, cpuMs: number): RunFigures => {
      const job = (name: string) => report.jobs.find((j) => j.job === name);
      const deliver = job("websub.deliver");
      return {
        deliveries: Number(/^(\d+) deliver/.exec(deliver?.summary ?? "")?.[1] ?? 0),
        subrequests: report.jobs.reduce((n, j) => n + j.fetches + j.d1_calls, 0),
        rowsWritten: report.jobs.reduce((n, j) => n + j.rows_written, 0),
        deliverRows: deliver?.rows_written ?? 0,
        publishRows: job("websub.publish")?.rows_written ?? 0,
        cpuMs,
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
      const { report, cpuMs } = await jobsRun();
      baseline.push(figures(report, cpuMs));
    }

    log("deploy: one more post, rebuilt in place");
    project.write(`posts/p${posts}.md`, postMarkdown({ id: posts, date: Date.UTC(2026, 0, 1) + posts * 3_600_000, body: "The post every subscriber gets." }));
    const rebuilt = run(process.execPath, ["--expose-gc", "--import", "tsx", "scripts/build.ts", "--sync", "--quiet"], project.root, { SKEIN_URL: url });
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
    // A moment for wrangler dev to reload the Worker.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    log("job runs until every subscriber has its delivery");
    const runs: RunFigures[] = [];
    for (let i = 0; i < 200; i++) {
      const { report, cpuMs } = await jobsRun();
      const f = figures(report, cpuMs);
      // Runs before the reloaded Worker knows the new hashes deliver nothing: not counted.
      if (f.deliveries === 0 && f.publishRows === 0 && runs.length === 0) continue;
      runs.push(f);
      log(`run ${runs.length}: ${f.summary}`);
      if ([...received.values()].reduce((a, b) => a + b, 0) >= subscribers) break;
    }
    const total = [...received.values()].reduce((a, b) => a + b, 0);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
    const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)]!;
    const baseCpu = median(baseline.map((b) => b.cpuMs));
    const full = runs.filter((r) => r.deliveries > 0);
    const runCpu = full.map((r) => r.cpuMs);
    const perDelivery = full.map((r) => Math.max(0, r.cpuMs - baseCpu) / r.deliveries);
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
    const settled = full.slice(2).map((r) => r.cpuMs);

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
      fmt(r.cpuMs / baseCpu, 1),
    ];
    process.stdout.write(
      `${table(
        ["job run (POST /api/jobs/run, every job)", "deliveries", "subrequests", "of 50", "rows written", "workerd CPU ms", "x baseline"],
        [
          ...baseline.map((b, i) => row(`baseline ${i + 1} (nothing due)`, b)),
          ...runs.slice(0, 6).map((r, i) => row(`after the deploy, run ${i + 1}`, r)),
          ...(runs.length > 6 ? [[`... ${runs.length - 6} more runs`, "", "", "", "", "", ""]] : []),
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
            "workerd CPU per run with deliveries: median / p90",
            `${fmt(median(runCpu), 2)} / ${fmt(quantile(runCpu, 0.9), 2)} ms (baseline ${fmt(baseCpu, 2)} ms, x${fmt(median(runCpu) / baseCpu, 1)})`,
          ],
          ["workerd CPU per delivery above the baseline (median)", `${fmt(median(perDelivery), 2)} ms`],
          [
            "workerd CPU per run, runs after the first two (the new isolate warmed up): median / p90",
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
