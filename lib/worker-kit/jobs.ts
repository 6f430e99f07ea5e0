/**
 * The scheduled jobs and their dispatcher. The cron trigger (wrangler.toml [triggers]) calls
 * scheduled() every minute; `npm run tick` and `npm start` call POST /api/jobs/run, which runs the
 * same dispatcher. Each job says how often it is due; `all` (npm run tick -- --all) runs every job
 * now and asks each to ignore its own schedules and backoffs, for trying things locally.
 *
 * Budgets: one run is one invocation, and the free plan gives an invocation 50 subrequests (fetches
 * and D1 calls), 10 ms of CPU and a share of 100,000 D1 rows written a day. All jobs of a run draw
 * from one Budget (lib/shared/budget.ts) and one D1 meter, in order; what does not fit waits for the
 * next run. A job that throws is reported and the next one still runs.
 *
 * Schedules are derived from the run's time (a job every N minutes runs when the minute number is a
 * multiple of N), so deciding what is due costs no D1 reads or writes.
 */
import type { JobReport, JobsRunReport } from "../shared/api-types.ts";
import { Budget, type BudgetLimits, RUN_LIMITS } from "../shared/budget.ts";
import { type Db, emptyUsage, meteredDb } from "../shared/d1.ts";
import { formatIsoUtc } from "../shared/dates.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerDeps, WorkerEnv } from "./env.ts";
import { allowLoopback } from "./env.ts";

export interface JobContext {
  config: SiteConfig;
  env: WorkerEnv;
  /** Metered into this job's report (and the run's budget). */
  db: Db;
  /** The run's time, epoch ms (the cron's scheduled time, or the tick's). */
  now: number;
  /** Ignore schedules and backoffs: everything is due now. */
  all: boolean;
  /** This job's share of the run. */
  budget: Budget;
  fetch: typeof fetch;
  allowLoopback: boolean;
  /** A clock that advances (deadlines of network waits). */
  clock: () => number;
}

export interface JobOutcome {
  summary: string;
  failures?: { target: string; reason: string }[];
}

export interface ScheduledJob {
  name: string;
  /** Due when the run's minute number is a multiple of this (1 = every run). */
  everyMinutes: number;
  run(context: JobContext): Promise<JobOutcome>;
}

export function isDue(job: ScheduledJob, nowMs: number): boolean {
  return Math.floor(nowMs / 60_000) % job.everyMinutes === 0;
}

export interface RunOptions {
  config: SiteConfig;
  env: WorkerEnv;
  deps: WorkerDeps;
  now: number;
  all: boolean;
  limits?: BudgetLimits;
}

export async function runJobs(jobs: readonly ScheduledJob[], options: RunOptions): Promise<JobsRunReport> {
  const runUsage = emptyUsage();
  const runDb = meteredDb(options.env.DB, runUsage).db;
  const runBudget = new Budget(options.limits ?? RUN_LIMITS, options.deps.now, runUsage);
  const reports: JobReport[] = [];
  for (const job of jobs) {
    if (!options.all && !isDue(job, options.now)) {
      reports.push({
        job: job.name,
        ran: false,
        summary: `not due (runs every ${job.everyMinutes} min)`,
        failures: [],
        fetches: 0,
        d1_calls: 0,
        rows_written: 0,
        ms: 0,
      });
      continue;
    }
    const usage = emptyUsage();
    const budget = runBudget.child({});
    const started = options.deps.now();
    let outcome: JobOutcome;
    try {
      outcome = await job.run({
        config: options.config,
        env: options.env,
        db: meteredDb(runDb, usage).db,
        now: options.now,
        all: options.all,
        budget,
        fetch: options.deps.fetch,
        allowLoopback: allowLoopback(options.env),
        clock: options.deps.now,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(`skein: job ${job.name} failed`, error);
      outcome = { summary: `stopped on an error: ${reason}`.slice(0, 300), failures: [{ target: job.name, reason: reason.slice(0, 300) }] };
    }
    reports.push({
      job: job.name,
      ran: true,
      summary: outcome.summary,
      failures: outcome.failures ?? [],
      fetches: budget.fetches,
      d1_calls: usage.calls,
      rows_written: usage.rowsWritten,
      ms: Math.max(0, options.deps.now() - started),
    });
  }
  return { ran_at: formatIsoUtc(options.now), all: options.all, jobs: reports };
}
