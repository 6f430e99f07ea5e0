/**
 * The size of what Cloudflare would run: the Pages Functions bundle (`wrangler pages functions build
 * --minify`) and the standalone Worker (`wrangler deploy --dry-run --minify -c worker/wrangler.toml`),
 * both bundled offline from a project copy that has no benchmark route in it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { ProjectCopy } from "../../test/support/project-copy.ts";
import { runTool, WRANGLER } from "./server.ts";

export interface BundleSize {
  name: string;
  command: string;
  /** Minified JavaScript, source maps and READMEs left out. */
  bytes: number;
  /** The same files gzipped (zlib's default level, as wrangler's "gzip:" figure). */
  gzipBytes: number;
  files: string[];
}

function javascriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((relative) => /\.(m?js|cjs)$/.test(relative) && statSync(path.join(dir, relative)).isFile())
    .map((relative) => path.join(dir, relative))
    .sort();
}

function measure(name: string, command: string, outDir: string): BundleSize {
  const files = javascriptFiles(outDir);
  if (files.length === 0) throw new Error(`${command} wrote no JavaScript into ${outDir}`);
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    const data = readFileSync(file);
    bytes += data.length;
    gzipBytes += gzipSync(data).length;
  }
  return { name, command, bytes, gzipBytes, files: files.map((file) => path.relative(outDir, file)) };
}

function bundle(copy: ProjectCopy, name: string, args: string[], outDir: string): BundleSize {
  const command = `wrangler ${args.join(" ")}`;
  const result = runTool(WRANGLER, [...args, "--outdir", outDir], copy.root);
  if (result.status !== 0) throw new Error(`${command} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return measure(name, command, outDir);
}

export function measureBundles(copy: ProjectCopy, workDir: string): BundleSize[] {
  return [
    bundle(copy, "Pages Functions", ["pages", "functions", "build", "--minify"], path.join(workDir, "bundle-pages")),
    bundle(copy, "Worker (worker/)", ["deploy", "--dry-run", "--minify", "-c", "worker/wrangler.toml"], path.join(workDir, "bundle-worker")),
  ];
}
