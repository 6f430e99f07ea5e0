/**
 * Turning measured runs into what `npm run bench` prints: medians, the ours/baseline ratio, the
 * table, the append-check lines and the pass/fail targets of issue 2.
 */
import type { AppendResult } from "./append-check.ts";
import type { RunMeasurement } from "./measure.ts";

/** Issue 2's targets. */
export const TARGETS = {
  /** Skein's median wall time over the baseline's, measured in the same run. */
  maxRatio: 1.15,
  /** Peak RSS of the 50,000-post build; 1 GB read as 10^9 bytes (stricter than 1 GiB). */
  maxPeakRssBytes: 1e9,
  peakRssPosts: 50_000,
  /**
   * Appending one post may add or change this many files at most, and no archive page: its page, the
   * RSS and Atom head pages and the home page, and when the head pages are full a new archive page of
   * each feed and of the older-post pages.
   */
  maxAppendFiles: 8,
  /** Issue 17: Skein's median wall time over Hugo's (same posts, same run), at 10,000 and 50,000 posts. */
  maxHugoRatio: 1.5,
  /** Issue 17: peak RSS at most Hugo's, at those sizes. */
  maxHugoMemoryRatio: 1,
  hugoSizes: [10_000, 50_000],
  /** Issue 17: appending one post costs at most this share of a full build. */
  maxAppendShare: 0.25,
} as const;

export const TOOLS = { ours: "skein", baseline: "eleventy (plain)", hugo: "hugo" } as const;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface ToolSummary {
  runs: RunMeasurement[];
  wallSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
  /** Highest peak RSS of any run (what the memory target is checked against). */
  maxPeakRssBytes: number;
  files: number;
  bytes: number;
  /** False when runs wrote different numbers of files or bytes: the output is not deterministic. */
  stableOutput: boolean;
}

export function summarize(runs: RunMeasurement[]): ToolSummary {
  const last = runs.at(-1);
  if (!last) throw new Error("no runs to summarize");
  return {
    runs,
    wallSeconds: median(runs.map((r) => r.wallSeconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
    maxPeakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
    files: last.files,
    bytes: last.bytes,
    stableOutput: runs.every((r) => r.files === last.files && r.bytes === last.bytes),
  };
}

export interface SizeResult {
  posts: number;
  repeat: number;
  ours: ToolSummary;
  baseline: ToolSummary;
  /** ours / baseline, medians. */
  wallRatio: number;
  cpuRatio: number;
  /** Hugo's runs (when hugo is installed) and ours / Hugo's: wall, CPU and peak RSS, medians. */
  hugo?: ToolSummary;
  hugoRatio?: number;
  hugoCpuRatio?: number;
  hugoMemoryRatio?: number;
}

export function compare(posts: number, ours: RunMeasurement[], baseline: RunMeasurement[], hugo: RunMeasurement[] = []): SizeResult {
  const o = summarize(ours);
  const b = summarize(baseline);
  const result: SizeResult = {
    posts,
    repeat: ours.length,
    ours: o,
    baseline: b,
    wallRatio: o.wallSeconds / b.wallSeconds,
    cpuRatio: o.cpuSeconds / b.cpuSeconds,
  };
  if (hugo.length) {
    const h = summarize(hugo);
    Object.assign(result, {
      hugo: h,
      hugoRatio: o.wallSeconds / h.wallSeconds,
      hugoCpuRatio: o.cpuSeconds / h.cpuSeconds,
      hugoMemoryRatio: o.maxPeakRssBytes / h.maxPeakRssBytes,
    });
  }
  return result;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

function table(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function renderTable(results: readonly SizeResult[]): string {
  const header = ["posts", "tool", "runs", "wall s", "cpu s", "posts/s", "peak RSS MB", "files", "MB written", "ratio", "cpu ratio", "vs hugo", "RSS vs hugo"];
  const rows: string[][] = [];
  for (const r of results) {
    const row = (tool: string, s: ToolSummary, ratio: string, cpuRatio: string, vsHugo = "", rssVsHugo = "") => [
      r.posts.toLocaleString("en-US"),
      tool,
      String(s.runs.length),
      s.wallSeconds.toFixed(2),
      s.cpuSeconds.toFixed(2),
      Math.round(r.posts / s.wallSeconds).toLocaleString("en-US"),
      mb(s.peakRssBytes),
      s.files.toLocaleString("en-US"),
      mb(s.bytes),
      ratio,
      cpuRatio,
      vsHugo,
      rssVsHugo,
    ];
    rows.push(row(TOOLS.ours, r.ours, r.wallRatio.toFixed(2), r.cpuRatio.toFixed(2), r.hugoRatio?.toFixed(2) ?? "-", r.hugoMemoryRatio?.toFixed(2) ?? "-"));
    rows.push(
      row(
        TOOLS.baseline,
        r.baseline,
        "1.00",
        "1.00",
        r.hugo ? (r.baseline.wallSeconds / r.hugo.wallSeconds).toFixed(2) : "-",
        r.hugo ? (r.baseline.maxPeakRssBytes / r.hugo.maxPeakRssBytes).toFixed(2) : "-",
      ),
    );
    if (r.hugo) rows.push(row(TOOLS.hugo, r.hugo, "", "", "1.00", "1.00"));
  }
  return table(header, rows, 2);
}

function listed(files: readonly string[], max = 12): string {
  if (files.length === 0) return "none";
  const shown = files.slice(0, max).join(", ");
  return files.length > max ? `${shown}, ... and ${files.length - max} more` : shown;
}

/** Files the append added, changed or removed (a removed file is a changed URL, so it counts too). */
export function appendFilesTouched(result: AppendResult): number {
  return result.added.length + result.changed.length + result.removed.length;
}

export function renderAppend(result: AppendResult): string {
  return [
    `Append one post to the ${result.posts.toLocaleString("en-US")}-post site (${result.appended}; rebuild ${result.rebuildSeconds.toFixed(2)} s):`,
    `  added   ${result.added.length}: ${listed(result.added)}`,
    `  changed ${result.changed.length}: ${listed(result.changed)}`,
    `  removed ${result.removed.length}: ${listed(result.removed)}`,
    `  archive pages changed or removed: ${listed(result.archivesChanged)}${result.archivesAdded.length ? `; archive pages added: ${listed(result.archivesAdded)}` : ""}`,
    `  functions/_generated/site-config.json (not site output): ${result.siteConfigChanged ? "changed" : "unchanged"}`,
    ...(result.fullSeconds !== undefined
      ? [
          `  incremental rebuild / full build (same run): ${(result.rebuildSeconds / result.fullSeconds).toFixed(2)} wall (${result.rebuildSeconds.toFixed(2)} s / ${result.fullSeconds.toFixed(2)} s)` +
            (result.rebuildCpuSeconds !== undefined && result.fullCpuSeconds
              ? `, ${(result.rebuildCpuSeconds / result.fullCpuSeconds).toFixed(2)} cpu (${result.rebuildCpuSeconds.toFixed(2)} s / ${result.fullCpuSeconds.toFixed(2)} s)`
              : ""),
        ]
      : []),
    ...(result.identical === undefined ? [] : [`  incremental output = a full build's, byte for byte: ${result.identical ? "yes" : "NO"}`]),
    ...(result.inPlaceSeconds !== undefined && result.fullSeconds !== undefined
      ? [
          `  in place (--sync, _site/ restored, as deploy.sh) / full build, medians of ${result.samples} of each taking turns: ${(result.inPlaceSeconds / result.fullSeconds).toFixed(2)} wall (${result.inPlaceSeconds.toFixed(2)} s / ${result.fullSeconds.toFixed(2)} s)` +
            (result.inPlaceCpuSeconds !== undefined && result.fullCpuSeconds
              ? `, ${(result.inPlaceCpuSeconds / result.fullCpuSeconds).toFixed(2)} cpu (${result.inPlaceCpuSeconds.toFixed(2)} s / ${result.fullCpuSeconds.toFixed(2)} s)`
              : ""),
          `  in-place output = a full build's, byte for byte: ${result.inPlaceIdentical ? "yes" : "NO"}`,
        ]
      : []),
  ].join("\n");
}

export interface TargetCheck {
  name: string;
  /** undefined: not measured in this run (e.g. no 50,000-post size). */
  pass: boolean | undefined;
  detail: string;
}

export function checkTargets(results: readonly SizeResult[], append: AppendResult | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const overRatio = results.filter((r) => r.wallRatio > TARGETS.maxRatio);
  checks.push({
    name: `ratio <= ${TARGETS.maxRatio} (median wall, skein / plain eleventy, every size)`,
    pass: results.length ? overRatio.length === 0 : undefined,
    detail:
      results.map((r) => `${r.posts.toLocaleString("en-US")}: ${r.wallRatio.toFixed(2)}${r.wallRatio > TARGETS.maxRatio ? " (over)" : ""}`).join(", ") ||
      "no sizes measured",
  });
  const big = results.find((r) => r.posts === TARGETS.peakRssPosts);
  checks.push({
    name: `${TARGETS.peakRssPosts.toLocaleString("en-US")} posts peak RSS < 1 GB`,
    pass: big ? big.ours.maxPeakRssBytes < TARGETS.maxPeakRssBytes : undefined,
    detail: big
      ? `${mb(big.ours.maxPeakRssBytes)} MB (highest of ${big.ours.runs.length} run${big.ours.runs.length === 1 ? "" : "s"})`
      : `not measured (add ${TARGETS.peakRssPosts} to --sizes)`,
  });
  checks.push({
    name: `append one post: <= ${TARGETS.maxAppendFiles} files added, changed or removed, no archive page changed`,
    pass: append ? appendFilesTouched(append) <= TARGETS.maxAppendFiles && append.archivesChanged.length === 0 : undefined,
    detail: append
      ? `${append.added.length} added, ${append.changed.length} changed, ${append.removed.length} removed; ${append.archivesChanged.length} archive page${append.archivesChanged.length === 1 ? "" : "s"} changed`
      : "not measured (--append 0)",
  });
  checks.push(...hugoTargets(results, append));
  return checks;
}

/** Issue 17's targets: Hugo's pace and memory at 10,000 and 50,000 posts; append at most a quarter of a full build. */
function hugoTargets(results: readonly SizeResult[], append: AppendResult | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const posts of TARGETS.hugoSizes) {
    const r = results.find((result) => result.posts === posts);
    const size = posts.toLocaleString("en-US");
    const why = !r ? `not measured (add ${posts} to --sizes)` : "hugo is not installed (apt-get install hugo)";
    checks.push({
      name: `${size} posts: wall <= ${TARGETS.maxHugoRatio}x hugo's (median, same run)`,
      pass: r?.hugoRatio === undefined ? undefined : r.hugoRatio <= TARGETS.maxHugoRatio,
      detail: r?.hugoRatio === undefined ? why : `${r.hugoRatio.toFixed(2)}x (cpu ${r.hugoCpuRatio!.toFixed(2)}x)`,
    });
    checks.push({
      name: `${size} posts: peak RSS <= hugo's`,
      pass: r?.hugoMemoryRatio === undefined ? undefined : r.hugoMemoryRatio <= TARGETS.maxHugoMemoryRatio,
      detail:
        r?.hugoMemoryRatio === undefined ? why : `${mb(r.ours.maxPeakRssBytes)} MB vs ${mb(r.hugo!.maxPeakRssBytes)} MB (${r.hugoMemoryRatio.toFixed(2)}x)`,
    });
  }
  // The deploy's path: in place into the restored _site/ (scripts/deploy.sh --sync) when measured.
  const share = append?.fullSeconds === undefined ? undefined : (append.inPlaceSeconds ?? append.rebuildSeconds) / append.fullSeconds;
  checks.push({
    name: `append one post: rebuild in place <= ${TARGETS.maxAppendShare} of a full build`,
    pass: share === undefined ? undefined : share <= TARGETS.maxAppendShare,
    detail: share === undefined ? "not measured (--append 0)" : `${share.toFixed(2)} of the full build`,
  });
  checks.push({
    name: "append one post: the incremental build's output is byte for byte a full build's",
    pass: append?.identical === undefined ? undefined : append.identical && append.inPlaceIdentical !== false,
    detail:
      append?.identical === undefined
        ? "not measured (--append 0)"
        : append.identical && append.inPlaceIdentical !== false
          ? "identical (rebuild and in place)"
          : "files differ",
  });
  return checks;
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  const verdict = (pass: boolean | undefined) => (pass === undefined ? "n/a " : pass ? "PASS" : "FAIL");
  return ["Targets:", ...checks.map((c) => `  ${verdict(c.pass)}  ${c.name}: ${c.detail}`)].join("\n");
}
