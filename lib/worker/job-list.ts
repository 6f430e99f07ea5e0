/**
 * Every scheduled job, in the order a run takes them (earlier jobs get the run's budget first).
 * Capabilities plug their jobs in here.
 */
import { reverifyRepliesJob } from "../inbox/reverify-job.ts";
import { timelinePollJob } from "../timeline/poll-job.ts";
import { housekeepingJob } from "./housekeeping-job.ts";
import type { ScheduledJob } from "./jobs.ts";

export const SCHEDULED_JOBS: readonly ScheduledJob[] = [reverifyRepliesJob, timelinePollJob, housekeepingJob];
