/**
 * write.live: a committed post is live once our own head feed carries it -- the deploy the commit
 * triggered has finished. Read as the outbox reads it (lib/outbox/own-feed.ts): the static assets
 * deployed with this Worker, or the feed URL. One D1 read a run when nothing waits; otherwise one
 * read of our feed and one D1 write.
 */
import { liveAmong } from "../outbox/own-feed.ts";
import type { JobContext, JobOutcome, ScheduledJob } from "../worker-kit/jobs.ts";
import { committedPostIds, markLive } from "./store.ts";

/** Committed posts looked at per run (oldest first); the rest wait. */
export const LIVE_CHECK_BATCH = 50;

export const writeLiveJob: ScheduledJob = {
  name: "write.live",
  everyMinutes: 1,
  async run(context: JobContext): Promise<JobOutcome> {
    const waiting = await committedPostIds(context.db, LIVE_CHECK_BATCH);
    if (!waiting.length) return { summary: "no written post waits to be live" };
    const { live: shown, error } = await liveAmong(context, waiting);
    if (error)
      return { summary: `${waiting.length} written post(s) wait; our feed was not read`, failures: [{ target: context.config.owner.feed_url, reason: error }] };
    const live = [...shown];
    await markLive(context.db, live, context.now);
    return { summary: `${live.length} of ${waiting.length} written post(s) now live` };
  },
};
