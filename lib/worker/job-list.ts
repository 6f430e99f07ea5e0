/**
 * Every scheduled job, in the order a run takes them (earlier jobs get the run's budget first).
 * Capabilities plug their jobs in here.
 */
import { reverifyRepliesJob } from "../inbox/reverify-job.ts";
import { outboxSendJob } from "../outbox/send-job.ts";
import { timelinePollJob } from "../timeline/poll-job.ts";
import { housekeepingJob } from "./housekeeping-job.ts";
import type { ScheduledJob } from "./jobs.ts";

// The outbox before the timeline: it usually costs one D1 call, and when it has work it is the
// owner's own replies and messages, which should not wait behind a run spent reading others' feeds.
export const SCHEDULED_JOBS: readonly ScheduledJob[] = [reverifyRepliesJob, outboxSendJob, timelinePollJob, housekeepingJob];
