/**
 * Every scheduled job, in the order a run takes them (earlier jobs get the run's budget first).
 * Capabilities plug their jobs in here.
 */
import { reverifyRepliesJob } from "../inbox/reverify-job.ts";
import { outboxSendJob } from "../outbox/send-job.ts";
import { timelinePollJob } from "../timeline/poll-job.ts";
import { timelineSubscribeJob } from "../timeline/websub-subscribe-job.ts";
import { webmentionSendJob } from "../webmention/send-job.ts";
import { webmentionVerifyJob } from "../webmention/verify-job.ts";
import { websubDeliverJob } from "../websub/deliver-job.ts";
import { websubPublishJob } from "../websub/publish-job.ts";
import type { ScheduledJob } from "../worker-kit/jobs.ts";
import { writeLiveJob } from "../write/live-job.ts";
import { housekeepingJob } from "./housekeeping-job.ts";

// The outbox before the timeline: it usually costs one D1 call, and when it has work it is the
// owner's own replies and messages, which should not wait behind a run spent reading others' feeds.
// WebSub: the publisher's pings right after a deploy (cheap: one D1 call when nothing is new), our own
// hub's deliveries before the timeline spends the run on others' feeds, the subscriber's requests after it.
export const SCHEDULED_JOBS: readonly ScheduledJob[] = [
  reverifyRepliesJob,
  webmentionVerifyJob,
  outboxSendJob,
  webmentionSendJob,
  writeLiveJob,
  websubPublishJob,
  websubDeliverJob,
  timelinePollJob,
  timelineSubscribeJob,
  housekeepingJob,
];
