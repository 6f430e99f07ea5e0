/**
 * Running the real CLIs in a project copy exactly as `npm run <command>` runs them in a user's clone
 * (`node --import tsx scripts/<command>.ts`, package.json), and reading what they wrote.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";

/** tsx's loader (what `--import tsx` finds in a project's node_modules), from this checkout. */
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The build CLI through tsx (`node --expose-gc --import tsx scripts/build.ts ...args`) with `cwd` as the
 * project folder: what `npm run build` runs without its precompiled entry (runBuildEntry). The child
 * gets a clean environment: no SKEIN_* variable leaks in from the test run, only those given in `env`.
 */
export function runBuildCli(cwd: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<CliResult> {
  return runScript(cwd, "scripts/build.ts", args, env, ["--expose-gc"]);
}

/** `npm run build -- ...args` exactly: `node --expose-gc scripts/build.mjs` (its precompiled entry, no tsx). */
export function runBuildEntry(cwd: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<CliResult> {
  return runNode(cwd, ["--expose-gc", "scripts/build.mjs", ...args], env);
}

/**
 * `node --import tsx <script> ...args` in `cwd`, with the same clean environment (any command in
 * scripts/). Not the `tsx` launcher: it starts a second Node process for each command (about 0.6 s
 * of CPU each, measured in docs/testing.md) and npm's scripts do not use it.
 */
export function runScript(
  cwd: string,
  script: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
  nodeFlags: readonly string[] = [],
): Promise<CliResult> {
  return runNode(cwd, [...nodeFlags, "--import", TSX_LOADER, script, ...args], env);
}

function runNode(cwd: string, nodeArgs: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith("SKEIN_")) base[key] = value;
  return new Promise((resolve) => {
    execFile(process.execPath, nodeArgs, { cwd, env: { ...base, ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every file under `dir`, relative path (with "/") -> bytes. */
export function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(dir, relative)).sort()) {
      const child = relative ? `${relative}/${name}` : name;
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else files.set(child, readFileSync(path.join(dir, child)));
    }
  };
  if (existsSync(dir)) walk("");
  return files;
}

/** Entries of `dir` whose names start with `prefix` (e.g. leftover "_site.staging-*" folders). */
export function entriesStartingWith(dir: string, prefix: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith(prefix));
}
