/**
 * Number formats, plain-text tables and the check lines shared by every part of `npm run bench:inbox`.
 */

/**
 * One line of the verdicts. A correctness check that fails makes the script exit 1 (lost rows, 5xx,
 * a refusal that wrote rows); a target that is missed is reported (MISS) and the exit code stays 0.
 */
export interface Check {
  name: string;
  kind: "correctness" | "target";
  value: string;
  pass: boolean;
}

export const verdict = (check: Check) => (check.pass ? "PASS" : check.kind === "correctness" ? "FAIL" : "MISS");

export function renderChecks(checks: readonly Check[]): string[] {
  return checks.map((check) => `  ${verdict(check)}  ${check.name}: ${check.value}`);
}

export const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a");
export const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "n/a";
export const times = (value: number) => (Number.isFinite(value) ? `${fixed(value, 2)}x` : "n/a");
export const kib = (bytes: number) => fixed(bytes / 1024, 1);

/** Columns padded to their widest cell; `rightAligned` holds the numeric columns' indexes. */
export function renderColumns(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
