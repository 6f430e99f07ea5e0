/**
 * The size of what Cloudflare would run, and what it is made of: `wrangler deploy --dry-run --minify`
 * for wrangler.toml (site + API) and for wrangler.api-only.toml (the same Worker without assets),
 * bundled offline from a project copy that has no benchmark code in it yet, with esbuild's metafile
 * (`--metafile`) saying how many bytes of the minified output each input file contributed.
 *
 * The guard is the end-to-end tests' (lib/harness/bundle-guard.ts), imported so the two never
 * disagree; the benchmark reports against it, the test enforces it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { BUNDLE_LIMIT_BYTES } from "../../lib/harness/bundle-guard.ts";
import type { ProjectCopy } from "../../lib/harness/project-copy.ts";
import { type Check, int, kib, renderChecks, renderColumns } from "./format.ts";
import { mustSucceed, runTool, WRANGLER } from "./server.ts";

/** Issue #7: the Worker before the move (Pages Functions bundle), for context. */
export const BEFORE_MOVE_KIB = 66.5;

export interface BundleSize {
  config: string;
  command: string;
  /** Minified JavaScript (source maps and READMEs left out). */
  bytes: number;
  /** The same files gzipped (zlib's default level, as wrangler's "gzip:" figure). */
  gzipBytes: number;
  files: string[];
}

export interface BundlePart {
  /** A package (node_modules/<name>) or a folder of ours (lib/inbox, functions, ...). */
  group: string;
  bytes: number;
  files: number;
  /** The group's largest inputs, bytes in the minified output. */
  top: Array<{ input: string; bytes: number }>;
}

export interface BundleReport {
  sizes: BundleSize[];
  /** Of the wrangler.toml bundle (both configs bundle the same entry). */
  composition: BundlePart[];
  /** Output bytes esbuild attributes to no input (its runtime helpers, module glue). */
  unattributedBytes: number;
  guardBytes: number | undefined;
}

/** The e2e tests' guard (the repository argument is kept for the callers; the guard is one constant). */
export function readBundleGuard(_repoRoot: string): number | undefined {
  return BUNDLE_LIMIT_BYTES;
}

function javascriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((relative) => /\.(m?js|cjs)$/.test(relative) && statSync(path.join(dir, relative)).isFile())
    .map((relative) => path.join(dir, relative))
    .sort();
}

function measure(config: string, command: string, outDir: string): BundleSize {
  const files = javascriptFiles(outDir);
  if (files.length === 0) throw new Error(`${command} wrote no JavaScript into ${outDir}`);
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    const data = readFileSync(file);
    bytes += data.length;
    gzipBytes += gzipSync(data).length;
  }
  return { config, command, bytes, gzipBytes, files: files.map((file) => path.relative(outDir, file)) };
}

/** "…/node_modules/@hono/zod-validator/dist/x.js" -> "@hono/zod-validator"; "lib/inbox/store.ts" -> "lib/inbox". */
export function groupOf(input: string): string {
  const normalized = input.replace(/\\/g, "/");
  const module = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(normalized);
  if (module) {
    const name = module[1] as string;
    return name === "wrangler" ? "wrangler (its dev/deploy glue)" : name;
  }
  const ours = /(?:^|\/)(lib\/[^/]+|functions)\//.exec(normalized);
  if (ours) return ours[1] as string;
  return "other";
}

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

function composition(metafilePath: string): { parts: BundlePart[]; unattributed: number } {
  const meta = JSON.parse(readFileSync(metafilePath, "utf8")) as Metafile;
  const groups = new Map<string, BundlePart>();
  let outputBytes = 0;
  let attributed = 0;
  for (const [name, output] of Object.entries(meta.outputs)) {
    if (!/\.(m?js|cjs)$/.test(name)) continue;
    outputBytes += output.bytes;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      attributed += bytesInOutput;
      const group = groupOf(input);
      const part = groups.get(group) ?? { group, bytes: 0, files: 0, top: [] };
      part.bytes += bytesInOutput;
      part.files += 1;
      part.top.push({ input: input.replace(/^(\.\.\/)+(.*?\/)?node_modules\//, "node_modules/"), bytes: bytesInOutput });
      groups.set(group, part);
    }
  }
  const parts = [...groups.values()].sort((a, b) => b.bytes - a.bytes);
  for (const part of parts) part.top = part.top.sort((a, b) => b.bytes - a.bytes).slice(0, 3);
  return { parts, unattributed: Math.max(0, outputBytes - attributed) };
}

async function bundle(copy: ProjectCopy, config: string, outDir: string, metafile: string): Promise<BundleSize> {
  const args = ["deploy", "--dry-run", "--minify", "-c", config, "--outdir", outDir, "--metafile", metafile];
  const command = `wrangler deploy --dry-run --minify -c ${config}`;
  await mustSucceed(command, runTool(WRANGLER, args, copy.root));
  return measure(config, command, outDir);
}

export async function measureBundles(copy: ProjectCopy, workDir: string, repoRoot: string): Promise<BundleReport> {
  const mainMeta = path.join(workDir, "bundle-worker.meta.json");
  const sizes = [
    await bundle(copy, "wrangler.toml", path.join(workDir, "bundle-worker"), mainMeta),
    await bundle(copy, "wrangler.api-only.toml", path.join(workDir, "bundle-api-only"), path.join(workDir, "bundle-api-only.meta.json")),
  ];
  const { parts, unattributed } = composition(mainMeta);
  return { sizes, composition: parts, unattributedBytes: unattributed, guardBytes: readBundleGuard(repoRoot) };
}

export function bundleChecks(report: BundleReport): Check[] {
  const guard = report.guardBytes;
  return report.sizes.map((size) => ({
    name: `${size.config} bundle <= the e2e guard (${guard === undefined ? "n/a" : `${kib(guard)} KiB`}, lib/harness/bundle-guard.ts)`,
    kind: "target",
    value: `${kib(size.bytes)} KiB minified (gzip ${kib(size.gzipBytes)} KiB)`,
    pass: guard !== undefined && size.bytes <= guard,
  }));
}

export function renderBundles(report: BundleReport): string {
  const guard = report.guardBytes;
  const total = report.sizes[0]?.bytes ?? 0;
  const share = (bytes: number) => (total > 0 ? `${((bytes / total) * 100).toFixed(1)} %` : "n/a");
  const sizeRows = [
    ["config", "bytes", "KiB", "gzip KiB", "guard KiB", "of guard"],
    ...report.sizes.map((size) => [
      size.config,
      int(size.bytes),
      kib(size.bytes),
      kib(size.gzipBytes),
      guard === undefined ? "n/a" : kib(guard),
      guard === undefined ? "n/a" : `${Math.round((size.bytes / guard) * 100)} %`,
    ]),
  ];
  const partRows = [
    ["part (wrangler.toml bundle)", "KiB", "share", "files", "largest inputs (KiB)"],
    ...report.composition.map((part) => [
      part.group,
      kib(part.bytes),
      share(part.bytes),
      String(part.files),
      part.top.map((t) => `${path.basename(t.input)} ${kib(t.bytes)}`).join(", "),
    ]),
    ["(esbuild glue, no input)", kib(report.unattributedBytes), share(report.unattributedBytes), "", ""],
  ];
  return [
    "1. Bundle of the deployable Worker (wrangler deploy --dry-run --minify, from a copy without benchmark code)",
    "",
    renderColumns(sizeRows, new Set([1, 2, 3, 4, 5])),
    `  context: ${BEFORE_MOVE_KIB} KiB before the move (issue #7); Cloudflare's limit for a Worker on the free plan is 3 MB gzipped.`,
    "",
    renderColumns(partRows, new Set([1, 2, 3])),
    "",
    ...renderChecks(bundleChecks(report)),
  ].join("\n");
}
