/**
 * What the CLIs print: strangers' text made safe for a terminal (no control characters, no bidi
 * overrides that could make one line pose as another), readable fixed-width tables, and the same
 * safety for --json output.
 */

/** C0/C1 controls, DEL, bidi marks/embeddings/overrides/isolates, line and paragraph separators. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** Terminal-safe text on one line: unsafe characters become spaces, runs of space collapse. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, " ").replace(/\s+/g, " ").trim();
}

/**
 * JSON for --json: the same data, but every character a terminal would act on (C1 controls, bidi
 * overrides; JSON.stringify already escapes C0) written as a \uXXXX escape, so piping it to a
 * terminal is as safe as the table view and a JSON parser still reads the exact text.
 */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** What JSON.stringify leaves raw inside strings (it escapes C0 itself; C0 outside strings is JSON's own layout). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/** Cut to `width` code points, marking a cut with "…"; pad with spaces to `width`. */
export function fitWidth(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length > width) return `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
  return text + " ".repeat(width - chars.length);
}

/** "2026-03-01T12:00:30Z" -> "2026-03-01 12:00" (UTC, like the API). */
export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.replace("T", " ").slice(0, 16) : "-";
}

export interface Column<T> {
  header: string;
  /** Fixed width; the last column may be left without one to take the rest of the line. */
  width?: number;
  align?: "left" | "right";
  value(row: T): string;
}

/** A plain table: a header line, then one line per row, each cell made terminal-safe and fitted. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], lineWidth = 100): string[] {
  const fixed = columns.reduce((sum, column) => sum + (column.width ?? 0) + 2, 0);
  const widthOf = (column: Column<T>) => column.width ?? Math.max(10, lineWidth - fixed);
  const cell = (column: Column<T>, text: string) => {
    const width = widthOf(column);
    const fitted = fitWidth(oneLine(text), width);
    return column.align === "right" ? fitted.trimEnd().padStart(width) : fitted;
  };
  const line = (cells: string[]) => cells.join("  ").trimEnd();
  return [line(columns.map((column) => cell(column, column.header))), ...rows.map((row) => line(columns.map((column) => cell(column, column.value(row)))))];
}
