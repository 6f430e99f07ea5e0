/**
 * Skein as its own hub, content distribution (WebSub §7; a scheduled job, every minute): the
 * deliveries the publisher queued when a deploy changed a topic (publish-job.ts) are POSTed to each
 * subscriber's callback -- the topic's whole head page, its Content-Type, the Link header naming the
 * hub and the topic, and, when the subscriber gave a secret, X-Hub-Signature: sha256=<HMAC of the
 * body> (§8).
 *
 * Within the free plan, spread over runs: a run reads the due deliveries (one D1 call, the due index
 * only), each topic's page once (one subrequest through ASSETS), chooses as many as its budget allows
 * -- one subrequest each, and their estimated CPU (deliveryCpuMs) within `cpuMsPerRun`: the
 * invocation's 10 ms less what the other jobs of the run take; `batch` at most -- claims them (one D1
 * call: the attempt is counted first, so a run cut off by the CPU limit cannot resend them in a
 * loop), POSTs them and writes every outcome in one batch. The rest wait for the
 * next run: nobody is skipped, the oldest go first. 2xx: delivered. 410 Gone: the subscription ends
 * (§7). Anything else: retried with backoff, `maxAttempts` times, then given up until the next deploy.
 * Once an hour the run also deletes the subscriptions whose lease ran out (§5.1).
 */
import type { DbStatement } from "../shared/d1.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import { plural } from "../shared/words.ts";
import type { JobContext, JobOutcome, ScheduledJob } from "../worker-kit/jobs.ts";
import { type OwnTopicPage, readOwnTopic } from "./own-topic.ts";
import { backoffMs, distributionLinks, signatureHeader } from "./protocol.ts";
import {
  claimDeliveriesStatement,
  type DeliveryOutcome,
  deleteExpiredStatement,
  deleteStaleCountsStatement,
  dueDeliveriesStatement,
  recordDeliveryStatement,
  type SubscriptionRow,
} from "./store.ts";

export const DELIVER_JOB_NAME = "websub.deliver";

export interface DeliverOptions {
  /** Deliveries read per run (the subrequests or the CPU estimate usually stop earlier). */
  batch: number;
  /** Deliveries in flight at once (Workers allow 6 open connections per invocation). */
  concurrency: number;
  /** The isolate CPU a run may spend on deliveries, estimated (deliveryCpuMs), ms. */
  cpuMsPerRun: number;
  /** CPU of one delivery whatever its size: the POST through fetchRemote, the HMAC key, its outcome, ms. */
  cpuMsPerDelivery: number;
  /** CPU per MiB of a page sent (copied into the request), ms. */
  sendMsPerMiB: number;
  /** CPU per MiB signed (HMAC-SHA256), on top of sending it, ms. */
  signMsPerMiB: number;
  /** CPU per MiB of a topic page read once per run (the ASSETS read and its SHA-256), ms. */
  readMsPerMiB: number;
  /** Tries of one delivery (§7 leaves retries to the hub). */
  maxAttempts: number;
  /** Per delivery: the subscriber must answer within this. */
  timeoutMs: number;
}

/**
 * The CPU figures are what bench/websub.ts measured (`--profile`, at 2e754da, wrangler dev on the
 * 2-core build machine, load average 3 to 6; V8's samples of the isolate with the waits cut and the
 * D1 binding left out -- see the bench's top comment): one delivery costs 0.25 to 0.3 ms whatever its
 * size (the runtime's fetch, fetchRemote's guard and timer, the HMAC key, the outcome's statement),
 * plus about 1 ms per MiB sent and 1 to 1.4 ms per MiB signed; reading a page costs about 1.4 ms per
 * MiB (mostly its SHA-256; an isolate reads a live page once, own-topic.ts). A run with nothing to
 * deliver (every job) took 1.2 to 3.3 ms (median), so 6 ms for the deliveries keeps a run near 8 ms,
 * within the invocation's 10: 18 deliveries of an 11 KiB head page a run, 7 of a 240 KiB one (6 when
 * the run reads it). Runs after the first two measured 4.2 to 7.6 ms (median), 7.4 to 12 ms (p90);
 * the first run after a deploy (a new isolate compiling what it runs, the publisher queueing) 18 to
 * 26 ms, whatever the deliveries. Deployed, Cloudflare's dashboard is the final word.
 */
export const DEFAULT_DELIVER_OPTIONS: DeliverOptions = {
  batch: 40,
  concurrency: 4,
  cpuMsPerRun: 6,
  cpuMsPerDelivery: 0.3,
  sendMsPerMiB: 1,
  signMsPerMiB: 1.2,
  readMsPerMiB: 1.5,
  maxAttempts: 6,
  timeoutMs: 5000,
};

const MiB = 1024 * 1024;

/** The estimated isolate CPU of one delivery of `bytes`, signed or not, ms. */
export function deliveryCpuMs(options: DeliverOptions, bytes: number, signed: boolean): number {
  return options.cpuMsPerDelivery + (bytes / MiB) * (options.sendMsPerMiB + (signed ? options.signMsPerMiB : 0));
}

/** The estimated isolate CPU of reading a topic page of `bytes` (once per run), ms. */
export function pageReadCpuMs(options: DeliverOptions, bytes: number): number {
  return (bytes / MiB) * options.readMsPerMiB;
}

/**
 * How many deliveries of one page size a run makes when every due one is alike and the subrequests
 * do not stop it first: the rule the run applies one delivery at a time (the oldest always goes).
 * `pageRead`: the run reads the page (the first run of an isolate, or a page not kept).
 */
export function deliveriesPerRun(options: DeliverOptions, bytes: number, signed: boolean, pageRead = true): number {
  const allowance = options.cpuMsPerRun - (pageRead ? pageReadCpuMs(options, bytes) : 0);
  return Math.min(options.batch, Math.max(1, Math.floor(allowance / deliveryCpuMs(options, bytes, signed))));
}

/** A claimed delivery whose run never recorded an outcome is due again after this. */
export const CLAIM_MS = 10 * 60_000;

const EXPIRY_SWEEP_MINUTES = 60;

export function createDeliverJob(overrides: Partial<DeliverOptions> = {}): ScheduledJob {
  const options: DeliverOptions = { ...DEFAULT_DELIVER_OPTIONS, ...overrides };
  return {
    name: DELIVER_JOB_NAME,
    everyMinutes: 1,
    async run(context: JobContext): Promise<JobOutcome> {
      const websub = context.config.websub;
      const hub = websub?.self_hub;
      if (!websub || !hub) return { summary: "not a hub (the profile does not list `hubs: [self]`)" };
      const { db, now } = context;
      const sweep = context.all || Math.floor(now / 60_000) % EXPIRY_SWEEP_MINUTES === 0;
      const [due, swept] = await db.batch<unknown>(
        sweep
          ? [dueDeliveriesStatement(db, now, options.batch), deleteExpiredStatement(db, now), deleteStaleCountsStatement(db, now)]
          : [dueDeliveriesStatement(db, now, options.batch)],
      );
      const rows = (due?.results ?? []) as SubscriptionRow[];
      const expired = swept?.results.length ?? 0;
      const expiredText = expired ? `; ${plural(expired, "expired subscription")} removed` : "";
      if (!rows.length) return { summary: `no delivery due${expiredText}` };

      const topics = new Map(websub.topics.map((topic) => [topic.url, topic]));
      const statements: DbStatement[] = [];
      const failures: { target: string; reason: string }[] = [];
      const counts = { delivered: 0, retrying: 0, givenUp: 0, gone: 0, waiting: 0 };

      // What this run can afford, row by row, oldest first: a subrequest each (two kept for the claim
      // and the outcomes) and the CPU estimate within cpuMsPerRun. A topic's page is read when its first
      // row comes up, only while the allowance is not spent (a page nobody gets this run is not read),
      // and its read is counted unless the page was kept from an earlier run (own-topic.ts). The oldest
      // due always goes, however large its page; the rest stay due for the next run, oldest first.
      const pages = new Map<string, OwnTopicPage | undefined>();
      const chosen: SubscriptionRow[] = [];
      let cpuMs = 0;
      for (const row of rows) {
        const topic = topics.get(row.topic);
        if (!topic) {
          // A topic no longer published: given up at once.
          statements.push(
            recordDeliveryStatement(db, row, { kind: "given-up", attempts: row.attempts, status: null, error: "the topic is no longer published" }, now),
          );
          counts.givenUp += 1;
          continue;
        }
        const room = chosen.length === 0 || cpuMs < options.cpuMsPerRun;
        if (!pages.has(row.topic) && room && context.budget.subrequestsLeft() - 2 - chosen.length > 1) {
          const read = await readOwnTopic(topic, {
            assets: context.env.ASSETS,
            fetch: context.fetch,
            allowLoopback: context.allowLoopback,
            budget: context.budget,
          });
          pages.set(row.topic, read.ok ? read.value : undefined);
          if (!read.ok) failures.push({ target: row.topic, reason: `not delivered: ${read.error}` });
          else if (read.value.read) cpuMs += pageReadCpuMs(options, read.value.bytes.byteLength);
        }
        const page = pages.get(row.topic);
        const cost = page ? deliveryCpuMs(options, page.bytes.byteLength, row.secret !== null) : 0;
        const affordable =
          page !== undefined && context.budget.subrequestsLeft() - 2 > chosen.length && (chosen.length === 0 || cpuMs + cost <= options.cpuMsPerRun);
        if (!affordable) {
          counts.waiting += 1;
          continue;
        }
        cpuMs += cost;
        chosen.push(row);
      }

      if (chosen.length) {
        // The claim: each try counts BEFORE it is made and the row is due again only after CLAIM_MS. An
        // invocation cut off mid-way (the CPU limit, a deploy) cannot resend the same deliveries in a
        // loop: they come back later, one attempt nearer to being given up.
        await claimDeliveriesStatement(db, chosen, now + CLAIM_MS).run();
        const retry = (row: SubscriptionRow, status: number | null, error: string): DeliveryOutcome => {
          const attempts = row.attempts + 1;
          if (attempts >= options.maxAttempts)
            return { kind: "given-up", attempts, status, error: `${error} (gave up after ${attempts} attempts)`.slice(0, 300) };
          return { kind: "retry", attempts, nextAttemptMs: now + backoffMs(attempts), status, error: error.slice(0, 300) };
        };
        // What every delivery of a topic shares, made once per run: its headers but the signature.
        const shared = new Map<string, Record<string, string>>();
        for (const { topic } of chosen)
          if (!shared.has(topic)) shared.set(topic, { "Content-Type": topics.get(topic)!.content_type, Link: distributionLinks(hub, topic) });
        let next = 0;
        const deliverOne = async (row: SubscriptionRow): Promise<void> => {
          const page = pages.get(row.topic)!;
          const headers = shared.get(row.topic)!;
          const signature = row.secret === null ? undefined : await signatureHeader(row.secret, page.bytes);
          const answer = await fetchRemote(row.callback, {
            fetch: context.fetch,
            allowLoopback: context.allowLoopback,
            budget: context.budget,
            method: "POST",
            headers: signature ? { ...headers, "X-Hub-Signature": signature } : headers,
            // The very bytes signed, sent as they are.
            body: page.bytes,
            limits: { timeoutMs: options.timeoutMs, maxBytes: 4096, maxRedirects: 0 },
          });
          let outcome: DeliveryOutcome;
          if (!answer.ok) outcome = retry(row, null, answer.error.detail);
          else if (answer.value.status >= 200 && answer.value.status < 300) outcome = { kind: "delivered", sha256: page.sha256, status: answer.value.status };
          else if (answer.value.status === 410) outcome = { kind: "gone" };
          else outcome = retry(row, answer.value.status, `the callback answered HTTP ${answer.value.status}`);
          statements.push(recordDeliveryStatement(db, row, outcome, now));
          if (outcome.kind === "delivered") counts.delivered += 1;
          else if (outcome.kind === "gone") counts.gone += 1;
          else {
            if (outcome.kind === "retry") counts.retrying += 1;
            else counts.givenUp += 1;
            failures.push({ target: row.callback, reason: outcome.error });
          }
        };
        const worker = async (): Promise<void> => {
          while (next < chosen.length) await deliverOne(chosen[next++]!);
        };
        await Promise.all(Array.from({ length: Math.min(options.concurrency, chosen.length) }, worker));
      }
      if (statements.length) await db.batch(statements);

      const parts = [
        counts.delivered ? `${plural(counts.delivered, "delivery", "deliveries")} made` : "",
        counts.retrying ? `${counts.retrying} to retry` : "",
        counts.givenUp ? `${counts.givenUp} given up` : "",
        counts.gone ? `${plural(counts.gone, "subscription")} ended by the subscriber (410)` : "",
        counts.waiting ? `${counts.waiting} wait for the next run` : "",
      ].filter(Boolean);
      return { summary: `${parts.join(", ") || "nothing delivered"}${expiredText}`, failures };
    },
  };
}

export const websubDeliverJob: ScheduledJob = createDeliverJob();
