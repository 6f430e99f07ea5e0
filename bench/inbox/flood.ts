/**
 * A flood from one client against the real rate limits: N POST /api/message from one address (the
 * benchmark's own socket, no CF-Connecting-IP of its own), every request with a new sender and a new
 * text, as an attacker rotating identities would send them, so only the per-network limit stands in
 * the way. Issue #7: before the move each refused request wrote 2-4 rate-limit rows, so about 25,000
 * requests from one client spent the free plan's 100,000 rows written a day and closed the inbox for
 * everyone; now a refusal must write nothing and only the accepted messages write (3 rows each: the row, its idempotency index and the daily cap's
 * count, since every sender here is a stranger).
 *
 * Rows written are counted twice: the sum of every response's Server-Timing (D1's own meta), and,
 * after the server stopped, the flood's rows in the D1 file, matched to the requests one by one
 * (every 201 is a row, no refused request is one).
 */
import { DEFAULT_DAILY_CAP } from "../../lib/inbox/daily-cap.ts";
import { type Check, fixed, int, renderChecks, renderColumns } from "./format.ts";
import { fitInOneWindow, postMetered, windowOf } from "./meter.ts";

/** A stranger's accepted message: its row, its idempotency index, the daily cap's count (migrations 0002, 0007). */
const ROWS_PER_STRANGER_MESSAGE = 3;

/** Issue #7's figures for the design before the move, for context (not measured here). */
export const OLD_DESIGN = { acceptedRows: [6, 8], refusedRows: [2, 4] } as const;
/** The free plan's D1 rows written per day. */
export const FREE_ROWS_PER_DAY = 100_000;

const FLOOD_PREFIX = "bench-flood #";
const MESSAGE_DATE = "2026-01-05T10:00:00Z";

export function floodText(n: number): string {
  return `${FLOOD_PREFIX}${n}`;
}
export const FLOOD_LIKE_PREFIX = FLOOD_PREFIX;

export function floodNumber(text: string): number | undefined {
  if (!text.startsWith(FLOOD_PREFIX)) return undefined;
  const digits = text.slice(FLOOD_PREFIX.length);
  return /^(0|[1-9]\d{0,9})$/.test(digits) ? Number(digits) : undefined;
}

export interface FloodRun {
  requests: number;
  concurrency: number;
  seconds: number;
  /** Rate-limit windows the flood touched (the local limiter forgets its counts at each new window). */
  windows: number;
  statuses: Record<string, number>;
  accepted: number[];
  refused: number[];
  other: number;
  /** Connection errors (no answer at all). */
  errors: number;
  unanswered: number[];
  withoutMeter: number;
  rowsWritten: { total: number; accepted: number; refused: number };
  d1Calls: { accepted: number; refused: number };
}

export interface FloodStored {
  rows: number;
  /** Accepted requests without a row. */
  lost: number;
  /** Refused requests with a row. */
  storedRefused: number;
  /** Rows of requests that got no answer. */
  storedUnanswered: number;
}

export interface FloodReport {
  run: FloodRun;
  stored: FloodStored;
  ipLimit: { limit: number; periodSeconds: number };
  checks: Check[];
}

let abortFlood: AbortController | undefined;

/** Ctrl-C: stop the flood in progress. */
export function stopFlood(): void {
  abortFlood?.abort();
}

export async function runFlood(options: {
  url: string;
  requests: number;
  concurrency: number;
  runId: string;
  ipLimit: { limit: number; periodSeconds: number };
  progress: (line: string) => void;
}): Promise<FloodRun> {
  const { requests, runId } = options;
  // A flood of a few seconds fits in one window unless it starts at the end of one.
  await fitInOneWindow(20, options.ipLimit.periodSeconds, options.progress);
  const controller = new AbortController();
  abortFlood = controller;
  const statuses: Record<string, number> = {};
  const accepted: number[] = [];
  const refused: number[] = [];
  const unanswered: number[] = [];
  let other = 0;
  let errors = 0;
  let withoutMeter = 0;
  const rowsWritten = { total: 0, accepted: 0, refused: 0 };
  const d1Calls = { accepted: 0, refused: 0 };
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < requests && !controller.signal.aborted) {
      const n = next++;
      const sender = { user_id: `bench-flood-${runId}-${n}`, username: `flood${n}`, user_link: `https://flood-${n}.example/feed.xml` };
      try {
        // No signal per fetch: undici keeps one abort listener per request on a shared signal (a
        // warning after 1,500); Ctrl-C stops the loop here and the process exits with what is in flight.
        const answer = await postMetered(`${options.url}/api/message`, { body: JSON.stringify({ ...sender, message: floodText(n), date: MESSAGE_DATE }) });
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (!answer.meter) withoutMeter++;
        const rows = answer.meter?.rowsWritten ?? 0;
        const calls = answer.meter?.calls ?? 0;
        rowsWritten.total += rows;
        if (answer.status === 201) {
          accepted.push(n);
          rowsWritten.accepted += rows;
          d1Calls.accepted += calls;
        } else {
          if (answer.status === 429) refused.push(n);
          else other++;
          rowsWritten.refused += rows;
          d1Calls.refused += calls;
        }
      } catch {
        errors++;
        unanswered.push(n);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, requests)) }, worker));
  abortFlood = undefined;
  if (controller.signal.aborted) throw new Error("the flood was stopped");
  const ended = Date.now();
  return {
    requests,
    concurrency: Math.min(options.concurrency, requests),
    seconds: (ended - started) / 1000,
    windows: windowOf(ended, options.ipLimit.periodSeconds) - windowOf(started, options.ipLimit.periodSeconds) + 1,
    statuses,
    accepted: accepted.sort((a, b) => a - b),
    refused: refused.sort((a, b) => a - b),
    other,
    errors,
    unanswered,
    withoutMeter,
    rowsWritten,
    d1Calls,
  };
}

/** The flood's rows in D1 (message texts), matched to the requests. */
export function matchStored(run: FloodRun, storedTexts: readonly string[]): FloodStored {
  const stored = new Set<number>();
  for (const text of storedTexts) {
    const n = floodNumber(text);
    if (n !== undefined) stored.add(n);
  }
  return {
    rows: storedTexts.length,
    lost: run.accepted.filter((n) => !stored.has(n)).length,
    storedRefused: run.refused.filter((n) => stored.has(n)).length,
    storedUnanswered: run.unanswered.filter((n) => stored.has(n)).length,
  };
}

export function floodChecks(run: FloodRun, stored: FloodStored, ipLimit: { limit: number; periodSeconds: number }): Check[] {
  const accepted = run.accepted.length;
  const unexpected = Object.entries(run.statuses).filter(([code]) => code !== "201" && code !== "429");
  return [
    {
      name: "every answer is 201 or 429 (no 5xx), every one metered",
      kind: "correctness",
      value:
        (unexpected.length ? unexpected.map(([code, count]) => `${int(count)} x ${code}`).join(", ") : "yes") +
        (run.errors ? `; ${int(run.errors)} without an answer` : "") +
        (run.withoutMeter ? `; ${int(run.withoutMeter)} without Server-Timing` : ""),
      pass: unexpected.length === 0 && run.errors === 0 && run.withoutMeter === 0,
    },
    {
      name: "refused requests wrote no rows (sum of their Server-Timing)",
      kind: "correctness",
      value: `${int(run.rowsWritten.refused)} rows, ${int(run.d1Calls.refused)} D1 calls over ${int(run.refused.length + run.other)} refusals`,
      pass: run.rowsWritten.refused === 0,
    },
    {
      name: "D1 holds exactly the accepted ones (every 201 a row, no refused request a row)",
      kind: "correctness",
      value: `${int(stored.rows)} rows for ${int(accepted)} x 201; ${int(stored.lost)} lost, ${int(stored.storedRefused)} refused but stored`,
      pass: stored.lost === 0 && stored.storedRefused === 0 && stored.rows === accepted + stored.storedUnanswered,
    },
    {
      name: `rows written == ${ROWS_PER_STRANGER_MESSAGE} x accepted (only the accepted ones write)`,
      kind: "target",
      value: `${int(run.rowsWritten.total)} == ${ROWS_PER_STRANGER_MESSAGE} x ${int(accepted)} = ${int(ROWS_PER_STRANGER_MESSAGE * accepted)}`,
      pass: run.rowsWritten.total === ROWS_PER_STRANGER_MESSAGE * accepted,
    },
    {
      name: `the client network's limit held (<= ${ipLimit.limit} accepted per ${ipLimit.periodSeconds}-second window)`,
      kind: "target",
      value: `${int(accepted)} accepted in ${run.windows} window${run.windows === 1 ? "" : "s"}`,
      pass: accepted <= ipLimit.limit * run.windows,
    },
  ];
}

export function renderFlood(report: FloodReport): string {
  const { run, stored, ipLimit } = report;
  const accepted = run.accepted.length;
  const refused = run.refused.length + run.other;
  const [oldAcceptedMin, oldAcceptedMax] = OLD_DESIGN.acceptedRows;
  const [oldRefusedMin, oldRefusedMax] = OLD_DESIGN.refusedRows;
  const oldMin = accepted * oldAcceptedMin + refused * oldRefusedMin;
  const oldMax = accepted * oldAcceptedMax + refused * oldRefusedMax;
  const perRequestNow = run.requests > 0 ? run.rowsWritten.total / run.requests : Number.NaN;
  const tableRows = [
    ["", "requests", "rows written (Server-Timing)", "D1 calls", "rows in D1 after"],
    ["accepted (201)", int(accepted), int(run.rowsWritten.accepted), int(run.d1Calls.accepted), int(stored.rows)],
    [`refused (429${run.other ? ", other" : ""})`, int(refused), int(run.rowsWritten.refused), int(run.d1Calls.refused), String(stored.storedRefused)],
    ["total", int(run.requests), int(run.rowsWritten.total), int(run.d1Calls.accepted + run.d1Calls.refused), ""],
    [
      "old design (issue #7, not measured)",
      int(run.requests),
      `${int(oldMin)}-${int(oldMax)}`,
      "",
      `${oldAcceptedMin}-${oldAcceptedMax} per accepted, ${oldRefusedMin}-${oldRefusedMax} per refused`,
    ],
  ];
  // How far one client network gets at the limit, all day: accepted messages still write.
  const acceptedPerDayAtLimit = Math.min((ipLimit.limit * 24 * 3600) / ipLimit.periodSeconds, DEFAULT_DAILY_CAP);
  const perDayAtLimit = acceptedPerDayAtLimit * ROWS_PER_STRANGER_MESSAGE;
  return [
    `4. Flood: ${int(run.requests)} POST /api/message from one client, every one a new sender and text; ${run.concurrency} at a time, ` +
      `${fixed(run.seconds, 1)} s, ${run.windows} rate-limit window${run.windows === 1 ? "" : "s"} of ${ipLimit.periodSeconds} s`,
    "",
    renderColumns(tableRows, new Set([1, 2, 3])),
    "",
    `  now: ${fixed(perRequestNow, 3)} rows per request of the flood; at 0 rows per refusal, a flood of refused requests never reaches the free plan's ` +
      `${int(FREE_ROWS_PER_DAY)} rows a day (before: about ${int(FREE_ROWS_PER_DAY / oldRefusedMax)}-${int(FREE_ROWS_PER_DAY / oldRefusedMin)} refused requests did).`,
    `  still: one client network kept at its limit all day would get ${int((ipLimit.limit * 24 * 3600) / ipLimit.periodSeconds)} messages accepted; the daily cap on strangers ` +
      `(INBOX_DAILY_CAP, ${int(DEFAULT_DAILY_CAP)} by default) stores ${int(acceptedPerDayAtLimit)} = ${int(perDayAtLimit)} rows, ${fixed((perDayAtLimit / FREE_ROWS_PER_DAY) * 100, 0)} % of the daily rows.`,
    "",
    ...renderChecks(report.checks),
  ].join("\n");
}
