/**
 * D1 rows written per request kind, as D1 itself reports them (meta.rows_written through the Worker's
 * meter, read from Server-Timing), against a server with the REAL rate limits of wrangler.toml.
 *
 * Issue #7: refusals must cost no D1 writes (each 429 used to write 2-4 rate-limit rows), and an
 * accepted message must write the minimum (it used to write 6-8). The check order of
 * lib/inbox/public-routes.ts puts the client network's limit first and the sender's limit after the
 * policy, so each refusal below is made before any D1 call.
 *
 * Client networks: each group of requests carries its own CF-Connecting-IP (meter.ts), so the
 * groups do not eat each other's allowance of the per-network limit:
 *   198.51.100.1-2    the network limit: as many bad-JSON requests as the limit allows, then a valid message
 *   198.51.100.11-12  the sender limit: one sender's message 10 times (1 new, 9 duplicates), then a new one
 *   203.0.113.7       one request of every other kind
 *
 * A reply's verification runs after its 201 (waitUntil) and writes its outcome then, outside the
 * response's meter. Its cost is measured with the second meter the Worker has, the scheduled jobs'
 * report (POST /api/jobs/run, npm run tick's route): a second reply whose feed is down is left
 * `unreachable`, and the sweep checks it again, once with the feed still down, once with it up; the
 * sweep records the outcome with the same statement (store.ts recordVerification) and the same index
 * change (its place in the re-verification queue removed) as the background task.
 */

import { MAX_VERIFY_ATTEMPTS } from "../../lib/inbox/verify-reply.ts";
import type { InboxReply, JobReport, JobsRunReport } from "../../lib/shared/api-types.ts";
import type { SiteConfig } from "../../lib/shared/site-config.ts";
import { INBOX_ROUTE, MESSAGE_ROUTE } from "../../lib/shared/urls.ts";
import type { ReplierFeeds, ReplierName } from "./feed-server.ts";
import { type Check, int, renderChecks, renderColumns } from "./format.ts";
import { type D1Meter, fitInOneWindow, type MeteredAnswer, postMetered, sleep, windowOf } from "./meter.ts";
import { ownerGet, ownerPost, type RateLimitConfig } from "./server.ts";

/**
 * What the migrations say an accepted request from a stranger writes: the row and its indexes
 * (0002_one_worker.sql) and the daily cap's count (0007_inbox_daily_cap.sql). A followed sender's
 * is one less: it is not counted.
 */
export const DESIGN_ROWS = { message: 3, reply: 4, duplicate: 0 } as const;

const MESSAGE_DATE = "2026-01-05T10:00:00Z";
const KINDS_IP = "203.0.113.7";
const MAX_BODY_PROBE = 40 * 1024;

export interface KindRow {
  kind: string;
  request: string;
  expectedStatus: number;
  status: number;
  meter: D1Meter | undefined;
  /** The design's rows written for this kind, when it states one. */
  designRows?: number;
  note: string;
}

export interface SweepRow {
  kind: string;
  /** The reply's state after the run. */
  after: string;
  d1Calls: number;
  rowsWritten: number;
  fetches: number;
  summary: string;
}

export interface D1CostReport {
  limits: RateLimitConfig[];
  rows: KindRow[];
  background: {
    steady: string;
    flaky: string;
    steadyFetches: number;
    flakyFetches: number;
    waitedMs: number;
  };
  sweep: SweepRow[];
  checks: Check[];
}

export interface D1CostContext {
  url: string;
  token: string;
  config: SiteConfig;
  feeds: ReplierFeeds;
  limits: RateLimitConfig[];
  runId: string;
  progress: (line: string) => void;
}

interface Sender {
  user_id: string;
  username: string;
  user_link: string;
}

const stranger = (id: string): Sender => ({ user_id: id, username: "bench_sender", user_link: `https://${id}.example/feed.xml` });
const messageJson = (sender: Sender, text: string) => JSON.stringify({ ...sender, message: text, date: MESSAGE_DATE });
const replyJson = (sender: Sender, statusId: string) => JSON.stringify({ ...sender, status_id: statusId });

function limitOf(limits: readonly RateLimitConfig[], name: string): RateLimitConfig {
  const limit = limits.find((l) => l.name === name);
  if (!limit) throw new Error(`the copy's wrangler.toml has no [[ratelimits]] ${name}`);
  return limit;
}

/**
 * Run `attempt` inside one rate-limit window: wait for a fresh window if the current one is nearly
 * over, and try once more (with fresh keys) if the window still rolled over and the refusal did not come.
 */
async function inOneWindow<T>(
  period: number,
  progress: (line: string) => void,
  attempt: (n: number) => Promise<T>,
  refused: (result: T) => boolean,
): Promise<{ result: T; attempts: number }> {
  let result: T | undefined;
  for (let n = 1; n <= 2; n++) {
    await fitInOneWindow(10, period, progress);
    const started = Date.now();
    result = await attempt(n);
    if (refused(result) || windowOf(started, period) === windowOf(Date.now(), period)) return { result, attempts: n };
    progress("the rate-limit window rolled over during the attempt; once more in a fresh window");
  }
  return { result: result as T, attempts: 2 };
}

export async function measureD1Costs(context: D1CostContext): Promise<D1CostReport> {
  const { url, config, feeds, runId, progress } = context;
  const messageUrl = `${url}${MESSAGE_ROUTE}`;
  const replyUrl = (postId: number) => `${url}/api/posts/${postId}/reply`;
  const ipLimit = limitOf(context.limits, "INBOX_IP_LIMIT");
  const senderLimit = limitOf(context.limits, "INBOX_SENDER_LIMIT");
  // Measured first (each in a fresh rate-limit window), printed last.
  const limitRows: KindRow[] = [];
  const kindRows: KindRow[] = [];
  let rows = limitRows;
  const checks: Check[] = [];
  const row = (kind: string, request: string, expectedStatus: number, answer: MeteredAnswer, designRows?: number, note = "") => {
    const entry: KindRow = { kind, request, expectedStatus, status: answer.status, meter: answer.meter, note };
    if (designRows !== undefined) entry.designRows = designRows;
    if (answer.status !== expectedStatus) entry.note = `${note ? `${note}; ` : ""}answered: ${answer.text.slice(0, 120)}`;
    rows.push(entry);
  };

  // 1. The client network's limit: `limit` requests that cost nothing (bad JSON), then a valid new message.
  progress(`429 by client network: ${ipLimit.limit} bad-JSON requests, then a valid message, from one network ...`);
  const network = await inOneWindow(
    ipLimit.periodSeconds,
    progress,
    async (n) => {
      const clientIp = `198.51.100.${n}`;
      const fillers: MeteredAnswer[] = [];
      for (let i = 0; i < ipLimit.limit; i++) fillers.push(await postMetered(messageUrl, { body: "{not json", clientIp }));
      const last = await postMetered(messageUrl, {
        body: messageJson(stranger(`bench-net-${runId}-${n}`), `bench-kinds: over the network limit ${n}`),
        clientIp,
      });
      return { fillers, last };
    },
    (r) => r.last.status === 429,
  );
  const fillerRows = network.result.fillers.reduce((sum, a) => sum + (a.meter?.rowsWritten ?? 0), 0);
  const fillerStatuses = new Set(network.result.fillers.map((a) => a.status));
  row(
    `429, client network over ${ipLimit.limit}/${ipLimit.periodSeconds} s (a valid new message)`,
    `POST ${MESSAGE_ROUTE}`,
    429,
    network.result.last,
    undefined,
    `request ${ipLimit.limit + 1} from one network; the ${ipLimit.limit} before it (400, bad JSON) wrote ${fillerRows} rows`,
  );

  // 2. The sender's limit: one message `limit` times (1 new, then duplicates), then a new one.
  progress(`429 by sender: one sender's message ${senderLimit.limit} times, then a new message ...`);
  const senderRun = await inOneWindow(
    senderLimit.periodSeconds,
    progress,
    async (n) => {
      const clientIp = `198.51.100.${10 + n}`;
      const sender = stranger(`bench-sender-${runId}-${n}`);
      const accepted: MeteredAnswer[] = [];
      for (let i = 0; i < senderLimit.limit; i++)
        accepted.push(await postMetered(messageUrl, { body: messageJson(sender, "bench-kinds: sender limit"), clientIp }));
      const last = await postMetered(messageUrl, { body: messageJson(sender, "bench-kinds: one more, over the sender limit"), clientIp });
      return { accepted, last };
    },
    (r) => r.last.status === 429,
  );
  const senderRows = senderRun.result.accepted.reduce((sum, a) => sum + (a.meter?.rowsWritten ?? 0), 0);
  row(
    `429, sender over ${senderLimit.limit}/${senderLimit.periodSeconds} s (a valid new message)`,
    `POST ${MESSAGE_ROUTE}`,
    429,
    senderRun.result.last,
    undefined,
    `request ${senderLimit.limit + 1} of one user_id; the ${senderLimit.limit} before it (1 new + ${senderLimit.limit - 1} duplicates, 201) wrote ${senderRows} rows`,
  );

  // 3. One request of every other kind, from one network well under its limit.
  progress("one request of every other kind ...");
  rows = kindRows;
  const clientIp = KINDS_IP;
  const post = (target: string, body: string, contentType?: string) =>
    postMetered(target, contentType === undefined ? { body, clientIp } : { body, clientIp, contentType });
  const sender = stranger(`bench-kinds-${runId}`);
  const text = "bench-kinds: an accepted message";
  row("message, accepted", `POST ${MESSAGE_ROUTE}`, 201, await post(messageUrl, messageJson(sender, text)), DESIGN_ROWS.message);
  row("message, duplicate (the same again)", `POST ${MESSAGE_ROUTE}`, 201, await post(messageUrl, messageJson(sender, text)), DESIGN_ROWS.duplicate);

  const postId = lastPostId(config);
  const { steady, flaky } = feeds.repliers;
  const replyRoute = `POST /api/posts/${postId}/reply`;
  row(
    "reply notification, accepted (verified after the 201)",
    replyRoute,
    201,
    await post(replyUrl(postId), replyJson(steady, steady.status_id)),
    DESIGN_ROWS.reply,
    "verification not included: see the sweep lines",
  );
  row("reply notification, duplicate", replyRoute, 201, await post(replyUrl(postId), replyJson(steady, steady.status_id)), DESIGN_ROWS.duplicate);
  row(
    "reply notification, accepted (its feed is down)",
    replyRoute,
    201,
    await post(replyUrl(postId), replyJson(flaky, flaky.status_id)),
    DESIGN_ROWS.reply,
    "left unreachable after the 201",
  );

  const blocked = config.blocks.find((entry) => entry.user_id !== undefined);
  if (blocked?.user_id) {
    const blockedSender = { user_id: blocked.user_id, username: "blocked", user_link: `https://${blocked.link ?? "blocked.example/feed.xml"}` };
    row(
      "403, blocked sender (site/_data/blocks.yaml)",
      `POST ${MESSAGE_ROUTE}`,
      403,
      await post(messageUrl, messageJson(blockedSender, "bench-kinds: blocked")),
    );
  } else {
    progress("the copy's blocks list has no user_id: no 403 row");
  }
  row("400, body is not JSON", `POST ${MESSAGE_ROUTE}`, 400, await post(messageUrl, "{not json"));
  row(
    "400, a field fails the schema (user_link)",
    `POST ${MESSAGE_ROUTE}`,
    400,
    await post(messageUrl, messageJson({ ...sender, user_link: "not a url" }, "bench-kinds: bad field")),
  );
  row("415, Content-Type text/plain", `POST ${MESSAGE_ROUTE}`, 415, await post(messageUrl, messageJson(sender, "bench-kinds: text/plain"), "text/plain"));
  row(`413, body of ${MAX_BODY_PROBE / 1024} KiB`, `POST ${MESSAGE_ROUTE}`, 413, await post(messageUrl, messageJson(sender, "x".repeat(MAX_BODY_PROBE))));
  const unknownPost = 999_999_999;
  row(
    "404, reply to a post that does not exist",
    `POST /api/posts/${unknownPost}/reply`,
    404,
    await post(replyUrl(unknownPost), replyJson(steady, steady.status_id)),
  );

  // 4. The background verifications: wait until neither reply is pending.
  progress("waiting for the replies' background verifications ...");
  const waitStart = Date.now();
  let states = await replyStates(url, context.token, feeds);
  while ((states.steady?.verification ?? "pending") === "pending" || (states.flaky?.verification ?? "pending") === "pending") {
    if (Date.now() - waitStart > 30_000) break;
    await sleep(250);
    states = await replyStates(url, context.token, feeds);
  }
  const background = {
    steady: describeState(states.steady),
    flaky: describeState(states.flaky),
    steadyFetches: feeds.fetches("steady"),
    flakyFetches: feeds.fetches("flaky"),
    waitedMs: Date.now() - waitStart,
  };

  // 5. The sweep: the flaky reply again with its feed down, then up.
  progress("the sweep (POST /api/jobs/run {all: true}) with the flaky feed down, then up ...");
  const sweep: SweepRow[] = [];
  const sweepOnce = async (kind: string) => {
    const report = await ownerPost<JobsRunReport>(url, "/api/jobs/run", context.token, { all: true });
    const job: JobReport | undefined = report.jobs.find((j) => j.job === "inbox.reverify");
    const after = describeState((await replyStates(url, context.token, feeds)).flaky);
    sweep.push({
      kind,
      after,
      d1Calls: job?.d1_calls ?? Number.NaN,
      rowsWritten: job?.rows_written ?? Number.NaN,
      fetches: job?.fetches ?? Number.NaN,
      summary: job?.summary ?? "no inbox.reverify job in the report",
    });
  };
  await sweepOnce("sweep: one reply, its feed still down");
  feeds.setUp("flaky", true);
  await sweepOnce("sweep: one reply, its feed up again");

  // ---- verdicts ----
  rows = [...kindRows, ...limitRows];
  const wrong = rows.filter((r) => r.status !== r.expectedStatus);
  checks.push({
    name: "every request kind got its expected status",
    kind: "correctness",
    value:
      (wrong.length ? wrong.map((r) => `${r.kind}: ${r.status}`).join("; ") : `${rows.length} kinds`) +
      (fillerStatuses.size === 1 && fillerStatuses.has(400) ? "" : `; the bad-JSON requests before the network 429 answered ${[...fillerStatuses].join(", ")}`),
    pass: wrong.length === 0 && fillerStatuses.size === 1 && fillerStatuses.has(400),
  });
  const unmetered = rows.filter((r) => r.meter === undefined).length + network.result.fillers.filter((a) => a.meter === undefined).length;
  checks.push({
    name: "every Worker response carried the D1 meter (Server-Timing)",
    kind: "correctness",
    value: `${unmetered} without`,
    pass: unmetered === 0,
  });
  const refusals = rows.filter((r) => r.status !== 201);
  const refusalRows = refusals.reduce((sum, r) => sum + (r.meter?.rowsWritten ?? 0), 0) + fillerRows;
  checks.push({
    name: "refusals wrote no rows",
    kind: "correctness",
    value: `${int(refusalRows)} rows over ${refusals.length + network.result.fillers.length} refused requests`,
    pass: refusalRows === 0,
  });
  const refusalCalls = refusals.filter((r) => (r.meter?.calls ?? 0) > 0);
  checks.push({
    name: "refusals made no D1 call",
    kind: "target",
    value: refusalCalls.length ? refusalCalls.map((r) => `${r.kind}: ${r.meter?.calls} calls`).join("; ") : `0 calls over ${refusals.length} kinds`,
    pass: refusalCalls.length === 0,
  });
  for (const r of rows.filter((entry) => entry.designRows !== undefined && entry.status === 201)) {
    checks.push({
      name: `${r.kind} writes ${r.designRows} rows (migrations 0002, 0007)`,
      kind: "target",
      value: `${r.meter === undefined ? "n/a" : int(r.meter.rowsWritten)} rows`,
      pass: r.meter?.rowsWritten === r.designRows,
    });
  }
  checks.push({
    name: "a reply's background verification finished after its 201 (steady: verified, flaky: unreachable)",
    kind: "correctness",
    value: `steady ${background.steady}, flaky ${background.flaky} after ${int(background.waitedMs)} ms`,
    pass: states.steady?.verification === "verified" && states.flaky?.verification === "unreachable",
  });
  const finalFlaky = sweep.at(-1)?.after ?? "";
  checks.push({
    name: "the sweep verified the flaky reply once its feed was up",
    kind: "correctness",
    value: finalFlaky,
    pass: finalFlaky.startsWith("verified"),
  });
  if (network.attempts > 1 || senderRun.attempts > 1) progress("note: a rate-limit window rolled over; the 429 rows are from a second attempt");
  return { limits: context.limits, rows, background, sweep, checks };
}

/** The highest published post guid (the build's ranges), the post the replies answer. */
function lastPostId(config: SiteConfig): number {
  const last = config.post_ids.at(-1);
  if (!last) throw new Error("the copy's site has no published post to reply to");
  return last[1];
}

async function replyStates(url: string, token: string, feeds: ReplierFeeds): Promise<Partial<Record<ReplierName, InboxReply>>> {
  const listed = await ownerGet<{ items: InboxReply[] }>(url, `${INBOX_ROUTE}/replies?limit=100`, token);
  const states: Partial<Record<ReplierName, InboxReply>> = {};
  for (const name of ["steady", "flaky"] as const) {
    const item = listed.items.find((reply) => reply.user_id === feeds.repliers[name].user_id);
    if (item) states[name] = item;
  }
  return states;
}

function describeState(reply: InboxReply | undefined): string {
  if (!reply) return "missing";
  return `${reply.verification} (attempts ${reply.attempts}${reply.next_check_at ? `, next check ${reply.next_check_at}` : ""})`;
}

export function renderD1Costs(report: D1CostReport): string {
  const meterCell = (meter: D1Meter | undefined, pick: (m: D1Meter) => number) => (meter === undefined ? "n/a" : int(pick(meter)));
  const kindRows = [
    ["request kind", "request", "status", "D1 calls", "rows read", "rows written", "expected", "note"],
    ...report.rows.map((r) => [
      r.kind,
      r.request,
      r.status === r.expectedStatus ? String(r.status) : `${r.status} (expected ${r.expectedStatus})`,
      meterCell(r.meter, (m) => m.calls),
      meterCell(r.meter, (m) => m.rowsRead),
      meterCell(r.meter, (m) => m.rowsWritten),
      r.designRows === undefined ? "" : String(r.designRows),
      r.note,
    ]),
  ];
  const sweepRows = [
    ["after the response (second meter: the jobs report)", "reply after", "D1 calls", "rows written", "fetches", "job summary"],
    ...report.sweep.map((s) => [s.kind, s.after, int(s.d1Calls), int(s.rowsWritten), int(s.fetches), s.summary]),
  ];
  const limits = report.limits.map((l) => `${l.name} ${l.limit}/${l.periodSeconds} s`).join(", ");
  return [
    `3. D1 cost per request kind (Server-Timing from D1's own meta; real limits of wrangler.toml: ${limits})`,
    "",
    renderColumns(kindRows, new Set([3, 4, 5, 6])),
    "",
    `  background verification (waitUntil, after the 201; not in the reply's row): steady reply ${report.background.steady}, ` +
      `flaky reply ${report.background.flaky}; feed GETs: steady ${report.background.steadyFetches}, flaky ${report.background.flakyFetches}`,
    "",
    renderColumns(sweepRows, new Set([2, 3, 4])),
    "  A verification's own cost is the sweep's: the same UPDATE (store.ts recordVerification) and the same change of the reply's place in",
    "  the re-verification queue as the background task's, plus the sweep's one read of the due replies (no rows written).",
    ...replyTotals(report),
    "",
    ...renderChecks(report.checks),
  ].join("\n");
}

/** What one accepted reply costs in all: its row's writes plus each verification's, from the figures above. */
function replyTotals(report: D1CostReport): string[] {
  const accepted = report.rows.find((r) => r.kind.startsWith("reply notification, accepted") && r.status === 201)?.meter?.rowsWritten;
  const unreachable = report.sweep[0]?.rowsWritten;
  const verified = report.sweep[1]?.rowsWritten;
  if (accepted === undefined || unreachable === undefined || verified === undefined) return [];
  const worst = accepted + (MAX_VERIFY_ATTEMPTS - 1) * unreachable + verified;
  return [
    `  So a reply verified at its first check writes ${accepted} + ${verified} = ${accepted + verified} rows; each check that finds its feed unreachable ` +
      `adds ${unreachable}; at most ${MAX_VERIFY_ATTEMPTS} checks, the last one final (like a verified one): about ${worst} rows at worst.`,
  ];
}
