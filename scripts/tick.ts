/**
 * npm run tick [-- --all] [--json]: run the Worker's scheduled jobs once, now, on the running local
 * server (or --url), and print what each did. The cron trigger runs the same jobs every minute when
 * deployed; `npm start` runs them every minute locally.
 *
 *   --all          every job, every schedule and backoff ignored (trying things locally)
 *   --url, --token, --json   as for every command
 *
 * Exits 0 when the jobs ran, even if a feed or a target failed (those are reported); 1 when the jobs
 * could not be run at all.
 */

import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { resolveTarget } from "../lib/cli/local-server.ts";
import { oneLine, renderTable, terminalSafeJson } from "../lib/cli/output.ts";
import { OWNER_COMMAND_OPTIONS, OwnerApi } from "../lib/cli/owner-api.ts";
import { parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import type { JobsRunReport } from "../lib/shared/api-types.ts";

export const USAGE = `Usage: npm run tick [-- --all] [--json] [--url URL] [--token TOKEN]

  Runs the scheduled jobs once on the running local server (npm start) or --url, and prints what
  each did. --all runs every job now, ignoring every schedule and backoff.`;

export function reportLines(report: JobsRunReport): string[] {
  const lines = [`Scheduled jobs at ${report.ran_at}${report.all ? " (--all: every schedule and backoff ignored)" : ""}:`];
  lines.push(
    ...renderTable(
      report.jobs,
      [
        { header: "JOB", width: 18, value: (job) => job.job },
        { header: "FETCHES", width: 7, align: "right", value: (job) => (job.ran ? String(job.fetches) : "-") },
        { header: "D1", width: 3, align: "right", value: (job) => (job.ran ? String(job.d1_calls) : "-") },
        { header: "WRITES", width: 6, align: "right", value: (job) => (job.ran ? String(job.rows_written) : "-") },
        { header: "MS", width: 6, align: "right", value: (job) => (job.ran ? String(job.ms) : "-") },
        { header: "WHAT IT DID", value: (job) => job.summary },
      ],
      120,
    ),
  );
  const failures = report.jobs.flatMap((job) => job.failures.map((failure) => ({ job: job.job, ...failure })));
  if (failures.length) {
    lines.push("", "Failed this run (retried later where that makes sense):");
    for (const failure of failures) lines.push(`  ${oneLine(failure.job)}: ${oneLine(failure.target)}: ${oneLine(failure.reason)}`);
  }
  return lines;
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    ...OWNER_COMMAND_OPTIONS,
    all: { type: "boolean", default: false },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}`);
  const api = new OwnerApi(resolveTarget(process.cwd(), { url: values.url, token: values.token }));
  const report = (await api.call<JobsRunReport>("POST", "/api/jobs/run", { all: values.all ?? false })).body!;
  console.log(values.json ? terminalSafeJson(report) : reportLines(report).join("\n"));
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run tick", USAGE, main);
