/**
 * The outbox job (a scheduled job, every minute): Skein talks back, exactly once, after the post is
 * live (spec "Replies/Mentions": "the given user's client should alert the mentioned user's server").
 * A run:
 *
 *   1. reads the queue and the fingerprint of the last notification list it reconciled (one D1 call);
 *   2. when the deployed list (config.notifications, written by the build) differs, reconciles:
 *      new (post, account, item) notifications of posts dated within NOTIFY_WINDOW_DAYS are queued,
 *      queued ones the list no longer names are cancelled (a post deleted before it was sent), and a
 *      redeploy queues nothing twice (the table's unique index);
 *   3. reads our own head feed once and leaves notifications of posts not live yet waiting;
 *   4. claims the due rows it will try (one D1 call; another run overlapping this one skips them);
 *   5. per row, within its share of the run's budget: reads their feed (the replied item, or their
 *      newest item for a mention), does the courteous checks, POSTs, and records the outcome at once.
 *
 * Exactly once: a row is marked sent in the D1 write right after the 2xx is seen, and the claim keeps
 * concurrent runs off it. The one window left is a run that dies between the 2xx and that write: the
 * claim expires (LEASE_MS) and the notification is sent again. We chose that (at least once) over
 * never sending a notification whose run died before its POST: a repeated notification or message
 * is harmless at an idempotent receiver (Skein stores a reply once per sender + status + post, and a
 * message once per sender + date + text, and we re-send a message with its first date).
 */
import type { OutboxItem } from "../shared/api-types.ts";
import { parseRfc822 } from "../shared/dates.ts";
import { NOTIFY_WINDOW_DAYS, type SiteConfig } from "../shared/site-config.ts";
import { plural } from "../shared/words.ts";
import type { JobContext, JobOutcome, ScheduledJob } from "../worker-kit/jobs.ts";
import { type Delivery, deliver } from "./deliver.ts";
import { liveAmong } from "./own-feed.ts";
import {
  LEASE_MS,
  MIN_SUBREQUESTS_PER_SEND,
  messageBody,
  nextAttemptAfter,
  nextLookForLive,
  notificationBody,
  SEND_BUDGET,
  usOf,
  WAIT_FOR_LIVE_MS,
} from "./policy.ts";
import { acceptPolicy, courtesyChecks, findItem, newestItem, type ReadFailure, type ReadOptions } from "./recipient.ts";
import { ownSigner, type Signer } from "./signer.ts";
import {
  claim,
  lastAnswerFrom,
  type NewNotification,
  normalizedLink,
  notificationKey,
  type Outcome,
  queuedNotifications,
  readQueue,
  reconcile,
  recordMessageSent,
  recordOutcome,
  recordWaits,
  release,
  type Wait,
} from "./store.ts";

/** Rows read from the queue per run (the budget usually stops earlier). */
const BATCH = 20;
const DAY_MS = 24 * 60 * 60_000;
/** With `all`: a time after every next attempt (ISO strings compare as dates only with 4-digit years). */
const EVERYTHING_DUE = Date.UTC(9999, 0, 1);

/** What sending one row came to: stored as an outcome, or given back (our budget ran out). */
type RowResult = { outcome: Outcome; message?: { dateEpochMs: number } } | { deferred: string };

/** A transient failure (theirs) counts as an attempt: retried with backoff, then given up. */
function retryOutcome(row: OutboxItem, detail: string, at: number, extra: Partial<Outcome> = {}, retryAfterMs?: number): Outcome {
  const attempts = row.attempts + 1;
  const next = nextAttemptAfter(attempts, at, retryAfterMs);
  if (next === null) return { ...extra, state: "failed", detail: `${detail} (gave up after ${attempts} attempts)`, attempted: true };
  return { ...extra, state: "queued", detail, attempted: true, nextAttemptAtMs: next };
}

function failureResult(row: OutboxItem, failure: ReadFailure, at: number): RowResult {
  if (failure.kind === "deferred") return { deferred: failure.detail };
  if (failure.kind === "final") return { outcome: { state: "failed", detail: `${failure.detail}; nothing was sent`, attempted: false } };
  return { outcome: retryOutcome(row, failure.detail, at) };
}

function deliveryResult(row: OutboxItem, delivery: Delivery, at: number, extra: Partial<Outcome>): RowResult {
  switch (delivery.outcome) {
    case "sent":
      return { outcome: { ...extra, state: "sent", detail: null, attempted: true, httpStatus: delivery.status } };
    case "refused":
      return { outcome: { ...extra, state: "refused", detail: delivery.detail, attempted: true, httpStatus: delivery.status } };
    case "failed":
      return { outcome: { ...extra, state: "failed", detail: delivery.detail, attempted: true, ...(delivery.status ? { httpStatus: delivery.status } : {}) } };
    case "retry":
      return {
        outcome: retryOutcome(row, delivery.detail, at, { ...extra, ...(delivery.status ? { httpStatus: delivery.status } : {}) }, delivery.retryAfterMs),
      };
    default:
      return { deferred: delivery.detail };
  }
}

/** A reply or mention: their item's reply URL, the courteous checks, the POST. */
async function sendNotification(row: OutboxItem, config: SiteConfig, context: JobContext, reading: ReadOptions, signer?: Signer): Promise<RowResult> {
  const target = row.kind === "reply" ? await findItem(row.user_link, row.status_id ?? "", reading) : await newestItem(row.user_link, reading);
  if (!target.ok) return failureResult(row, target.error, context.now);
  const { head, item } = target.value;
  const username = (head.channel.username ?? "").slice(0, 25);
  const who = row.username ? `@${row.username}` : username ? `@${username}` : row.user_link;
  const extra: Partial<Outcome> = username ? { username } : {};
  const what = row.kind === "reply" ? `their item ${row.status_id}` : `their newest item (${item.guid ?? "no guid"})`;
  if (!item.reply) {
    return { outcome: { ...extra, state: "failed", detail: `${what} has no reply URL: ${who} takes no notifications; nothing was sent`, attempted: false } };
  }
  let replyUrl: string;
  try {
    replyUrl = new URL(item.reply, head.url).href;
  } catch {
    return { outcome: { ...extra, state: "failed", detail: `${what} has a reply URL that cannot be read; nothing was sent`, attempted: false } };
  }
  const courtesy = await courtesyChecks(head, usOf(config), who, reading);
  if (!courtesy.send) {
    if ("refused" in courtesy) return { outcome: { ...extra, state: "refused", detail: courtesy.refused, attempted: false, targetUrl: replyUrl } };
    return failureResult(row, courtesy.failure, context.now);
  }
  // Spec "Private Messaging": under "selected", remember whether they take us. A row the owner
  // queued again after a 403 (it keeps its http_status) is their explicit wish to ask once more.
  if (acceptPolicy(head.channel) === "selected" && row.http_status === null) {
    const last = await lastAnswerFrom(context.db, row.user_link);
    if (last?.http_status === 403) {
      return {
        outcome: {
          ...extra,
          state: "refused",
          detail: `${who} accepts only accounts they selected (accept="selected") and refused outbox ${last.id} with 403; nothing was sent`,
          attempted: false,
          targetUrl: replyUrl,
        },
      };
    }
  }
  const delivery = await deliver(replyUrl, notificationBody(config, row.post_id ?? 0), { ...reading, nowMs: context.now, signer });
  return deliveryResult(row, delivery, context.now, { ...extra, targetUrl: replyUrl });
}

/** A queued message: the same text, date and URL as its first attempt. */
async function sendQueuedMessage(row: OutboxItem, config: SiteConfig, context: JobContext, reading: ReadOptions, signer?: Signer): Promise<RowResult> {
  const dateEpochMs = parseRfc822(row.date ?? "");
  if (!row.target_url || row.message === null || !row.date || dateEpochMs === undefined) {
    return { outcome: { state: "failed", detail: "the stored message is incomplete; nothing was sent", attempted: false } };
  }
  const delivery = await deliver(row.target_url, messageBody(config, row.message, row.date), { ...reading, nowMs: context.now, signer });
  const result = deliveryResult(row, delivery, context.now, {});
  return "outcome" in result && result.outcome.state === "sent" ? { ...result, message: { dateEpochMs } } : result;
}

/** Step 2: the deployed list against the table; only when its fingerprint changed. */
async function reconcileList(context: JobContext, storedDigest: string | null): Promise<{ queued: number; cancelled: number } | undefined> {
  const list = context.config.notifications;
  if (!list || list.digest === storedDigest) return undefined;
  const from = context.now - NOTIFY_WINDOW_DAYS * DAY_MS;
  const listed = new Set(list.items.map((n) => notificationKey(n.post_id, normalizedLink(n.user_link), n.status_id ?? "")));
  const cancelIds = (await queuedNotifications(context.db))
    .filter((row) => !listed.has(notificationKey(row.post_id, row.peer_link_normalized, row.status_id)))
    .map((row) => row.id);
  const fresh: NewNotification[] = list.items
    .filter((n) => Date.parse(n.date) >= from)
    .map((n) => ({
      kind: n.kind,
      postId: n.post_id,
      statusId: n.status_id ?? "",
      peer: { user_id: n.user_id, username: n.username, user_link: n.user_link },
    }));
  return reconcile(context.db, fresh, cancelIds, list.digest, context.now);
}

/** Step 3: messages go now; a notification goes once our own feed shows its post, waits, or is given up. */
async function sortByLiveness(context: JobContext, due: readonly OutboxItem[], failures: { target: string; reason: string }[]) {
  const { config } = context;
  const notifications = due.filter((row) => row.kind !== "message");
  const sendable: OutboxItem[] = due.filter((row) => row.kind === "message");
  const waits: Wait[] = [];
  const gaveUp: OutboxItem[] = [];
  if (notifications.length === 0) return { sendable, waits, gaveUp };
  const wanted = [...new Set(notifications.map((row) => row.post_id ?? 0))];
  const { live, error } = await liveAmong(context, wanted);
  if (error) failures.push({ target: config.owner.feed_url, reason: error });
  const at = context.now;
  for (const row of notifications) {
    if (live.has(row.post_id ?? -1)) sendable.push(row);
    else if (at - Date.parse(row.created_at) >= WAIT_FOR_LIVE_MS) gaveUp.push(row);
    else {
      const why = error ? `waiting: ${error}` : `waiting for post ${row.post_id} to appear in our feed (${config.owner.feed_url})`;
      waits.push({ id: row.id, nextAttemptAtMs: nextLookForLive(Date.parse(row.created_at), at), note: why });
    }
  }
  await recordWaits(context.db, waits, at);
  for (const row of gaveUp) {
    const detail = `our feed did not show post ${row.post_id} within ${WAIT_FOR_LIVE_MS / 3_600_000} hours; nothing was sent (npm run outbox -- retry ${row.id} once it is live)`;
    await recordOutcome(context.db, row.id, { state: "failed", detail, attempted: false }, at);
    failures.push({ target: `outbox ${row.id}`, reason: detail });
  }
  return { sendable, waits, gaveUp };
}

export const outboxSendJob: ScheduledJob = {
  name: "outbox.send",
  everyMinutes: 1,
  async run(context): Promise<JobOutcome> {
    const { config } = context;
    const dueBefore = context.all ? EVERYTHING_DUE : context.now;
    let queue = await readQueue(context.db, dueBefore, context.now, BATCH);
    const reconciled = await reconcileList(context, queue.digest);
    if (reconciled && (reconciled.queued > 0 || reconciled.cancelled > 0)) queue = await readQueue(context.db, dueBefore, context.now, BATCH);
    const notes: string[] = [];
    if (reconciled && (reconciled.queued || reconciled.cancelled)) {
      notes.push(`new build: ${plural(reconciled.queued, "notification")} queued, ${reconciled.cancelled} cancelled`);
    }
    const failures: { target: string; reason: string }[] = [];
    if (queue.due.length === 0) return { summary: [...notes, "nothing to send"].join("; "), failures };

    // Step 3: notifications wait until our own feed shows their post.
    const { sendable, waits, gaveUp } = await sortByLiveness(context, queue.due, failures);

    // Step 4: claim what this run will try.
    const claimed = await claim(
      context.db,
      sendable.map((row) => row.id),
      context.now,
      context.now + LEASE_MS,
    );
    const rows = sendable.filter((row) => claimed.has(row.id));

    // Step 5: one row at a time, each outcome written as soon as it is known.
    const counts = { sent: 0, refused: 0, failed: 0, retrying: 0 };
    const unsent: number[] = [];
    const signer = rows.length ? await ownSigner(config, context.env.SIGNING_KEY, context.now) : undefined;
    for (const row of rows) {
      const left = context.budget.subrequestsLeft();
      if (unsent.length > 0 || left < MIN_SUBREQUESTS_PER_SEND || context.budget.refusal()) {
        unsent.push(row.id);
        continue;
      }
      const budget = context.budget.child({ ...SEND_BUDGET, subrequests: Math.min(SEND_BUDGET.subrequests, left - 1) });
      const reading: ReadOptions = { fetch: context.fetch, allowLoopback: context.allowLoopback, budget };
      let result: RowResult;
      try {
        result =
          row.kind === "message"
            ? await sendQueuedMessage(row, config, context, reading, signer)
            : await sendNotification(row, config, context, reading, signer);
      } catch (error) {
        console.error(`skein outbox: sending outbox ${row.id} failed`, error);
        result = { outcome: retryOutcome(row, "sending stopped on an unexpected error", context.now) };
      }
      if ("deferred" in result) {
        unsent.push(row.id);
        continue;
      }
      const { outcome } = result;
      const at = context.now;
      if (result.message && row.message !== null && row.date !== null) {
        const peer = { user_id: row.user_id, username: row.username, user_link: row.user_link };
        await recordMessageSent(context.db, row.id, { peer, body: row.message, dateRaw: row.date, dateEpochMs: result.message.dateEpochMs }, outcome, at);
      } else {
        await recordOutcome(context.db, row.id, outcome, at);
      }
      const target = `outbox ${row.id} (${row.kind} to ${row.username ? `@${row.username}` : row.user_link})`;
      if (outcome.state === "sent") counts.sent += 1;
      else if (outcome.state === "refused") counts.refused += 1;
      else if (outcome.state === "failed") {
        counts.failed += 1;
        failures.push({ target, reason: outcome.detail ?? "failed" });
      } else {
        counts.retrying += 1;
        failures.push({ target, reason: `${outcome.detail ?? "failed"} (tried again at ${new Date(outcome.nextAttemptAtMs ?? at).toISOString()})` });
      }
    }
    await release(context.db, unsent);

    const done = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`);
    const parts = [...notes];
    parts.push(done.length ? `tried ${rows.length - unsent.length}: ${done.join(", ")}` : "sent nothing");
    if (waits.length) parts.push(`${plural(waits.length, "notification")} wait${waits.length === 1 ? "s" : ""} for the post to be live`);
    if (gaveUp.length) parts.push(`${gaveUp.length} given up (post never live)`);
    if (unsent.length) parts.push(`${unsent.length} more wait for the next run`);
    const skipped = sendable.length - rows.length;
    if (skipped > 0) parts.push(`${skipped} being sent by another run`);
    return { summary: parts.join("; "), failures };
  },
};
