/**
 * Medians, ratios, targets and the printed tables of `npm run bench:inbox`.
 *
 * On a shared, noisy machine only the ratio to the bare route measured in the same run means
 * something: the rounds alternate (bare, insert, inbox, bare, insert, inbox, ...) so all routes see
 * the same load, and the medians over rounds drop a round disturbed by other work.
 *
 * The targets compare the inbox with the bare route only. The one-D1-insert route is a
 * reference beside them, never a target: "one D1 insert / bare" is what any route that writes to the
 * local D1 gets, and "inbox / one D1 insert" is what the inbox's own work costs on top of that.
 */
import type { BundleSize } from "./bundle.ts";
import { ROUTE_LABELS, ROUTES, type RouteName, type RunStats } from "./load.ts";
import type { LostCheck } from "./lost-check.ts";

/** Targets of issue 3. Bundle sizes in KiB (1,024 bytes), as wrangler prints them. */
export const TARGETS = {
  minThroughputRatio: 0.5,
  maxP99Ratio: 3,
  maxBundleBytes: 50 * 1024,
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
  /** route / baseline, of the medians (e.g. inbox / bare). */
  throughput: number;
  p99: number;
  /** The same ratio per round (each run of the route against the baseline's run of the same round). */
  perRound: Array<{ round: number; throughput: number; p99: number }>;
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
    throughput: ratio(measured.requestsPerSecond, baseline.requestsPerSecond),
    p99: ratio(measured.p99Ms, baseline.p99Ms),
    perRound,
  };
}

export interface TargetResult {
  name: string;
  /** Correctness failures make the script exit non-zero; performance misses are only reported. */
  kind: "performance" | "correctness";
  value: string;
  pass: boolean;
}

export function checkTargets(input: { ratios: Ratios; bundles: readonly BundleSize[]; lost: LostCheck; runs: readonly RunStats[] }): TargetResult[] {
  const { ratios, bundles, lost, runs } = input;
  const results: TargetResult[] = [
    {
      name: `throughput >= ${TARGETS.minThroughputRatio}x the bare route`,
      kind: "performance",
      value: `${times(ratios.throughput)} (per round: ${ratios.perRound.map((r) => times(r.throughput)).join(", ")})`,
      pass: ratios.throughput >= TARGETS.minThroughputRatio,
    },
    {
      name: `p99 latency <= ${TARGETS.maxP99Ratio}x the bare route`,
      kind: "performance",
      value: `${times(ratios.p99)} (per round: ${ratios.perRound.map((r) => times(r.p99)).join(", ")})`,
      pass: ratios.p99 <= TARGETS.maxP99Ratio,
    },
  ];
  for (const bundle of bundles) {
    results.push({
      name: `${bundle.name} bundle <= ${kib(TARGETS.maxBundleBytes)} KiB minified`,
      kind: "performance",
      value: `${kib(bundle.bytes)} KiB (${int(bundle.bytes)} bytes; gzip ${kib(bundle.gzipBytes)} KiB)`,
      pass: bundle.bytes <= TARGETS.maxBundleBytes,
    });
  }
  const unanswered = lost.storedUnanswered ? `; +${int(lost.storedUnanswered)} rows for requests cut off before their answer was read` : "";
  results.push({
    name: "0 lost: every 201 is a row in D1",
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
export function checkReference(insertLost: LostCheck): TargetResult[] {
  const unanswered = insertLost.storedUnanswered ? `; +${int(insertLost.storedUnanswered)} rows for requests cut off before their answer was read` : "";
  return [
    {
      name: `${ROUTE_LABELS.insert}: every 201 is a row in bench_reference`,
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

// ---- formatting ----

const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a");
const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "n/a";
const times = (value: number) => (Number.isFinite(value) ? `${fixed(value, 2)}x` : "n/a");
const kib = (bytes: number) => fixed(bytes / 1024, 1);

function renderColumns(rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export interface RenderInput {
  url: string;
  connections: number;
  durationSeconds: number;
  runs: readonly RunStats[];
  bare: RouteSummary;
  insert: RouteSummary;
  inbox: RouteSummary;
  /** inbox / bare: the ratios. */
  ratios: Ratios;
  /** one D1 insert / bare and inbox / one D1 insert: the reference, informational. */
  insertVsBare: Ratios;
  inboxVsInsert: Ratios;
  bundles: readonly BundleSize[];
  lost: LostCheck;
  insertLost: LostCheck;
  ownerApiTotal: number | undefined;
  targets: readonly TargetResult[];
  referenceChecks: readonly TargetResult[];
}

const status = (t: TargetResult) => (t.pass ? "PASS" : t.kind === "correctness" ? "FAIL" : "MISS");

/** "the share of bare's throughput a route loses", e.g. 0.25x -> 75 %. */
const gap = (throughputRatio: number) => (Number.isFinite(throughputRatio) ? `${fixed((1 - throughputRatio) * 100, 0)} %` : "n/a");

export function renderReport(input: RenderInput): string {
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
  for (const summary of summaries) {
    const t = summary.totals;
    rows.push([
      `${ROUTE_LABELS[summary.route]} total of ${summary.rounds}`,
      "",
      "",
      "",
      "",
      "",
      int(t.created),
      int(t.non2xx),
      int(t.status5xx),
      int(t.errors),
      int(t.timeouts),
    ]);
  }
  const ratioRow = (r: Ratios, note: string) => [
    `${ROUTE_LABELS[r.route]} / ${ROUTE_LABELS[r.baseline]}`,
    times(r.throughput),
    times(r.p99),
    r.perRound.map((p) => `#${p.round} ${times(p.throughput)} / ${times(p.p99)}`).join(", "),
    note,
  ];
  const lines = [
    `Inbox load benchmark: wrangler pages dev on ${input.url}, ${input.connections} connections, ${input.durationSeconds} s per run, rounds interleaved bare/insert/inbox`,
    `  bare = Hono route returning 201; one D1 insert = the same plus one INSERT of the body into the local D1; inbox = POST ${ROUTES.inbox}`,
    "",
    renderColumns(rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
    "",
    renderColumns(
      [
        ["ratio of medians", "throughput", "p99", "per round (throughput / p99)", ""],
        ratioRow(ratios, "issue target"),
        ratioRow(insertVsBare, "reference (info)"),
        ratioRow(inboxVsInsert, "reference (info)"),
      ],
      new Set([1, 2]),
    ),
    "",
    `info: a route doing one D1 insert and nothing else loses ${gap(insertVsBare.throughput)} of the bare route's throughput ` +
      `(${times(insertVsBare.throughput)}, p99 ${times(insertVsBare.p99)}); the inbox loses ${gap(ratios.throughput)} (${times(ratios.throughput)}, p99 ${times(ratios.p99)}) ` +
      `and runs at ${times(inboxVsInsert.throughput)} of the one-insert route's throughput (p99 ${times(inboxVsInsert.p99)}). ` +
      `The one-insert route's loss is what any route that writes to the local D1 pays here, before any inbox code.`,
    "",
    renderColumns(
      [["bundle", "bytes", "KiB", "gzip KiB", "command"], ...input.bundles.map((b) => [b.name, int(b.bytes), kib(b.bytes), kib(b.gzipBytes), b.command])],
      new Set([1, 2, 3]),
    ),
    "",
    `stored rows (D1 messages): ${int(input.lost.storedRows)}; owner API messages.total: ${input.ownerApiTotal === undefined ? "n/a" : int(input.ownerApiTotal)}; ` +
      `inbox requests sent ${int(input.lost.sent)} (warm-up included), 201s read ${int(input.lost.created)}, ` +
      `no answer read ${int(input.lost.unanswered)} (of which stored ${int(input.lost.storedUnanswered)})`,
    `stored rows (D1 bench_reference): ${int(input.insertLost.storedRows)}; ` +
      `one D1 insert requests sent ${int(input.insertLost.sent)} (warm-up included), 201s read ${int(input.insertLost.created)}, ` +
      `no answer read ${int(input.insertLost.unanswered)} (of which stored ${int(input.insertLost.storedUnanswered)})`,
    "",
    "targets",
    ...input.targets.map((t) => `  ${status(t)}  ${t.name}: ${t.value}`),
    "",
    "reference route check (not an issue target)",
    ...input.referenceChecks.map((t) => `  ${status(t)}  ${t.name}: ${t.value}`),
  ];
  return lines.join("\n");
}
