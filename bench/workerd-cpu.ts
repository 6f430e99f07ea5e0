/**
 * CPU of the workerd processes a benchmark started under `wrangler dev` (one process group): every
 * thread's time on CPU, nanoseconds, from /proc/<pid>/task/<tid>/schedstat (field 1). An UPPER bound
 * of what the Worker's invocations cost: the local D1 (SQLite) and wrangler's dev plumbing run in the
 * same process. The benches print it against a baseline measured in the same run (runs with nothing
 * due); what an invocation costs deployed is the Workers `cpuTime` (docs/benchmarks.md).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** Pids of the workerd processes in process group `pgid`. */
export function workerdPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      if (Number(fields[2]) === pgid && name.startsWith("workerd")) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Nanoseconds on CPU of every thread of these processes. */
export function cpuNanoseconds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const tasks = `/proc/${pid}/task`;
    if (!existsSync(tasks)) continue;
    for (const tid of readdirSync(tasks)) {
      try {
        total += Number(readFileSync(`${tasks}/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // thread gone
      }
    }
  }
  return total;
}

/** `work()`, and the CPU milliseconds process group `pgid`'s workerd spent meanwhile. */
export async function withWorkerdCpu<T>(pgid: number, work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const pids = workerdPids(pgid);
  const before = cpuNanoseconds(pids);
  const result = await work();
  return { result, cpuMs: (cpuNanoseconds(pids) - before) / 1e6 };
}
