/**
 * `npm start` itself (scripts/start.ts) in a project copy: build, local D1 migrations, wrangler pages
 * dev, then Ctrl-C (SIGINT). Tells which process group wrangler ran in, so a test can prove nothing
 * of it is left afterwards.
 */
import { execFileSync } from "node:child_process";
import type { ProjectCopy } from "../../../lib/harness/project-copy.ts";
import { spawnInOwnGroup } from "../../../lib/harness/wrangler-server.ts";

export interface NpmStart {
  url: string;
  output(): string;
  /** Process group ids of the processes start.ts launched (wrangler + workerd). */
  serverGroups(): number[];
  /** Ctrl-C: SIGINT to start.ts's process group (as a terminal sends it), then wait for it to exit. */
  interrupt(): Promise<number | null>;
}

function processTable(): { pid: number; ppid: number; pgid: number }[] {
  const out = execFileSync("ps", ["-eo", "pid=,ppid=,pgid="], { encoding: "utf8" });
  return out
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number])
    .map(([pid, ppid, pgid]) => ({ pid, ppid, pgid }));
}

export function livingInGroups(groups: readonly number[]): number[] {
  return processTable()
    .filter((p) => groups.includes(p.pgid))
    .map((p) => p.pid);
}

/**
 * `viaNpm: true` runs the literal `npm start -- --port <port>` (as the README says); otherwise
 * `node --import tsx scripts/start.ts` (what npm and the tsx launcher end up running). Either way in
 * its own process group, like a terminal's foreground job: Ctrl-C sends SIGINT to the whole group.
 */
export async function npmStart(
  project: ProjectCopy,
  port: number,
  options: { viaNpm?: boolean; extraArgs?: string[]; watch?: boolean } = {},
): Promise<NpmStart> {
  const extra = [...(options.watch ? [] : ["--no-watch"]), ...(options.extraArgs ?? [])];
  const [command, args] = options.viaNpm
    ? ["npm", ["start", "--", "--port", String(port), ...extra]]
    : [process.execPath, ["--import", "tsx", "scripts/start.ts", "--port", String(port), ...extra]];
  const { child, output } = spawnInOwnGroup(project, command, args);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  while (!output().includes("Skein is running at")) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output()}`);
    if (Date.now() > deadline) {
      if (child.pid) process.kill(-child.pid, "SIGINT");
      throw new Error(`npm start did not come up:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // start.ts's server runs in its own process group (detached): any group in child's process tree
  // other than child's own is the server's.
  const table = processTable();
  const tree = new Set([child.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (tree.has(p.ppid) && !tree.has(p.pid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  const groups = [...new Set(table.filter((p) => tree.has(p.pid) && p.pgid !== child.pid).map((p) => p.pgid))];
  return {
    url,
    output,
    serverGroups: () => groups,
    interrupt: async () => {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGINT");
      return exited;
    },
  };
}
