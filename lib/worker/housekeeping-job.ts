/**
 * Housekeeping (a scheduled job, daily at 00:00 UTC): keeps D1 small and fast without touching what
 * the owner keeps. Rejected reply notifications -- claims the sender's own feed did not back -- are
 * deleted after REJECTED_KEEP_DAYS, so a spammer cannot fill the free plan's 500 MB; everything else
 * (messages, verified and unreachable replies) stays until the owner deletes it. Expired owner
 * sessions go too, the daily cap's counts of past days, and IndieAuth's expired or revoked tokens and
 * codes expired a day ago (lib/indieauth). Then `PRAGMA
 * optimize`, which D1 recommends running periodically so SQLite keeps its query plans good.
 */

import { deleteDailyCountsBefore, deleteRejectedBefore } from "../inbox/store.ts";
import { deleteOldCodes } from "../indieauth/codes.ts";
import { deleteDeadTokens } from "../indieauth/tokens.ts";
import { deleteExpiredSessions } from "../owner/session.ts";
import { formatIsoUtc } from "../shared/dates.ts";
import type { ScheduledJob } from "../worker-kit/jobs.ts";

export const REJECTED_KEEP_DAYS = 30;

export const housekeepingJob: ScheduledJob = {
  name: "housekeeping",
  everyMinutes: 24 * 60,
  async run(context) {
    const deleted = await deleteRejectedBefore(context.db, context.now - REJECTED_KEEP_DAYS * 24 * 60 * 60_000);
    const sessions = await deleteExpiredSessions(context.db, context.now);
    await deleteDailyCountsBefore(context.db, formatIsoUtc(context.now).slice(0, 10));
    const tokens = await deleteDeadTokens(context.db, context.now);
    await deleteOldCodes(context.db, context.now);
    await context.db.prepare("PRAGMA optimize").run();
    return {
      summary: `deleted ${deleted} rejected reply notification${deleted === 1 ? "" : "s"} older than ${REJECTED_KEEP_DAYS} days and ${sessions} expired owner session${sessions === 1 ? "" : "s"}, ${tokens} expired or revoked app token${tokens === 1 ? "" : "s"}; optimized D1`,
    };
  },
};
