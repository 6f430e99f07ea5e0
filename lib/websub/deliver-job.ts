/**
 * Skein as its own hub, content distribution (WebSub §7; a scheduled job, every minute): the
 * deliveries the publisher queued when a deploy changed a topic (publish-job.ts) are POSTed to each
 * subscriber's callback -- the topic's whole head page, its Content-Type, the Link header naming the
 * hub and the topic, and, when the subscriber gave a secret, X-Hub-Signature: sha256=<HMAC of the
 * body> (§8).
 *
 * Within the free plan, spread over runs by two plain caps a reader can check: at most
 * `deliveriesPerRun` deliveries (one subrequest each) and at most `bytesPerRun` bytes of pages sent
 * in one run. A run reads the due deliveries (one D1 call, the due index only), each topic's page once
 * (one subrequest through ASSETS, or none when this isolate kept it: own-topic.ts), takes them oldest
 * first while both caps and the run's subrequests allow -- the oldest always goes, however large its
 * page, so nobody waits forever -- claims them (one D1 call: the attempt is counted first, so a run cut
 * off mid-way cannot resend them in a loop), POSTs them and writes every outcome in one batch. The
 * rest wait for the next run. 2xx: delivered. 410 Gone: the subscription ends (§7). Anything else:
 * retried with backoff, `maxAttempts` times, then given up until the next deploy. Once an hour the run
 * also deletes the subscriptions whose lease ran out (§5.1) and the hub's past day counts.
 *
 * What a run costs in CPU is measured where it is real: the deployed Worker's cpuTime per invocation
 * (docs/websub-atom.md, "What a deploy costs"); the caps keep it to a known amount of work.
 */

import type { Budget } from "../shared/budget.ts";
import type { DbStatement } from "../shared/d1.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import type { WebSubTopic } from "../shared/site-config.ts";
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
  /** Deliveries one run makes at most (one subrequest each; the run's 50 bound it too). */
  deliveriesPerRun: number;
  /** Bytes of pages one run sends at most, all deliveries together (the oldest goes whatever its size). */
  bytesPerRun: number;
  /** Deliveries in flight at once (Workers allow 6 open connections per invocation). */
  concurrency: number;
  /** Tries of one delivery (§7 leaves retries to the hub). */
  maxAttempts: number;
  /** Per delivery: the subscriber must answer within this. */
  timeoutMs: number;
}

/**
 * 16 deliveries and 1 MiB a run: 16 of an 11 KiB head page (the example site's), 4 of a 240 KiB one
 * (a head page of 100 long posts). A run then does a known, small amount of work (the bytes copied and
 * HMAC-signed are what grows with the page), and 500 subscribers of an 11 KiB page are served within
 * 32 minutes of a deploy.
 */
export const DEFAULT_DELIVER_OPTIONS: DeliverOptions = {
  deliveriesPerRun: 16,
  bytesPerRun: 1024 * 1024,
  concurrency: 4,
  maxAttempts: 6,
  timeoutMs: 5000,
};

/** How many deliveries of a page of `bytes` one run makes when enough are due and subrequests allow. */
export function deliveriesPerRun(options: DeliverOptions, bytes: number): number {
  return Math.min(options.deliveriesPerRun, Math.max(1, Math.floor(options.bytesPerRun / Math.max(1, bytes))));
}

/** A claimed delivery whose run never recorded an outcome is due again after this. */
export const CLAIM_MS = 10 * 60_000;

const EXPIRY_SWEEP_MINUTES = 60;

interface Counts {
  delivered: number;
  retrying: number;
  givenUp: number;
  gone: number;
  waiting: number;
}

/** What a run does: the rows it sends, the pages they need, what it already knows to write. */
interface Plan {
  chosen: SubscriptionRow[];
  pages: Map<string, OwnTopicPage | undefined>;
  statements: DbStatement[];
  failures: { target: string; reason: string }[];
  counts: Counts;
}

/**
 * Oldest first, while the run's caps and subrequests allow (two kept for the claim and the outcomes).
 * A topic's page is read when its first row comes up and only while there is room (a page nobody gets
 * this run is not read).
 */
async function planRun(context: JobContext, rows: SubscriptionRow[], topics: Map<string, WebSubTopic>, options: DeliverOptions): Promise<Plan> {
  const plan: Plan = { chosen: [], pages: new Map(), statements: [], failures: [], counts: { delivered: 0, retrying: 0, givenUp: 0, gone: 0, waiting: 0 } };
  const room = () => context.budget.subrequestsLeft() - 2 > plan.chosen.length && plan.chosen.length < options.deliveriesPerRun;
  let bytes = 0;
  for (const row of rows) {
    const topic = topics.get(row.topic);
    if (!topic) {
      // A topic no longer published: given up at once.
      const outcome: DeliveryOutcome = { kind: "given-up", attempts: row.attempts, status: null, error: "the topic is no longer published" };
      plan.statements.push(recordDeliveryStatement(context.db, row, outcome, context.now));
      plan.counts.givenUp += 1;
      continue;
    }
    const bytesLeft = plan.chosen.length === 0 || bytes < options.bytesPerRun;
    if (!plan.pages.has(row.topic) && bytesLeft && room() && context.budget.subrequestsLeft() - 3 > plan.chosen.length) {
      const read = await readOwnTopic(topic, {
        assets: context.env.ASSETS,
        fetch: context.fetch,
        allowLoopback: context.allowLoopback,
        budget: context.budget,
      });
      plan.pages.set(row.topic, read.ok ? read.value : undefined);
      if (!read.ok) plan.failures.push({ target: row.topic, reason: `not delivered: ${read.error}` });
    }
    const size = plan.pages.get(row.topic)?.bytes.byteLength;
    if (size === undefined || !room() || (plan.chosen.length > 0 && bytes + size > options.bytesPerRun)) {
      plan.counts.waiting += 1;
      continue;
    }
    bytes += size;
    plan.chosen.push(row);
  }
  return plan;
}

/** One POST to one callback, and what it means for the subscription. */
async function deliverOne(
  row: SubscriptionRow,
  page: OwnTopicPage,
  headers: Record<string, string>,
  context: { fetch: typeof fetch; allowLoopback: boolean; budget: Budget; now: number },
  options: DeliverOptions,
): Promise<DeliveryOutcome> {
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
  const retry = (status: number | null, error: string): DeliveryOutcome => {
    const attempts = row.attempts + 1;
    if (attempts >= options.maxAttempts) return { kind: "given-up", attempts, status, error: `${error} (gave up after ${attempts} attempts)`.slice(0, 300) };
    return { kind: "retry", attempts, nextAttemptMs: context.now + backoffMs(attempts), status, error: error.slice(0, 300) };
  };
  if (!answer.ok) return retry(null, answer.error.detail);
  if (answer.value.status >= 200 && answer.value.status < 300) return { kind: "delivered", sha256: page.sha256, status: answer.value.status };
  if (answer.value.status === 410) return { kind: "gone" };
  return retry(answer.value.status, `the callback answered HTTP ${answer.value.status}`);
}

/** Claims the chosen deliveries, makes them `concurrency` at a time, and adds each outcome to the plan. */
async function deliverAll(context: JobContext, plan: Plan, hub: string, topics: Map<string, WebSubTopic>, options: DeliverOptions): Promise<void> {
  const { db, now } = context;
  // The claim: each try counts BEFORE it is made and the row is due again only after CLAIM_MS. An
  // invocation cut off mid-way (the CPU limit, a deploy) cannot resend the same deliveries in a loop:
  // they come back later, one attempt nearer to being given up.
  await claimDeliveriesStatement(db, plan.chosen, now + CLAIM_MS).run();
  // What every delivery of a topic shares, made once per run: its headers but the signature.
  const shared = new Map<string, Record<string, string>>();
  for (const { topic } of plan.chosen)
    if (!shared.has(topic)) shared.set(topic, { "Content-Type": topics.get(topic)!.content_type, Link: distributionLinks(hub, topic) });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.chosen.length) {
      const row = plan.chosen[next++]!;
      const outcome = await deliverOne(row, plan.pages.get(row.topic)!, shared.get(row.topic)!, { ...context, now }, options);
      plan.statements.push(recordDeliveryStatement(db, row, outcome, now));
      if (outcome.kind === "delivered") plan.counts.delivered += 1;
      else if (outcome.kind === "gone") plan.counts.gone += 1;
      else {
        if (outcome.kind === "retry") plan.counts.retrying += 1;
        else plan.counts.givenUp += 1;
        plan.failures.push({ target: row.callback, reason: outcome.error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, plan.chosen.length) }, worker));
}

function summary(counts: Counts): string {
  const parts = [
    counts.delivered ? `${plural(counts.delivered, "delivery", "deliveries")} made` : "",
    counts.retrying ? `${counts.retrying} to retry` : "",
    counts.givenUp ? `${counts.givenUp} given up` : "",
    counts.gone ? `${plural(counts.gone, "subscription")} ended by the subscriber (410)` : "",
    counts.waiting ? `${counts.waiting} wait for the next run` : "",
  ].filter(Boolean);
  return parts.join(", ") || "nothing delivered";
}

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
      // One row more than a run sends: the summary can say that some wait.
      const due = dueDeliveriesStatement(db, now, options.deliveriesPerRun + 1);
      const [read, swept] = await db.batch<unknown>(sweep ? [due, deleteExpiredStatement(db, now), deleteStaleCountsStatement(db, now)] : [due]);
      const rows = (read?.results ?? []) as SubscriptionRow[];
      const expired = swept?.results.length ?? 0;
      const expiredText = expired ? `; ${plural(expired, "expired subscription")} removed` : "";
      if (!rows.length) return { summary: `no delivery due${expiredText}` };

      const topics = new Map(websub.topics.map((topic) => [topic.url, topic]));
      const plan = await planRun(context, rows, topics, options);
      if (plan.chosen.length) await deliverAll(context, plan, hub, topics, options);
      if (plan.statements.length) await db.batch(plan.statements);
      return { summary: `${summary(plan.counts)}${expiredText}`, failures: plan.failures };
    },
  };
}

export const websubDeliverJob: ScheduledJob = createDeliverJob();
