/**
 * Issue 17's edit loop, measured like a user: `npm start` on an N-post synthetic site and `hugo server`
 * on the same posts (copies, so an edit reaches one of them only), both running; then, taking turns,
 * write a file and poll the served page every 10 ms until it shows the change:
 *   edit   an existing post gets a new sentence           -> its page shows it
 *   new    a new post file                                -> its page is served with it
 *   broken a post's front matter made invalid YAML        -> the server's output reports it (npm start:
 *          "Build failed ... still serves"; hugo: "ERROR"), and the home page still answers 200;
 *          then the file is put back and its page waited for, so the next sample starts settled.
 * Times are from just before the write to the first poll that sees the change: the watcher's delay, the
 * rebuild and the serving, as a user sees them. Medians of `repeat` samples; CPU time of npm start's
 * process (its build runs in it) is read from /proc around each sample.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { spawnInOwnGroup } from "../../lib/harness/wrangler-server.ts";
import { createHugoProject } from "./hugo-project.ts";
import { syntheticPost } from "./synthetic-posts.ts";

export const EDIT_KINDS = ["edit", "new", "broken"] as const;
export type EditKind = (typeof EDIT_KINDS)[number];

export interface EditLoopResult {
  posts: number;
  repeat: number;
  /** Median milliseconds per kind; undefined for a tool that was not measured (no hugo). */
  skein: Record<EditKind, number>;
  hugo?: Record<EditKind, number>;
  /** npm start's CPU seconds (its process: the rebuild) per edited post, median. */
  skeinEditCpuSeconds: number;
  /** Every broken edit left the home page answering 200. */
  skeinServedThroughBroken: boolean;
  hugoServedThroughBroken?: boolean;
  startSeconds: number;
}

interface Server {
  url: string;
  output(): string;
  pid: number;
  stop(): Promise<void>;
  /** The site's folder of post files, and the page of a post file. */
  postsDir: string;
  pageOf(name: string, guid: number): string;
  /** Text in the output saying a broken post was reported. */
  brokenReport: RegExp;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
  return performance.now() - started;
}

async function pageShows(url: string, needle: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    const text = await response.text();
    return response.status === 200 && text.includes(needle);
  } catch {
    return false;
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || !child.pid) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    process.kill(-child.pid, "SIGINT");
    const force = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(force);
  };
}

/** CPU seconds (user + system) of a process so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startSkein(copy: ProjectCopy): Promise<Server> {
  const port = await freePort();
  const { child, output } = spawnInOwnGroup(copy, process.execPath, ["--import", "tsx", "scripts/start.ts", "--port", String(port), "--no-jobs"]);
  await waitFor(() => output().includes("Skein is running at") || child.exitCode !== null, "npm start", 600_000);
  if (child.exitCode !== null) throw new Error(`npm start exited:\n${output().slice(-3000)}`);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    output,
    pid: child.pid!,
    stop: stopper(child),
    postsDir: path.join(copy.root, "posts"),
    pageOf: (_name, guid) => `${url}/posts/${guid}/`,
    brokenReport: /the site still serves the last good build/,
  };
}

async function startHugo(parentDir: string, postsDir: string): Promise<Server> {
  const project = createHugoProject(parentDir, postsDir, "hugo");
  // Copies, not the links createHugoProject makes: an edit must reach one server only.
  const content = path.join(project.root, "content/posts");
  for (const name of readdirSync(content)) {
    const file = path.join(content, name);
    const bytes = readFileSync(file);
    rmSync(file);
    writeFileSync(file, bytes);
  }
  const port = await freePort();
  let output = "";
  const child = spawn("hugo", ["server", "--bind", "127.0.0.1", "--port", String(port), "--baseURL", `http://127.0.0.1:${port}/`], {
    cwd: project.root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  await waitFor(() => /Web Server is available/.test(output) || child.exitCode !== null, "hugo server", 600_000);
  if (child.exitCode !== null) throw new Error(`hugo server exited:\n${output.slice(-3000)}`);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    output: () => output,
    pid: child.pid!,
    stop: stopper(child),
    postsDir: content,
    pageOf: (name) => `${url}/posts/${name.replace(/\.md$/, "").toLowerCase()}/`,
    brokenReport: /ERROR/,
  };
}

/** One sample of one kind on one server; returns milliseconds (and npm start's CPU seconds for it). */
async function sample(server: Server, kind: EditKind, n: number, round: number): Promise<{ ms: number; cpu: number; servedThrough: boolean }> {
  const marker = `Edit-loop sample ${kind} ${round} ${Date.now()}.`;
  const cpuBefore = cpuSeconds(server.pid);
  let ms: number;
  let servedThrough = true;
  if (kind === "new") {
    const post = syntheticPost(n + round);
    const started = performance.now();
    writeFileSync(path.join(server.postsDir, post.name), `${post.text.trimEnd()}\n\n${marker}\n`);
    await waitFor(() => pageShows(server.pageOf(post.name, n + round), marker), `the new post on ${server.url}`, 300_000);
    ms = performance.now() - started;
  } else {
    const index = n - 1 - round * 7;
    const post = syntheticPost(index);
    const file = path.join(server.postsDir, post.name);
    const page = server.pageOf(post.name, index);
    const started = performance.now();
    if (kind === "edit") {
      writeFileSync(file, `${post.text.trimEnd()}\n\n${marker}\n`);
      await waitFor(() => pageShows(page, marker), `the edited post on ${server.url}`, 300_000);
      ms = performance.now() - started;
    } else {
      const before = server.output().length;
      writeFileSync(file, post.text.replace(/^date: (.*)$/m, "date: [$1"));
      await waitFor(() => server.brokenReport.test(server.output().slice(before)), `the broken post reported by ${server.url}`, 300_000);
      ms = performance.now() - started;
      servedThrough = (await fetch(`${server.url}/`)).status === 200;
      writeFileSync(file, `${post.text.trimEnd()}\n\n${marker}\n`);
      await waitFor(() => pageShows(page, marker), `the mended post on ${server.url}`, 300_000);
    }
  }
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  // Let the server settle (a rebuild's tail: the cache's manifest) before the next sample.
  await sleep(1000);
  return { ms, cpu, servedThrough };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** npm start (on `copy`, an N-post synthetic site) and, when `hugo` is set, hugo server on copies of its posts. */
export async function measureEditLoop(
  copy: ProjectCopy,
  n: number,
  repeat: number,
  parentDir: string,
  hugo: boolean,
  progress: (line: string) => void,
): Promise<EditLoopResult> {
  const started = performance.now();
  const skein = await startSkein(copy);
  const startSeconds = (performance.now() - started) / 1000;
  progress(`edit loop: npm start is serving ${n} posts (${startSeconds.toFixed(1)} s to start)`);
  const hugoServer = hugo ? await startHugo(parentDir, path.join(copy.root, "posts")) : undefined;
  const times: Record<"skein" | "hugo", Record<EditKind, number[]>> = {
    skein: { edit: [], new: [], broken: [] },
    hugo: { edit: [], new: [], broken: [] },
  };
  const cpu: number[] = [];
  let skeinThrough = true;
  let hugoThrough = true;
  try {
    for (let round = 0; round < repeat; round++) {
      for (const kind of EDIT_KINDS) {
        const ours = await sample(skein, kind, n, round);
        times.skein[kind].push(ours.ms);
        if (kind === "edit") cpu.push(ours.cpu);
        skeinThrough &&= ours.servedThrough;
        let line = `edit loop ${round + 1}/${repeat}, ${kind}: npm start ${ours.ms.toFixed(0)} ms (${ours.cpu.toFixed(2)} s cpu)`;
        if (hugoServer) {
          const theirs = await sample(hugoServer, kind, n, round);
          times.hugo[kind].push(theirs.ms);
          hugoThrough &&= theirs.servedThrough;
          line += `, hugo server ${theirs.ms.toFixed(0)} ms`;
        }
        progress(line);
      }
    }
  } finally {
    await skein.stop();
    await hugoServer?.stop();
  }
  const medians = (tool: "skein" | "hugo") => Object.fromEntries(EDIT_KINDS.map((kind) => [kind, median(times[tool][kind])])) as Record<EditKind, number>;
  return {
    posts: n,
    repeat,
    skein: medians("skein"),
    ...(hugoServer ? { hugo: medians("hugo"), hugoServedThroughBroken: hugoThrough } : {}),
    skeinEditCpuSeconds: median(cpu),
    skeinServedThroughBroken: skeinThrough,
    startSeconds,
  };
}

const WHAT: Record<EditKind, string> = {
  edit: "an edited post served",
  new: "a new post served",
  broken: "a broken edit reported",
};

export function renderEditLoop(result: EditLoopResult): string {
  const lines = [
    `Edit loop under npm start, ${result.posts.toLocaleString("en-US")} posts (medians of ${result.repeat}; file written -> the served page shows it, polled every 10 ms):`,
    `  ${"".padEnd(24)}${"npm start".padStart(12)}${result.hugo ? `${"hugo server".padStart(14)}${"skein / hugo".padStart(14)}` : ""}`,
  ];
  for (const kind of EDIT_KINDS) {
    const ours = result.skein[kind];
    const theirs = result.hugo?.[kind];
    lines.push(
      `  ${WHAT[kind].padEnd(24)}${`${ours.toFixed(0)} ms`.padStart(12)}${theirs !== undefined ? `${`${theirs.toFixed(0)} ms`.padStart(14)}${(ours / theirs).toFixed(2).padStart(14)}` : ""}`,
    );
  }
  const served = Math.max(result.skein.edit, result.skein.new);
  lines.push(`  issue 17's target, an edited or new post served within 1 s: ${served <= 1000 ? "met" : "MISSED"} (${served.toFixed(0)} ms)`);
  lines.push(
    `  npm start's CPU per edited post: ${result.skeinEditCpuSeconds.toFixed(2)} s; the site kept serving through every broken edit: ${result.skeinServedThroughBroken ? "yes" : "NO"}`,
  );
  if (result.hugo) lines.push(`  hugo server kept serving through every broken edit: ${result.hugoServedThroughBroken ? "yes" : "NO"}`);
  if (!result.hugo) lines.push("  hugo is not installed: no hugo server column (Debian: apt-get install hugo).");
  return lines.join("\n");
}
