/**
 * webmention.send (a scheduled job, every minute): Webmention out (W3C Webmention §3.1). A run:
 *
 *   1. reads the due rows and the fingerprint of the last list reconciled (one D1 call);
 *   2. when the deployed list (config.webmentions, lib/publish/webmention-list.ts) changed,
 *      reconciles the table with it (send-plan.ts: new links queued, an edited post's earlier
 *      webmentions queued again, a deleted post's sent ones queued once more);
 *   3. reads our own head feed once (the outbox's own-feed.ts) and leaves rows of posts not live yet
 *      waiting: a receiver reads our post page, which must be there (a deletion goes at once);
 *   4. claims at most SENDS_PER_RUN due rows (another run overlapping this one skips them);
 *   5. per row, while MAX_SUBREQUESTS_PER_SEND are left of the run's budget: discovers the endpoint
 *      and POSTs (send.ts), and records the outcome right after.
 *
 * Exactly once per (post, target, change): the row is marked sent in the D1 write right after the
 * 2xx; the claim keeps concurrent runs off it; a run that dies between the two leaves the claim to
 * expire (LEASE_MS) and the webmention is sent again, which a receiver takes as an update
 * (§3.2.4: "Processing Webmentions SHOULD be idempotent").
 *
 * Budget in plain counts (the free plan: 50 subrequests an invocation): this job spends at most
 * 3 D1 calls + 1 feed read + SENDS_PER_RUN x MAX_SUBREQUESTS_PER_SEND (3 x 10) = 34 subrequests,
 * and never starts a send for which fewer than MAX_SUBREQUESTS_PER_SEND are left.
 */
import { liveAmong } from "../outbox/own-feed.ts";
import { LEASE_MS, nextLookForLive, WAIT_FOR_LIVE_MS } from "../outbox/policy.ts";
import { hasPostId } from "../shared/site-config.ts";
import { plural } from "../shared/words.ts";
import type { JobContext, JobOutcome, ScheduledJob } from "../worker-kit/jobs.ts";
import { MAX_SUBREQUESTS_PER_SEND, type SendResult, sendWebmention } from "./send.ts";
import { planSendChanges } from "./send-plan.ts";
import { applySendChanges, claimSends, readSendQueue, recentSends, recordSendOutcome, recordSendWaits, releaseSends, type SendRow } from "./send-store.ts";

export const SENDS_PER_RUN = 3;
const BATCH = 10;
const EVERYTHING_DUE = Date.UTC(9999, 0, 1);

/** Step 2, only when the list's fingerprint changed. */
async function reconcile(context: JobContext, storedDigest: string | null): Promise<number | undefined> {
  const list = context.config.webmentions;
  if (!list || list.digest === storedDigest) return undefined;
  const changes = planSendChanges(list, await recentSends(context.db), (id) => hasPostId(context.config.post_ids, id));
  await applySendChanges(context.db, changes, list.digest, context.now);
  return changes.length;
}

/** Step 3: a deletion goes now; the rest once our own feed shows the post. */
async function sortByLiveness(context: JobContext, due: readonly SendRow[], failures: { target: string; reason: string }[]) {
  const sendable = due.filter((row) => row.reason === "deleted");
  const waiting = due.filter((row) => row.reason !== "deleted");
  let waits = 0;
  if (waiting.length === 0) return { sendable, waits };
  const { config } = context;
  const wanted = [...new Set(waiting.map((row) => row.post_id))];
  const { live, error } = await liveAmong(context, wanted);
  if (error) failures.push({ target: config.owner.feed_url, reason: error });
  const later: { id: number; nextAttemptAtMs: number; detail: string }[] = [];
  for (const row of waiting) {
    if (live.has(row.post_id)) sendable.push(row);
    else if (context.now - Date.parse(row.updated_at) >= WAIT_FOR_LIVE_MS) {
      const detail = `our feed did not show post ${row.post_id} within ${WAIT_FOR_LIVE_MS / 3_600_000} hours; nothing was sent`;
      await recordSendOutcome(context.db, row.id, { state: "failed", detail, attempted: false }, context.now);
      failures.push({ target: `webmention ${row.id}`, reason: detail });
    } else {
      const detail = error ? `waiting: ${error}` : `waiting for post ${row.post_id} to appear in our feed`;
      later.push({ id: row.id, nextAttemptAtMs: nextLookForLive(Date.parse(row.updated_at), context.now), detail });
    }
  }
  await recordSendWaits(context.db, later);
  waits = later.length;
  return { sendable, waits };
}

async function sendRows(context: JobContext, rows: readonly SendRow[], failures: { target: string; reason: string }[]) {
  const counts: Record<string, number> = {};
  const unsent: number[] = [];
  for (const row of rows) {
    if (unsent.length > 0 || context.budget.subrequestsLeft() < MAX_SUBREQUESTS_PER_SEND || context.budget.refusal()) {
      unsent.push(row.id);
      continue;
    }
    let result: SendResult;
    try {
      result = await sendWebmention(row, { fetch: context.fetch, allowLoopback: context.allowLoopback, budget: context.budget, nowMs: context.now });
    } catch (error) {
      console.error(`skein webmention: sending ${row.id} failed`, error);
      result = { outcome: { state: "queued", detail: "sending stopped on an unexpected error", attempted: true, nextAttemptAtMs: context.now + 10 * 60_000 } };
    }
    if ("deferred" in result) {
      unsent.push(row.id);
      continue;
    }
    await recordSendOutcome(context.db, row.id, result.outcome, context.now);
    const state = result.outcome.state === "queued" ? "retrying" : result.outcome.state;
    counts[state] = (counts[state] ?? 0) + 1;
    if (state === "failed" || state === "retrying") failures.push({ target: `webmention ${row.id} to ${row.target}`, reason: result.outcome.detail ?? state });
  }
  await releaseSends(context.db, unsent);
  return { counts, unsent: unsent.length };
}

export const webmentionSendJob: ScheduledJob = {
  name: "webmention.send",
  everyMinutes: 1,
  async run(context): Promise<JobOutcome> {
    const dueBefore = context.all ? EVERYTHING_DUE : context.now;
    let queue = await readSendQueue(context.db, dueBefore, context.now, BATCH);
    const changed = await reconcile(context, queue.digest);
    if (changed) queue = await readSendQueue(context.db, dueBefore, context.now, BATCH);
    const notes = changed ? [`new build: ${plural(changed, "change")} to the webmentions to send`] : [];
    const failures: { target: string; reason: string }[] = [];
    if (queue.due.length === 0) return { summary: [...notes, "no webmention to send"].join("; "), failures };

    const { sendable, waits } = await sortByLiveness(context, queue.due, failures);
    const picked = sendable.slice(0, SENDS_PER_RUN);
    const claimed = await claimSends(
      context.db,
      picked.map((row) => row.id),
      context.now,
      context.now + LEASE_MS,
    );
    const { counts, unsent } = await sendRows(
      context,
      picked.filter((row) => claimed.has(row.id)),
      failures,
    );
    const done = Object.entries(counts).map(([state, n]) => `${n} ${state}`);
    const parts = [...notes, done.length ? `webmentions: ${done.join(", ")}` : "sent no webmention"];
    if (waits) parts.push(`${plural(waits, "webmention")} wait${waits === 1 ? "s" : ""} for the post to be live`);
    const later = unsent + sendable.length - picked.length;
    if (later) parts.push(`${later} more wait for the next run`);
    return { summary: parts.join("; "), failures };
  },
};
