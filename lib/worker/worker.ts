/**
 * The Worker itself: HTTP requests go to the Hono app (lib/worker/app.ts), cron triggers to the
 * scheduled jobs (lib/worker-kit/jobs.ts). functions/index.ts calls this with the build's site config.
 */
import type { ExecutionContext } from "hono";
import type { JobsRunReport } from "../shared/api-types.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerEnv, WorkerOptions } from "../worker-kit/env.ts";
import { runJobs } from "../worker-kit/jobs.ts";
import { createApp } from "./app.ts";
import { workerDeps } from "./deps.ts";
import { SCHEDULED_JOBS } from "./job-list.ts";

export interface ScheduledEventLike {
  scheduledTime: number;
  cron: string;
}

export type ExecutionContextLike = ExecutionContext;

export interface SkeinWorker {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContextLike): Response | Promise<Response>;
  scheduled(controller: ScheduledEventLike, env: WorkerEnv, ctx: ExecutionContextLike): Promise<void>;
  /** The same run as scheduled(), returning its report (tests). */
  runScheduled(scheduledTime: number, env: WorkerEnv): Promise<JobsRunReport>;
}

/**
 * One line per job that ran, for `wrangler tail` and the dashboard's logs -- in ONE console.log call:
 * each call costs the isolate CPU of its own (serializing it for the log, and for an attached
 * inspector), and a run logs every minute.
 */
function logReport(report: JobsRunReport): void {
  const lines: string[] = [];
  for (const job of report.jobs) {
    if (!job.ran) continue;
    lines.push(`skein job ${job.job}: ${job.summary} (${job.fetches} fetches, ${job.d1_calls} D1 calls, ${job.rows_written} rows written, ${job.ms} ms)`);
    for (const failure of job.failures) lines.push(`skein job ${job.job}: ${failure.target}: ${failure.reason}`);
  }
  if (lines.length) console.log(lines.join("\n"));
}

export function createWorker(config: SiteConfig, options: WorkerOptions = {}): SkeinWorker {
  const app = createApp(config, options);
  const deps = workerDeps(options);
  const runScheduled = (scheduledTime: number, env: WorkerEnv) => runJobs(SCHEDULED_JOBS, { config, env, deps, now: scheduledTime, all: false });
  return {
    fetch: (request, env, ctx) => app.fetch(request, env, ctx),
    async scheduled(controller, env) {
      logReport(await runScheduled(controller.scheduledTime, env));
    },
    runScheduled,
  };
}
