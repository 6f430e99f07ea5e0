/**
 * One measured build: a child `node` process (ours or the baseline), timed from the parent, with the
 * child's own peak RSS and CPU time reported by report-usage.mjs on its exit, then the files it wrote
 * counted. The output folder is deleted BEFORE the clock starts, so every run writes a fresh site.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

/** Plain JavaScript preload, so the baseline runs without tsx (see the file). */
const USAGE_PRELOAD = new URL("./report-usage.mjs", import.meta.url).href;

export interface ChildCommand {
  /** Arguments for `node`; the usage preload is put in front of them. */
  args: string[];
  cwd: string;
  /** The folder the command writes its site into. */
  outDir: string;
}

export interface RunMeasurement {
  wallSeconds: number;
  /** User + system CPU time of the build process. */
  cpuSeconds: number;
  peakRssBytes: number;
  files: number;
  bytes: number;
}

interface ChildUsage {
  code: number;
  maxRssKiB: number;
  userCpuMicros: number;
  systemCpuMicros: number;
}

/**
 * The child's environment: ours and the baseline get the same one, and nothing from the caller's
 * shell that changes what is built or how node runs (SKEIN_* page limits or URLs, NODE_OPTIONS).
 */
function childEnv(usageFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("SKEIN_") || key === "NODE_OPTIONS") continue;
    env[key] = value;
  }
  env.SKEIN_BENCH_USAGE_FILE = usageFile;
  return env;
}

function runChild(command: ChildCommand, usageFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--import", USAGE_PRELOAD, ...command.args], {
      cwd: command.cwd,
      env: childEnv(usageFile),
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Keep only the tail of the output: enough to explain a failure, never 50,000 lines in memory.
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-8_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve(seconds);
      else reject(new Error(`\`node ${command.args.join(" ")}\` in ${command.cwd} failed (${signal ?? `exit code ${code}`}):\n${output}`));
    });
  });
}

/** Every regular file under `dir`, as paths relative to it with "/" separators, sorted. */
export function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  walk("");
  return files.sort();
}

export function countTree(dir: string): { files: number; bytes: number } {
  const files = listFiles(dir);
  let bytes = 0;
  for (const file of files) bytes += statSync(path.join(dir, file)).size;
  return { files: files.length, bytes };
}

/** SHA-256 of every file under `dir`, by relative path. */
export function hashTree(dir: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const file of listFiles(dir))
    hashes.set(
      file,
      createHash("sha256")
        .update(readFileSync(path.join(dir, file)))
        .digest("hex"),
    );
  return hashes;
}

/**
 * Run one build and measure it. The output is deleted before the clock starts and, unless
 * `keepOutput`, after it has been counted (50,000-post sites are large).
 */
export async function measureBuild(command: ChildCommand, usageFile: string, keepOutput = false, inPlace = false): Promise<RunMeasurement> {
  // inPlace: the output folder is left for the build to update (scripts/build.ts --sync).
  if (!inPlace) rmSync(command.outDir, { recursive: true, force: true });
  rmSync(usageFile, { force: true });
  const wallSeconds = await runChild(command, usageFile);
  if (!existsSync(usageFile)) throw new Error(`the build in ${command.cwd} exited without reporting its resource usage`);
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as ChildUsage;
  if (!existsSync(command.outDir)) throw new Error(`the build in ${command.cwd} succeeded but wrote no ${command.outDir}`);
  const { files, bytes } = countTree(command.outDir);
  if (!keepOutput) rmSync(command.outDir, { recursive: true, force: true });
  return {
    wallSeconds,
    cpuSeconds: (usage.userCpuMicros + usage.systemCpuMicros) / 1e6,
    peakRssBytes: usage.maxRssKiB * 1024,
    files,
    bytes,
  };
}

export interface ForeignCommand {
  command: string;
  args: string[];
  cwd: string;
  outDir: string;
}

/** Peak RSS (VmHWM, KiB) and CPU ticks (utime + stime) of a running process, from /proc (Linux). */
function procSample(pid: number): { hwmKiB: number; ticks: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    // Fields after the command name (which may hold spaces, so split after the last ")"): utime is 14th, stime 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { hwmKiB: hwm ? Number(hwm[1]) : 0, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // exited between samples
  }
}

/**
 * A build by a program that is not node (Hugo): wall time from the parent; peak RSS and CPU time
 * sampled from /proc every 10 ms (the highest values seen; the kernel keeps the peak, so only
 * CPU and growth of the final few milliseconds can be missed). Output deleted before and (unless kept) after.
 */
export async function measureForeignBuild(command: ForeignCommand, keepOutput = false): Promise<RunMeasurement> {
  rmSync(command.outDir, { recursive: true, force: true });
  const ticksPerSecond = 100; // USER_HZ on Linux
  let last = { hwmKiB: 0, ticks: 0 };
  const wallSeconds = await new Promise<number>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command.command, command.args, { cwd: command.cwd, stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    child.stderr.on("data", (chunk: Buffer) => {
      errors = (errors + chunk.toString("utf8")).slice(-4000);
    });
    const timer = setInterval(() => {
      const sample = child.pid ? procSample(child.pid) : undefined;
      // A process that has exited but not been reaped (a zombie) has no VmHWM line: keep the highest seen.
      if (sample) last = { hwmKiB: Math.max(last.hwmKiB, sample.hwmKiB), ticks: Math.max(last.ticks, sample.ticks) };
    }, 10);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(timer);
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new Error(`\`${command.command} ${command.args.join(" ")}\` in ${command.cwd} failed (exit code ${code}):\n${errors}`));
    });
  });
  const { files, bytes } = countTree(command.outDir);
  if (!keepOutput) rmSync(command.outDir, { recursive: true, force: true });
  return { wallSeconds, cpuSeconds: last.ticks / ticksPerSecond, peakRssBytes: last.hwmKiB * 1024, files, bytes };
}
