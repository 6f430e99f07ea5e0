/**
 * npm run bench:timeline: what following 300 accounts costs on the free plan, measured in workerd.
 * A script, never a test: figures are printed next to the free plan's budgets (ratios), and CPU next
 * to a baseline measured in the same run (cron runs in which no feed is due); nothing timed is asserted.
 *
 * Setup: N followed accounts (default 300) are real Skein sites on one loopback server
 * (bench/timeline/feeds.ts) answering 304 to a matching If-None-Match; a few of them post during the
 * simulated day. The owner's site follows them all: a project copy under `wrangler dev`
 * (bench/timeline/worker.ts), its cron trigger fired on a SIMULATED clock through wrangler dev's
 * /cdn-cgi/handler/scheduled?time=, so a day of 1,440 runs takes minutes.
 *
 *   1. onboarding: all N follows are new; runs every minute until every feed has had its first poll
 *      (bounded backfill); then a run every minute, not counted, until the day starts;
 *   2. a day: 1,440 runs, one a minute; before each, the accounts' posts dated up to then are published;
 *      after the day, every post published during it is looked up in the owner's timeline
 *      (GET /api/timeline): when it arrived (the run's time) minus its date = time to the timeline.
 *
 * Printed: polls per day the schedule needs; subrequests per run against 50; D1 rows written per run
 * and per day against 100,000; workerd's CPU per run and per poll (p50/p99) against the baseline of
 * the same run (an upper bound: bench/workerd-cpu.ts; deployed CPU is the Workers `cpuTime`,
 * docs/benchmarks.md); time from a new post to the timeline. Progress on stderr, tables on stdout.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../lib/harness/static-server.ts";
import type { ListPage, TimelineFollows, TimelineItem } from "../lib/shared/api-types.ts";
import { DEFAULT_TIMELINE_OPTIONS } from "../lib/timeline/poll-job.ts";
import { startFeedServer } from "./timeline/feeds.ts";
import { type ParseCost, parseCosts } from "./timeline/parse-cost.ts";
import { killAll, type RunResult, startOwnerWorker } from "./timeline/worker.ts";

const MINUTE = 60_000;
const DAY_MINUTES = 1440;

/** The free plan (Workers Free, D1 free tier). */
const FREE = { cpuMsPerInvocation: 10, subrequestsPerInvocation: 50, requestsPerDay: 100_000, rowsWrittenPerDay: 100_000, rowsReadPerDay: 5_000_000 };

const USAGE = `Usage: npm run bench:timeline -- [options]
  --feeds N      followed accounts (default 300)
  --chatty N     of them posting every 30-90 minutes from 08:00 to 22:00 (default 5)
  --daily N      of them posting 1-3 times in the day (default 5)
  --minutes N    length of the simulated day (default 1440)
  --keep         keep the temporary folder (its path is printed)`;

function log(message: string): void {
  process.stderr.write(`[bench:timeline] ${message}\n`);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "n/a";
const pct = (value: number, budget: number) => `${fmt((100 * value) / budget, 1)}%`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")).join("\n");
}

interface Run extends RunResult {
  time: number;
  polls: number;
  notModified: number;
  withNew: number;
  stored: number;
  firstPolls: number;
  failed: number;
  pollerFetches: number;
  pollerD1: number;
  pollerRows: number;
  /** Every job of the run: fetches + D1 calls. */
  subrequests: number;
  rowsWritten: number;
}

function analyse(time: number, result: RunResult): Run {
  const poller = result.jobs.find((job) => job.job === "timeline.poll")!;
  const number = (pattern: RegExp) => Number(pattern.exec(poller.summary)?.[1] ?? 0);
  return {
    ...result,
    time,
    polls: number(/^polled (\d+) of/),
    notModified: number(/(\d+) not modified/),
    withNew: number(/(\d+) with new posts/),
    stored: number(/\((\d+) items? stored\)/),
    firstPolls: 0,
    failed: number(/(\d+) failed/),
    pollerFetches: poller.fetches,
    pollerD1: poller.d1Calls,
    pollerRows: poller.rowsWritten,
    subrequests: result.jobs.reduce((sum, job) => sum + job.fetches + job.d1Calls, 0),
    rowsWritten: result.jobs.reduce((sum, job) => sum + job.rowsWritten, 0),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      feeds: { type: "string", default: "300" },
      chatty: { type: "string", default: "5" },
      daily: { type: "string", default: "5" },
      minutes: { type: "string", default: String(DAY_MINUTES) },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  const feeds = Number(values.feeds);
  const chatty = Number(values.chatty);
  const daily = Number(values.daily);
  const minutes = Number(values.minutes);
  if (![feeds, chatty, daily, minutes].every((n) => Number.isInteger(n) && n >= 0) || chatty + daily > feeds || feeds < 1) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }

  log("measuring the poller's parsing in V8 ...");
  const costs = parseCosts(DEFAULT_TIMELINE_OPTIONS.itemsPerRun, DEFAULT_TIMELINE_OPTIONS.poll.backfillItems);
  const temp = mkdtempSync(path.join(os.tmpdir(), "skein-bench-timeline-"));
  // Onboarding starts 4 hours before the day (300 follows take 150 runs at 2 first polls a run); the runs between its end and midnight are not counted.
  const dayStart = Date.UTC(2026, 5, 2, 0, 0, 0);
  const onboardStart = dayStart - 240 * MINUTE;
  log(`building ${feeds} followed sites (${chatty} chatty, ${daily} posting daily) ...`);
  const feedServer = await startFeedServer({ count: feeds, chatty, daily, dayStart, seed: 42 });
  const port = await freePort();
  log("building, migrating and starting the owner's site under wrangler dev ...");
  const worker = await startOwnerWorker({ parentDir: temp, port, accounts: feedServer.accounts, ownerUrl: `http://127.0.0.1:${port}` });
  const stop = async () => {
    await worker.stop();
    await feedServer.close();
    if (values.keep) log(`kept ${temp}`);
    else rmSync(temp, { recursive: true, force: true });
  };
  process.once("SIGINT", () => {
    killAll();
    rmSync(temp, { recursive: true, force: true });
    process.exit(130);
  });

  try {
    // 1. Onboarding: every follow is new.
    const onboarding: Run[] = [];
    let time = onboardStart;
    // Enough runs for every first poll at firstPollsPerRun, and some to spare (failures, retries).
    const maxOnboardingRuns = Math.ceil(feeds / DEFAULT_TIMELINE_OPTIONS.firstPollsPerRun) + 30;
    for (let run = 0; run < maxOnboardingRuns; run++) {
      const result = analyse(time, await worker.runAt(time));
      onboarding.push(result);
      time += MINUTE;
      const status = await worker.get<TimelineFollows>("/api/timeline/follows");
      const fresh = status.follows.filter((follow) => follow.state === "new").length;
      if (run % 10 === 9 || fresh === 0) log(`onboarding: run ${run + 1}, ${fresh} follows not read yet`);
      if (fresh === 0) break;
    }
    const onboardingStored = onboarding.reduce((sum, run) => sum + run.stored, 0);

    // Every minute until the day starts, as the cron would (not counted).
    for (; time < dayStart; time += MINUTE) await worker.runAt(time);

    // 2. The day.
    time = dayStart;
    const day: Run[] = [];
    const published: { username: string; date: number }[] = [];
    for (let minute = 0; minute < minutes; minute++) {
      for (const post of feedServer.advance(time)) published.push({ username: post.account.username, date: post.date });
      day.push(analyse(time, await worker.runAt(time)));
      time += MINUTE;
      if (minute % 120 === 119) log(`day: ${String(Math.floor((minute + 1) / 60)).padStart(2, "0")}:00, ${published.length} posts published so far`);
    }

    // Time to the timeline: each post published in the day, found in the owner's timeline.
    const arrived = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page: ListPage<TimelineItem> = await worker.get(`/api/timeline?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
      for (const item of page.items) arrived.set(`${item.username} ${Date.parse(item.date)}`, Date.parse(item.received_at));
      cursor = page.next_cursor;
    } while (cursor);
    const seenAccounts = new Set<string>();
    const latencies = published.map((post) => {
      const at = arrived.get(`${post.username} ${post.date}`);
      const first = !seenAccounts.has(post.username);
      seenAccounts.add(post.username);
      return { minutes: at === undefined ? Number.POSITIVE_INFINITY : (at - post.date) / MINUTE, first };
    });

    report({ feeds, chatty, daily, minutes, onboarding, onboardingStored, day, latencies, published: published.length, costs });
    await stop();
  } catch (error) {
    killAll();
    await feedServer.close();
    if (values.keep) log(`kept ${temp}`);
    else rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

function report(r: {
  feeds: number;
  chatty: number;
  daily: number;
  minutes: number;
  onboarding: Run[];
  onboardingStored: number;
  day: Run[];
  latencies: { minutes: number; first: boolean }[];
  published: number;
  costs: ParseCost[];
}): void {
  const { day } = r;
  const perDay = DAY_MINUTES / r.minutes;
  const sum = (runs: readonly Run[], key: keyof Run) => runs.reduce((total, run) => total + (run[key] as number), 0);
  const idle = day.filter((run) => run.polls === 0);
  const only304 = day.filter((run) => run.polls > 0 && run.notModified === run.polls);
  const withNew = day.filter((run) => run.withNew > 0);

  console.log(
    `\nnpm run bench:timeline: ${r.feeds} followed feeds (${r.chatty} post every 30-90 min from 08:00 to 22:00, ${r.daily} post 1-3 times a day, the rest are quiet),`,
  );
  console.log(
    `one owner's Worker under wrangler dev, cron runs on a simulated clock. Poller settings: ${DEFAULT_TIMELINE_OPTIONS.itemsPerRun} items parsed per run, backfill ${DEFAULT_TIMELINE_OPTIONS.poll.backfillItems} items, ${DEFAULT_TIMELINE_OPTIONS.concurrency} feeds at a time, a feed's share ${DEFAULT_TIMELINE_OPTIONS.feedLimits.subrequests} fetches, ${DEFAULT_TIMELINE_OPTIONS.firstPollsPerRun} first polls a run, a feed stores at most ${DEFAULT_TIMELINE_OPTIONS.feedQuota.itemsPerRun} items a run and ${DEFAULT_TIMELINE_OPTIONS.feedQuota.itemsPerDay} a day.\n`,
  );

  console.log("Onboarding (every follow new at once):");
  console.log(
    table([
      ["", "value"],
      ["runs until every feed was read", fmt(r.onboarding.length)],
      ["items stored (bounded backfill)", fmt(r.onboardingStored)],
      ["subrequests per run, max (budget 50)", fmt(Math.max(...r.onboarding.map((run) => run.subrequests)))],
      ["rows written", fmt(sum(r.onboarding, "rowsWritten"))],
    ]),
  );

  const polls = sum(day, "polls");
  const subrequestsDay = sum(day, "subrequests");
  const rowsDay = sum(day, "rowsWritten");
  const pollerRows = sum(day, "pollerRows");
  console.log(`\nOne day (${r.minutes} runs${perDay !== 1 ? `, scaled x${fmt(perDay, 2)} to a day` : ""}):`);
  console.log(
    table([
      ["", "per day", "free plan", "share"],
      ["cron invocations (requests)", fmt(day.length * perDay), fmt(FREE.requestsPerDay), pct(day.length * perDay, FREE.requestsPerDay)],
      ["polls (feed fetches the schedule needs)", fmt(polls * perDay), "", ""],
      ["  of which 304 Not Modified", fmt(sum(day, "notModified") * perDay), "", pct(sum(day, "notModified"), Math.max(1, polls))],
      ["  with new posts", fmt(sum(day, "withNew") * perDay), "", ""],
      ["  failed", fmt(sum(day, "failed") * perDay), "", ""],
      ["poller fetches", fmt(sum(day, "pollerFetches") * perDay), "", ""],
      ["poller D1 calls", fmt(sum(day, "pollerD1") * perDay), "", ""],
      ["subrequests, every job", fmt(subrequestsDay * perDay), "", ""],
      ["D1 rows written, poller", fmt(pollerRows * perDay), fmt(FREE.rowsWrittenPerDay), pct(pollerRows * perDay, FREE.rowsWrittenPerDay)],
      ["D1 rows written, every job", fmt(rowsDay * perDay), fmt(FREE.rowsWrittenPerDay), pct(rowsDay * perDay, FREE.rowsWrittenPerDay)],
      [
        `D1 rows read, poller (computed: ${r.feeds} follow rows a run)`,
        fmt(r.feeds * day.length * perDay),
        fmt(FREE.rowsReadPerDay),
        pct(r.feeds * day.length * perDay, FREE.rowsReadPerDay),
      ],
      ["posts published / stored", `${fmt(r.published)} / ${fmt(sum(day, "stored"))}`, "", ""],
    ]),
  );

  const subs = day.map((run) => run.subrequests);
  const rows = day.map((run) => run.rowsWritten);
  console.log("\nPer run:");
  console.log(
    table([
      ["", "p50", "p99", "max", "budget", "max/budget"],
      [
        "subrequests (fetches + D1 calls, every job)",
        fmt(quantile(subs, 0.5)),
        fmt(quantile(subs, 0.99)),
        fmt(Math.max(...subs)),
        "50",
        pct(Math.max(...subs), 50),
      ],
      ["D1 rows written (every job)", fmt(quantile(rows, 0.5)), fmt(quantile(rows, 0.99)), fmt(Math.max(...rows)), "", ""],
      [
        "polls",
        fmt(
          quantile(
            day.map((run) => run.polls),
            0.5,
          ),
        ),
        fmt(
          quantile(
            day.map((run) => run.polls),
            0.99,
          ),
        ),
        fmt(Math.max(...day.map((run) => run.polls))),
        "",
        "",
      ],
      [
        "wall time, ms",
        fmt(
          quantile(
            day.map((run) => run.wallMs),
            0.5,
          ),
          1,
        ),
        fmt(
          quantile(
            day.map((run) => run.wallMs),
            0.99,
          ),
          1,
        ),
        fmt(Math.max(...day.map((run) => run.wallMs)), 1),
        "",
        "",
      ],
    ]),
  );

  const pair = (values: number[]) => (values.length ? `${fmt(quantile(values, 0.5), 2)} / ${fmt(quantile(values, 0.99), 2)}` : "n/a");
  const base = quantile(
    idle.map((run) => run.cpuMs),
    0.5,
  );
  const runRow = (label: string, runs: readonly Run[]) => [
    label,
    fmt(runs.length),
    pair(runs.map((run) => run.cpuMs)),
    pair(runs.map((run) => run.cpuMs / base)),
  ];
  const pollRow = (label: string, runs: readonly Run[]) => [label, fmt(runs.length), pair(runs.map((run) => Math.max(0, run.cpuMs - base) / run.polls)), ""];
  const onboardingRuns = r.onboarding.filter((run) => run.polls > 0);
  console.log(
    "\nworkerd's CPU per run, ms, p50 / p99, and against the baseline (runs with no feed due) -- every thread of the process, so the local D1 (SQLite) and the dev server are in it: an upper bound of an invocation's CPU, whose deployed figure is the Workers cpuTime (docs/benchmarks.md):",
  );
  console.log(
    table([
      ["", "runs", "workerd CPU", "x baseline"],
      runRow("run, no feed due (the baseline)", idle),
      runRow("run, only 304s", only304),
      runRow("run, new posts stored", withNew),
      runRow("onboarding run (first polls, backfill)", onboardingRuns),
      pollRow("per poll above the baseline, 304", only304),
      pollRow("per poll above the baseline, new posts", withNew),
    ]),
  );

  console.log("\nThe poller's own work per kind of poll, in V8 (Node, same engine; decode + read up to where the poll stops + the JSON for D1; no I/O):");
  console.log(
    table([
      ["", "page KB", "items read", "median ms", "of 10 ms"],
      ...r.costs.map((cost) => [cost.label, fmt(cost.bytes / 1024, 0), fmt(cost.items), fmt(cost.medianMs, 2), pct(cost.medianMs, FREE.cpuMsPerInvocation)]),
    ]),
  );

  console.log("\nTime from a new post to the owner's timeline, minutes (the schedule's delay on the simulated clock; a run itself takes the wall time above):");
  const latencyRow = (label: string, values: number[]) => {
    const arrived = values.filter((value) => Number.isFinite(value));
    return [
      label,
      fmt(values.length),
      fmt(quantile(arrived, 0.5), 1),
      fmt(quantile(arrived, 0.9), 1),
      fmt(arrived.length ? Math.max(...arrived) : Number.NaN, 1),
      fmt(values.length - arrived.length),
    ];
  };
  console.log(
    table([
      ["", "posts", "p50", "p90", "max", "not arrived"],
      latencyRow(
        "every post",
        r.latencies.map((latency) => latency.minutes),
      ),
      latencyRow(
        "an account's first post of the day",
        r.latencies.filter((latency) => latency.first).map((latency) => latency.minutes),
      ),
      latencyRow(
        "its later posts (the schedule has seen it post)",
        r.latencies.filter((latency) => !latency.first).map((latency) => latency.minutes),
      ),
    ]),
  );
}

main().catch((error) => {
  killAll();
  console.error(`npm run bench:timeline: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
