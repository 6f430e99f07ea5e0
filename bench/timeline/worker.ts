/**
 * The owner's Worker for `npm run bench:timeline`: a throw-away copy of this project following the
 * benchmark's accounts, built for its local URL, its D1 migrated, served by `wrangler dev` in its own
 * process group -- with wrangler.api-only.toml (the same Worker and bindings, no static assets: the
 * poller never touches them, and so the cron endpoint below reaches the Worker).
 *
 * Runs: the cron trigger fired by wrangler dev's own endpoint, GET /cdn-cgi/handler/scheduled?time=<ms>,
 * which runs the Worker's scheduled() with that scheduledTime -- so a simulated day of 1,440 cron runs
 * takes minutes, with the poller's slots, backoffs and latencies computed on the simulated clock. Each
 * job's report is the line lib/worker/worker.ts logs for it ("skein job <name>: ... (F fetches, D D1
 * calls, W rows written, M ms)"), read from wrangler's output.
 *
 * CPU: the workerd processes of the server's process group (../workerd-cpu.ts), an UPPER bound: the
 * local D1 (SQLite) and wrangler's dev plumbing run in the same process.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { listYaml, postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { withWorkerdCpu } from "../workerd-cpu.ts";
import type { Account } from "./feeds.ts";

const WRANGLER = path.join(REPO_ROOT, "node_modules/.bin/wrangler");
const QUIET = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  CI: "true",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};
export const OWNER_TOKEN = "bench-timeline-owner-token";

export interface JobLine {
  job: string;
  summary: string;
  fetches: number;
  d1Calls: number;
  rowsWritten: number;
  ms: number;
}

export interface RunResult {
  /** workerd CPU during the run, ms (all threads of the process: the dev server's D1 and proxy included). */
  cpuMs: number;
  wallMs: number;
  jobs: JobLine[];
}

export interface OwnerWorker {
  url: string;
  project: ProjectCopy;
  /** Fire the cron trigger at `time` (epoch ms) and wait for its jobs' report. */
  runAt(time: number): Promise<RunResult>;
  get<T>(pathAndQuery: string): Promise<T>;
  stop(): Promise<void>;
}

/** Every process group started here, for the Ctrl-C handler. */
const groups = new Set<number>();

export function killAll(): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  groups.clear();
}

function must(what: string, command: string, args: string[], cwd: string, env: Record<string, string> = {}): void {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...QUIET, ...env }, timeout: 300_000 });
  if (result.status !== 0) throw new Error(`${what} failed:\n${result.stdout}\n${result.stderr}`);
}

const JOB_LINE = /^skein job ([\w.]+): (.*) \((\d+) fetches, (\d+) D1 calls, (\d+) rows written, (\d+) ms\)$/;

export async function startOwnerWorker(options: { parentDir: string; port: number; accounts: readonly Account[]; ownerUrl: string }): Promise<OwnerWorker> {
  const url = options.ownerUrl;
  const project = createProjectCopy(
    {
      profile: profileYaml({ username: "benchowner", user_id: "be4c0000-0000-4000-8000-0000000000aa", url }),
      follows: listYaml(
        options.accounts.map((account) => ({
          user_id: account.user_id,
          username: account.username,
          user_link: account.feedUrl,
          since: "2026-05-01T00:00:00Z",
        })),
      ),
      blocks: null,
      posts: { "first.md": postMarkdown({ id: 0, date: "2026-05-01T08:00:00Z", body: "The benchmark's owner." }) },
    },
    options.parentDir,
  );
  project.write(".dev.vars", `OWNER_TOKEN=${OWNER_TOKEN}\n`);
  must("the build", process.execPath, ["--expose-gc", "--import", "tsx", "scripts/build.ts", "--quiet"], project.root, { SKEIN_URL: url });
  must("the D1 migrations", WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "-c", "wrangler.api-only.toml"], project.root);

  let output = "";
  const child: ChildProcess = spawn(
    WRANGLER,
    // The API-only config (wrangler.api-only.toml: the same Worker without static assets): wrangler dev's
    // /cdn-cgi/handler/scheduled reaches the Worker itself, not the assets router.
    [
      "dev",
      "-c",
      "wrangler.api-only.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--show-interactive-dev-session=false",
      "--var",
      "FETCH_ALLOW_LOOPBACK:true",
    ],
    { cwd: project.root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...QUIET } },
  );
  const pgid = child.pid!;
  groups.add(pgid);
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
    try {
      const response = await fetch(`${url}/api/timeline/follows`, { headers: { Authorization: `Bearer ${OWNER_TOKEN}` } });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  let consumed = 0;
  /** The job lines of one run: lib/worker/worker.ts logs them all in one burst at the end of the run. */
  const readJobLines = (final: boolean): JobLine[] | undefined => {
    const text = output.slice(consumed);
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    const jobs: JobLine[] = [];
    for (const line of complete.split("\n")) {
      const match = JOB_LINE.exec(line.replace(/^\[[^\]]*\]\s*/, "").trim());
      if (match)
        jobs.push({
          job: match[1]!,
          summary: match[2]!,
          fetches: Number(match[3]),
          d1Calls: Number(match[4]),
          rowsWritten: Number(match[5]),
          ms: Number(match[6]),
        });
    }
    if (!jobs.some((job) => job.job === "timeline.poll")) return undefined;
    if (!final) return jobs;
    consumed += complete.length;
    return jobs;
  };

  return {
    url,
    project,
    async runAt(time) {
      const started = performance.now();
      const { result: response, cpuMs } = await withWorkerdCpu(pgid, async () => {
        const answer = await fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${time}`);
        return { ok: answer.ok, status: answer.status, text: await answer.text() };
      });
      const body = response.text;
      const wallMs = performance.now() - started;
      if (!response.ok) throw new Error(`the scheduled run at ${new Date(time).toISOString()} answered ${response.status}: ${body}\n${output.slice(-4000)}`);
      const waitUntil = Date.now() + 10_000;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (readJobLines(false)) {
          // A moment for the rest of the burst (the jobs after the poller).
          await new Promise((resolve) => setTimeout(resolve, 15));
          return { cpuMs, wallMs, jobs: readJobLines(true)! };
        }
        if (Date.now() > waitUntil) throw new Error(`no report of the run at ${new Date(time).toISOString()} in wrangler's output:\n${output.slice(-3000)}`);
      }
    },
    async get<T>(pathAndQuery: string) {
      const response = await fetch(`${url}${pathAndQuery}`, { headers: { Authorization: `Bearer ${OWNER_TOKEN}` } });
      if (!response.ok) throw new Error(`GET ${pathAndQuery} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as T;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        try {
          process.kill(-pgid, "SIGTERM");
        } catch {
          // gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-pgid, "SIGKILL");
          } catch {
            // gone
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      groups.delete(pgid);
    },
  };
}
