/**
 * npm run validate -- <feed URL or path> [--json] [--max-pages N]
 *
 * Checks any Open Microblog 0.5 feed -- ours or anyone's -- against the spec: every page of its
 * next_node chain and the follows / blocks lists it links, each problem with its page, line and the
 * spec section (lib/validate/). A path reads a local build: `npm run validate -- _site` checks the
 * whole chain from disk, following the public URLs of its pages into the folder.
 *
 * Exit 1 when there is an error, 0 otherwise (warnings and notes do not fail). Fetches go through the
 * same guard, caps and budget as everything that reads strangers' feeds.
 */
import { existsSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { oneLine, terminalSafeJson } from "../lib/cli/output.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { Budget } from "../lib/shared/budget.ts";
import { plural } from "../lib/shared/words.ts";
import { createPageLoader, type ReadFile } from "../lib/validate/page-loader.ts";
import type { Problem } from "../lib/validate/problems.ts";
import { type ValidationReport, validateFeed } from "../lib/validate/validate-feed.ts";

export const USAGE = `Usage: npm run validate -- <feed URL or path> [--json] [--max-pages N]

  Checks an Open Microblog feed against the 0.5 spec: every page of its next_node chain, then its
  follows and blocks lists (a list feed given itself is checked with the list layout's rules).
  Prints each problem with its page, line and spec section.
  A path may be a feed file or a build folder (_site means _site/feed.xml).

  --json          the whole report as JSON
  --max-pages N   pages read per chain at most (default ${10_000})

  Exit status: 1 when there is an error, 0 otherwise (warnings and notes do not fail).`;

/** Bigger than any page the spec allows (500 KB), so an oversized page is reported, not refused. */
export const VALIDATE_LIMITS = { maxPageBytes: 8 * 1024 * 1024, timeoutMs: 30_000, maxRedirects: 5, maxPages: 10_000 } as const;

/** Read at most `maxBytes` of a local file, without loading a bigger one. */
export const readLocalFile: ReadFile = async (fileUrl, maxBytes) => {
  const file = fileURLToPath(fileUrl);
  if (!existsSync(file) || !statSync(file).isFile()) return "missing";
  if (statSync(file).size > maxBytes) return "too-large";
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0);
    return bytesRead > maxBytes ? "too-large" : new Uint8Array(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
};

/** The start as a URL: http(s) as given; a path as a file: URL (a folder means its feed.xml). */
export function startUrl(argument: string, cwd: string): { url: string; local: boolean } {
  if (/^https?:\/\//i.test(argument)) {
    try {
      return { url: new URL(argument).href, local: false };
    } catch {
      throw new UsageError(`not a URL: ${argument}`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(argument)) throw new UsageError(`only http(s) URLs and local paths can be read, not ${argument}`);
  let file = path.resolve(cwd, argument);
  if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "feed.xml");
  if (!existsSync(file)) throw new CliError(`${argument}: no such file`);
  return { url: pathToFileURL(file).href, local: true };
}

export function isLoopbackUrl(url: string): boolean {
  try {
    return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

export function relativeLabel(cwd: string): (fileUrl: string) => string {
  return (fileUrl) => {
    const relative = path.relative(cwd, fileURLToPath(fileUrl));
    return relative.startsWith("..") ? fileURLToPath(fileUrl) : relative;
  };
}

function problemLine(problem: Problem): string {
  const where = `${problem.page}${problem.line ? `:${problem.line}:${problem.column ?? 1}` : ""}`;
  return `${problem.severity.padEnd(7)} ${oneLine(where)}  ${oneLine(problem.message)}  [${problem.section}]`;
}

export function reportLines(report: ValidationReport): string[] {
  const lines = report.problems.map(problemLine);
  const byKind = (kind: string) => report.pages.filter((page) => page.label && page.kind === kind);
  const feedPages = byKind("main");
  const items = feedPages.reduce((n, page) => n + page.items, 0);
  const listPages = byKind("list");
  const { error, warning, note } = report.counts;
  const found = `${plural(error, "error")}, ${plural(warning, "warning")}, ${plural(note, "note")}`;
  if (lines.length) lines.push("");
  if (report.layout === "list") {
    const entries = listPages.reduce((n, page) => n + page.items, 0);
    lines.push(
      `A follows or blocks list feed, checked with the list layout's rules (spec "Alternate Feed Layout"): ${plural(listPages.length, "list page")} (${plural(entries, "entry", "entries")}): ${found}.`,
    );
  } else {
    lines.push(`Checked ${plural(feedPages.length, "feed page")} (${plural(items, "item")}) and ${plural(listPages.length, "list page")}: ${found}.`);
  }
  lines.push(report.valid ? "Valid Open Microblog 0.5 (no errors)." : "Not valid: fix the errors above.");
  return lines;
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: "boolean", default: false },
    "max-pages": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `unexpected ${JSON.stringify(positionals[1])}` : "give a feed URL or path");
  const maxPages = values["max-pages"] === undefined ? VALIDATE_LIMITS.maxPages : Number(values["max-pages"]);
  if (!Number.isInteger(maxPages) || maxPages < 1) throw new UsageError(`--max-pages must be a positive integer, got ${values["max-pages"]}`);
  const cwd = process.cwd();
  const start = startUrl(positionals[0]!, cwd);
  const loader = createPageLoader({
    fetch,
    readFile: start.local ? readLocalFile : undefined,
    allowLoopback: start.local || isLoopbackUrl(start.url),
    budget: new Budget({ subrequests: maxPages * 3 * 4, bytes: 4 * 1024 * 1024 * 1024, durationMs: 60 * 60_000 }, Date.now),
    maxPageBytes: VALIDATE_LIMITS.maxPageBytes,
    timeoutMs: VALIDATE_LIMITS.timeoutMs,
    maxRedirects: VALIDATE_LIMITS.maxRedirects,
    fileLabel: relativeLabel(cwd),
  });
  const progress = process.stderr.isTTY && !values.json ? (line: string) => process.stderr.write(`validate: ${oneLine(line)}\n`) : undefined;
  const report = await validateFeed(start.url, { loader, maxPages, ...(progress ? { onProgress: progress } : {}) });
  console.log(values.json ? terminalSafeJson(report) : reportLines(report).join("\n"));
  if (!report.valid) process.exitCode = 1;
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run validate", USAGE, main);
