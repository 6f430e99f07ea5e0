/**
 * The load phase's medians, ratios, verdicts and table (section 2 of `npm run bench:inbox`).
 *
 * On a shared, noisy machine only the ratio to the bare route measured in the same run means
 * something: the rounds alternate (bare, insert, inbox, bare, insert, inbox, ...) so the routes of one
 * round see about the same load, each round gives its own ratio, and the verdict takes the median of
 * the rounds' ratios, which drops a round disturbed by other work. The ratio of the routes' medians is
 * printed beside it: it pairs runs from different rounds, so other work on the machine moves it more.
 *
 * The targets compare the inbox with the bare route only. The one-D1-insert route is a
 * reference beside them, never a target: "one D1 insert / bare" is what any route that writes to the
 * local D1 gets, and "inbox / one D1 insert" is what the inbox's own work costs on top of that.
 */
import { type Check, fixed, int, renderChecks, renderColumns, times } from "./format.ts";
import { ROUTE_LABELS, ROUTES, type RouteName, type RunStats } from "./load.ts";
import type { LostCheck } from "./lost-check.ts";

/** Targets of the inbox's load (issue #3, kept by issue #7): ratios against the bare route. */
export const TARGETS = {
  minThroughputRatio: 0.5,
  maxP99Ratio: 3,
} as const;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export interface RouteSummary {
  route: RouteName;
  rounds: number;
  /** Medians over the measured rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Sums over the measured rounds. */
  totals: { completed: number; created: number; non2xx: number; status5xx: number; errors: number; timeouts: number };
}

export function summarizeRoute(route: RouteName, runs: readonly RunStats[]): RouteSummary {
  const mine = runs.filter((run) => run.route === route);
  const sum = (pick: (run: RunStats) => number) => mine.reduce((total, run) => total + pick(run), 0);
  return {
    route,
    rounds: mine.length,
    requestsPerSecond: median(mine.map((run) => run.requestsPerSecond)),
    p50Ms: median(mine.map((run) => run.p50Ms)),
    p99Ms: median(mine.map((run) => run.p99Ms)),
    non2xx: median(mine.map((run) => run.non2xx)),
    errors: median(mine.map((run) => run.errors)),
    totals: {
      completed: sum((run) => run.completed),
      created: sum((run) => run.created),
      non2xx: sum((run) => run.non2xx),
      status5xx: sum((run) => run.status5xx),
      errors: sum((run) => run.errors),
      timeouts: sum((run) => run.timeouts),
    },
  };
}

export interface Ratios {
  /** The route measured (numerator) and the one it is compared with (denominator). */
  route: RouteName;
  baseline: RouteName;
  /** route / baseline (e.g. inbox / bare): the median of the per-round ratios. */
  throughput: number;
  p99: number;
  /** Each run of the route against the baseline's run of the same round. */
  perRound: Array<{ round: number; throughput: number; p99: number }>;
  /** The route's median over the baseline's median (information). */
  ofMedians: { throughput: number; p99: number };
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

/** `measured` against `baseline`: computeRatios(runs, bare, inbox) is the inbox / bare. */
export function computeRatios(runs: readonly RunStats[], baseline: RouteSummary, measured: RouteSummary): Ratios {
  const perRound: Ratios["perRound"] = [];
  for (const run of runs) {
    if (run.route !== measured.route) continue;
    const base = runs.find((other) => other.route === baseline.route && other.round === run.round);
    if (base) perRound.push({ round: run.round, throughput: ratio(run.requestsPerSecond, base.requestsPerSecond), p99: ratio(run.p99Ms, base.p99Ms) });
  }
  return {
    route: measured.route,
    baseline: baseline.route,
    throughput: median(perRound.map((r) => r.throughput)),
    p99: median(perRound.map((r) => r.p99)),
    perRound,
    ofMedians: { throughput: ratio(measured.requestsPerSecond, baseline.requestsPerSecond), p99: ratio(measured.p99Ms, baseline.p99Ms) },
  };
}

export function checkTargets(input: { ratios: Ratios; lost: LostCheck; runs: readonly RunStats[] }): Check[] {
  const { ratios, lost, runs } = input;
  const results: Check[] = [
    {
      name: `inbox throughput >= ${TARGETS.minThroughputRatio}x the bare route`,
      kind: "target",
      value: `${times(ratios.throughput)} (median of the rounds; per round: ${ratios.perRound.map((r) => times(r.throughput)).join(", ")}; ratio of the medians ${times(ratios.ofMedians.throughput)})`,
      pass: ratios.throughput >= TARGETS.minThroughputRatio,
    },
    {
      name: `inbox p99 latency <= ${TARGETS.maxP99Ratio}x the bare route`,
      kind: "target",
      value: `${times(ratios.p99)} (median of the rounds; per round: ${ratios.perRound.map((r) => times(r.p99)).join(", ")}; ratio of the medians ${times(ratios.ofMedians.p99)})`,
      pass: ratios.p99 <= TARGETS.maxP99Ratio,
    },
  ];
  const unanswered = lost.storedUnanswered ? `; +${int(lost.storedUnanswered)} rows for requests cut off before their answer was read` : "";
  results.push({
    name: "0 lost: every 201 of the inbox is a row in D1",
    kind: "correctness",
    value:
      `${int(lost.lost)} lost; ${int(lost.created)} x 201, ${int(lost.storedRows)} rows${unanswered}` +
      (lost.foreignRows ? `; ${int(lost.foreignRows)} rows this run never sent` : "") +
      (lost.storedOtherStatus ? `; ${int(lost.storedOtherStatus)} rows for requests answered other than 201` : "") +
      (lost.lostExamples.length ? `; e.g. message #${lost.lostExamples.join(", #")}` : ""),
    pass: lost.ok,
  });
  const status5xx = runs.reduce((sum, run) => sum + run.status5xx, 0);
  results.push({ name: "no 5xx responses", kind: "correctness", value: `${int(status5xx)}`, pass: status5xx === 0 });
  // A 4xx means the benchmark measured rejections (a bad body, a rate limit), not the inbox's work.
  const other = statusesOtherThan201(runs);
  results.push({
    name: "every response is 201 (the runs measured what they claim)",
    kind: "correctness",
    value: other.length ? other.map(([code, count]) => `${int(count)} x ${code}`).join(", ") : "yes",
    pass: other.length === 0,
  });
  return results;
}

/**
 * Not an issue target: the reference route's 201s must be rows in its own table, or its figures
 * would be those of failed writes. A failure here is a correctness failure (exit 1) like a lost
 * inbox message.
 */
export function checkReference(insertLost: LostCheck): Check[] {
  const unanswered = insertLost.storedUnanswered ? `; +${int(insertLost.storedUnanswered)} rows for requests cut off before their answer was read` : "";
  return [
    {
      name: `${ROUTE_LABELS.insert}: every 201 is a row in bench_reference (reference check, not an issue target)`,
      kind: "correctness",
      value:
        `${int(insertLost.lost)} lost; ${int(insertLost.created)} x 201, ${int(insertLost.storedRows)} rows${unanswered}` +
        (insertLost.foreignRows ? `; ${int(insertLost.foreignRows)} rows this run never sent` : "") +
        (insertLost.storedOtherStatus ? `; ${int(insertLost.storedOtherStatus)} rows for requests answered other than 201` : "") +
        (insertLost.lostExamples.length ? `; e.g. request #${insertLost.lostExamples.join(", #")}` : ""),
      pass: insertLost.ok,
    },
  ];
}

function statusesOtherThan201(runs: readonly RunStats[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const run of runs) {
    for (const [code, count] of Object.entries(run.statuses))
      if (code !== "201") counts.set(`${run.route} ${code}`, (counts.get(`${run.route} ${code}`) ?? 0) + count);
  }
  return [...counts.entries()].sort();
}

export interface LoadReport {
  url: string;
  connections: number;
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** The limit the copy's Rate Limiting bindings were raised to for this phase. */
  raisedLimit: number;
  runs: RunStats[];
  warmups: RunStats[];
  bare: RouteSummary;
  insert: RouteSummary;
  inbox: RouteSummary;
  /** inbox / bare: the ratios. */
  ratios: Ratios;
  /** one D1 insert / bare and inbox / one D1 insert: the reference, informational. */
  insertVsBare: Ratios;
  inboxVsInsert: Ratios;
  lost: LostCheck;
  insertLost: LostCheck;
  ownerApiTotal: number | undefined;
  checks: Check[];
}

/** "the share of bare's throughput a route loses", e.g. 0.25x -> 75 %. */
const gap = (throughputRatio: number) => (Number.isFinite(throughputRatio) ? `${fixed((1 - throughputRatio) * 100, 0)} %` : "n/a");

export function renderLoad(input: LoadReport): string {
  const { runs, bare, insert, inbox, ratios, insertVsBare, inboxVsInsert } = input;
  const summaries = [bare, insert, inbox];
  const header = ["route", "round", "req/s", "p50 ms", "p99 ms", "max ms", "201s", "non-2xx", "5xx", "errors", "timeouts"];
  const rows: string[][] = [header];
  for (const run of runs) {
    rows.push([
      `${ROUTE_LABELS[run.route]} POST ${ROUTES[run.route]}`,
      String(run.round),
      fixed(run.requestsPerSecond, 0),
      int(run.p50Ms),
      int(run.p99Ms),
      int(run.maxMs),
      int(run.created),
      int(run.non2xx),
      int(run.status5xx),
      int(run.errors),
      int(run.timeouts),
    ]);
  }
  for (const summary of summaries) {
    rows.push([
      `${ROUTE_LABELS[summary.route]} median of ${summary.rounds}`,
      "",
      fixed(summary.requestsPerSecond, 0),
      int(summary.p50Ms),
      int(summary.p99Ms),
      "",
      "",
      int(summary.non2xx),
      "",
      int(summary.errors),
      "",
    ]);
  }
  const ratioRow = (r: Ratios, note: string) => [
    `${ROUTE_LABELS[r.route]} / ${ROUTE_LABELS[r.baseline]}`,
    times(r.throughput),
    times(r.p99),
    r.perRound.map((p) => `#${p.round} ${times(p.throughput)} / ${times(p.p99)}`).join(", "),
    `${times(r.ofMedians.throughput)} / ${times(r.ofMedians.p99)}`,
    note,
  ];
  const lines = [
    `2. Load: wrangler dev on ${input.url}, ${input.connections} connections, ${input.durationSeconds} s per run, ${input.rounds} round${input.rounds === 1 ? "" : "s"} interleaved ` +
      `bare/insert/inbox after ${input.warmupSeconds} s of warm-up per route; rate limits raised to ${int(input.raisedLimit)}/period (one client address)`,
    `  all three in ONE Worker (the copy's functions/bench-entry.ts): bare = 201 before the real Worker; one D1 insert = one INSERT of the body, then 201;` +
      ` inbox = POST ${ROUTES.inbox} through the real Worker`,
    "",
    renderColumns(rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
    "",
    renderColumns(
      [
        ["ratio (median of the rounds)", "throughput", "p99", "per round (throughput / p99)", "of the medians", ""],
        ratioRow(ratios, `target: throughput >= ${TARGETS.minThroughputRatio}x, p99 <= ${TARGETS.maxP99Ratio}x`),
        ratioRow(insertVsBare, "reference (info)"),
        ratioRow(inboxVsInsert, "the inbox's own work (info)"),
      ],
      new Set([1, 2]),
    ),
    "",
    `  a route doing one D1 insert and nothing else loses ${gap(insertVsBare.throughput)} of the bare route's throughput; the inbox loses ${gap(ratios.throughput)}` +
      ` and runs at ${times(inboxVsInsert.throughput)} of the one-insert route's throughput (p99 ${times(inboxVsInsert.p99)}).`,
    `  D1 messages rows: ${int(input.lost.storedRows)}; owner API messages.total: ${input.ownerApiTotal === undefined ? "n/a" : int(input.ownerApiTotal)}; ` +
      `inbox requests sent ${int(input.lost.sent)} (warm-up included), 201s read ${int(input.lost.created)}, ` +
      `no answer read ${int(input.lost.unanswered)} (of which stored ${int(input.lost.storedUnanswered)})`,
    `  D1 bench_reference rows: ${int(input.insertLost.storedRows)}; one D1 insert requests sent ${int(input.insertLost.sent)}, ` +
      `201s read ${int(input.insertLost.created)}, no answer read ${int(input.insertLost.unanswered)} (of which stored ${int(input.insertLost.storedUnanswered)})`,
    "",
    ...renderChecks(input.checks),
  ];
  return lines.join("\n");
}
