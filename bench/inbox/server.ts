/**
 * The benchmark's server side: a throw-away copy of this project built for its local URL, served by
 * `wrangler dev` as `npm start` and the end-to-end tests serve it (lib/harness/wrangler-server.ts):
 * the one Worker with the built site as static assets and a local D1.
 *
 * Everything the benchmark starts runs in its own process group and is registered here, so Ctrl-C
 * (killEverything) leaves no wrangler or workerd behind, even in the middle of a migration or a
 * bundle. The e2e helpers are not reused for the server itself: the benchmark needs
 * `--log-level warn` (at thousands of requests per second, wrangler's per-request log line costs
 * CPU the server and the load generator share), `--persist-to` (one D1 per phase), a bounded
 * output buffer, and a synchronous kill for the signal handler.
 *
 * What is written into the copy (never into this repository):
 *   - functions/bench-entry.ts: a wrapper Worker entry that answers POST /api/bare (201, nothing
 *     else) and POST /api/bare-insert (one INSERT into bench_reference, then 201) and hands every
 *     other request to the real Worker (functions/index.ts); the copy's wrangler.toml `main` points
 *     at it for the load phase only;
 *   - migrations/<next>_bench_reference.sql: the reference route's table, numbered after every real
 *     migration so `migrations apply` runs it last.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { raiseRateLimits } from "../../lib/harness/wrangler-server.ts";
import type { SiteConfig } from "../../lib/shared/site-config.ts";
import { BARE_ROUTE, INSERT_ROUTE } from "./load.ts";

export const WRANGLER = path.join(REPO_ROOT, "node_modules/.bin/wrangler");
const TSX = path.join(REPO_ROOT, "node_modules/.bin/tsx");
const QUIET_WRANGLER = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  CI: "true",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};
export const HOST = "127.0.0.1";

// ---- process groups ----

/** Process group ids (= leader pids) of everything started and not yet gone. */
const liveGroups = new Set<number>();

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** For the Ctrl-C handler: SIGKILL every process group the benchmark started (servers and tools). */
export function killEverything(): void {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
  liveGroups.clear();
}

function spawnGroup(command: string, args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...QUIET_WRANGLER, ...env } });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    child.once("exit", () => {
      // Stragglers of an exited leader (workerd under wrangler) would keep ports and files busy.
      signalGroup(pid, "SIGKILL");
      liveGroups.delete(pid);
    });
  }
  return child;
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion in `cwd` (wrangler kept quiet and offline), in its own process group; never rejects. */
export function runTool(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawnGroup(command, args, cwd, env);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.pid !== undefined && signalGroup(child.pid, "SIGKILL"), 300_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ status: null, stdout: "", stderr: String(error) });
    });
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") });
    });
  });
}

export async function mustSucceed(what: string, pending: Promise<ToolResult>): Promise<ToolResult> {
  const result = await pending;
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
  return result;
}

// ---- ports ----

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not find a free port"))));
    });
  });
}

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

export function localUrl(port: number): string {
  return `http://${HOST}:${port}`;
}

// ---- the project copy ----

/** A copy of the project with the example content, built exactly as `npm start` builds it for `url`. */
export async function buildProjectCopy(parentDir: string, url: string): Promise<ProjectCopy> {
  const copy = createProjectCopy({}, parentDir);
  await mustSucceed("the build (scripts/build.ts)", runTool(TSX, ["scripts/build.ts", "--quiet"], copy.root, { SKEIN_URL: url }));
  return copy;
}

/** What the copy's Worker knows of its site (written by the build): the owner, the published post ids. */
export function readSiteConfig(copy: ProjectCopy): SiteConfig {
  return JSON.parse(readFileSync(path.join(copy.root, "functions/_generated/site-config.json"), "utf8")) as SiteConfig;
}

export interface RateLimitConfig {
  name: string;
  limit: number;
  periodSeconds: number;
}

/** The [[ratelimits]] of a wrangler config, as written (the copy's own file). */
export function readRateLimits(copy: ProjectCopy, config = "wrangler.toml"): RateLimitConfig[] {
  const text = readFileSync(path.join(copy.root, config), "utf8");
  const limits: RateLimitConfig[] = [];
  for (const block of text.split("[[ratelimits]]").slice(1)) {
    const name = /^\s*name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    const simple = /simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\}/.exec(block);
    if (name && simple) limits.push({ name, limit: Number(simple[1]), periodSeconds: Number(simple[2]) });
  }
  return limits;
}

/** Apply migrations/ to one local D1 of the copy (`persistTo`: each phase has its own). */
export async function migrateLocal(copy: ProjectCopy, persistTo: string): Promise<void> {
  await mustSucceed(
    `wrangler d1 migrations apply (${persistTo})`,
    runTool(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], copy.root),
  );
}

export const BENCH_ENTRY_FILE = "functions/bench-entry.ts";
export const REFERENCE_TABLE = "bench_reference";

function benchEntrySource(): string {
  return `// Written by bench/inbox.ts into its project copy only (never into the repository): the load
// phase's baseline routes in the SAME Worker as the inbox, answered before the real Worker's Hono app.
//   POST ${BARE_ROUTE}         201 and nothing else: the baseline of the issue's targets
//   POST ${INSERT_ROUTE}  one plain INSERT of the request body into ${REFERENCE_TABLE}, then 201: what any
//                              D1-writing route pays for the local D1, before any inbox code
// Everything else goes to the real Worker, unchanged.
import worker from "./index.ts";

export default {
  async fetch(request, env, ctx) {
    if (request.method === "POST") {
      const pathname = new URL(request.url).pathname;
      if (pathname === ${JSON.stringify(BARE_ROUTE)}) return new Response(null, { status: 201 });
      if (pathname === ${JSON.stringify(INSERT_ROUTE)}) {
        await env.DB.prepare("INSERT INTO ${REFERENCE_TABLE} (body) VALUES (?1)").bind(await request.text()).run();
        return new Response(null, { status: 201 });
      }
    }
    return worker.fetch(request, env, ctx);
  },
  scheduled: (controller, env, ctx) => worker.scheduled(controller, env, ctx),
};
`;
}

/** The next free migration number of the copy, as four digits (after every real migration). */
function nextMigrationNumber(copy: ProjectCopy): string {
  const numbers = readdirSync(path.join(copy.root, "migrations"))
    .map((name) => /^(\d+)_/.exec(name)?.[1])
    .filter((digits): digits is string => digits !== undefined)
    .map(Number);
  return String(Math.max(0, ...numbers) + 1).padStart(4, "0");
}

export interface BenchEntry {
  entryFile: string;
  migrationFile: string;
  /** The limit the copy's Rate Limiting bindings were raised to. */
  raisedLimit: number;
}

/**
 * Prepare the copy for the load phase: the wrapper entry, the reference table's migration, and the
 * copy's wrangler.toml pointed at the wrapper with its rate limits raised (the load comes from one
 * address, which the real limits would refuse after 30 requests). Call it after the bundles were
 * measured and the real-limits phases ran: from here on the copy is no longer the deployable Worker.
 */
export function addBenchEntry(copy: ProjectCopy, raisedLimit = 1_000_000): BenchEntry {
  const migrationFile = `migrations/${nextMigrationNumber(copy)}_bench_reference.sql`;
  copy.write(BENCH_ENTRY_FILE, benchEntrySource());
  copy.write(
    migrationFile,
    `-- Written by bench/inbox.ts (benchmark copies only): the table of the one-D1-insert reference route.\nCREATE TABLE ${REFERENCE_TABLE} (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n`,
  );
  const configFile = path.join(copy.root, "wrangler.toml");
  const config = readFileSync(configFile, "utf8");
  const pointed = config.replace(/^main\s*=\s*"[^"]*"/m, `main = "${BENCH_ENTRY_FILE}"`);
  if (pointed === config) throw new Error(`the copy's wrangler.toml has no main = "..." line to point at ${BENCH_ENTRY_FILE}`);
  writeFileSync(configFile, pointed);
  raiseRateLimits(copy, raisedLimit);
  return { entryFile: BENCH_ENTRY_FILE, migrationFile, raisedLimit };
}

// ---- wrangler dev ----

export interface DevServer {
  url: string;
  pid: number;
  /** The last part of wrangler's output (warnings and errors: it runs with --log-level warn). */
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_TAIL = 64 * 1024;

export interface DevOptions {
  /** Local D1 (and rate limiter) state folder, relative to the copy. */
  persistTo: string;
  /** --var KEY:VALUE for each entry. */
  vars: Record<string, string>;
}

/**
 * `wrangler dev` in the copy (its wrangler.toml as it is now), in its own process group. Ready when
 * the Worker itself answers GET /api/inbox (401 without a token): the static site alone is not enough.
 */
export async function startWorkerDev(copy: ProjectCopy, port: number, options: DevOptions): Promise<DevServer> {
  const varArgs = Object.entries(options.vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  const args = [
    "dev",
    "--ip",
    HOST,
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
    "--persist-to",
    options.persistTo,
    ...varArgs,
  ];
  const child = spawnGroup(WRANGLER, args, copy.root, {});
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > 2 * OUTPUT_TAIL) output = output.slice(-OUTPUT_TAIL);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start wrangler dev");

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      signalGroup(pid, "SIGKILL");
      return;
    }
    signalGroup(pid, "SIGTERM");
    const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    signalGroup(pid, "SIGKILL");
    // The next server may want the same port.
    for (let i = 0; i < 40 && !(await isPortFree(port)); i++) await new Promise((resolve) => setTimeout(resolve, 250));
  };
  const server: DevServer = { url: localUrl(port), pid, output: () => output.slice(-OUTPUT_TAIL), stop };

  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output.slice(-8000)}`);
    try {
      const response = await fetch(`${server.url}/api/inbox`);
      await response.arrayBuffer();
      if (response.status < 500) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not answer ${server.url}/api/inbox within 90 s:\n${output.slice(-8000)}`);
}

// ---- reading D1 after the server stopped ----

/** Rows of one query against a local D1 of the copy (run it with the server stopped). */
export async function queryLocalD1<T>(copy: ProjectCopy, persistTo: string, sql: string): Promise<T[]> {
  const result = await mustSucceed(
    `wrangler d1 execute (${sql.slice(0, 60)})`,
    runTool(WRANGLER, ["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", sql, "--json"], copy.root),
  );
  const parsed = JSON.parse(result.stdout) as Array<{ results?: T[]; success?: boolean }>;
  const first = parsed[0];
  if (!first?.success || !Array.isArray(first.results)) throw new Error(`wrangler d1 execute gave no results:\n${result.stdout.slice(0, 500)}`);
  return first.results;
}

/** The body column of every row of `table` (messages, or the reference table). */
export async function storedBodies(copy: ProjectCopy, persistTo: string, table: "messages" | typeof REFERENCE_TABLE, likePrefix?: string): Promise<string[]> {
  const where = likePrefix === undefined ? "" : ` WHERE body LIKE '${likePrefix.replace(/'/g, "''")}%'`;
  const rows = await queryLocalD1<{ body?: unknown }>(copy, persistTo, `SELECT body FROM ${table}${where}`);
  return rows.map((row) => String(row.body));
}

// ---- the owner API ----

export async function ownerGet<T>(url: string, route: string, token: string): Promise<T> {
  const response = await fetch(`${url}${route}`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${route} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export async function ownerPost<T>(url: string, route: string, token: string, body: unknown): Promise<T> {
  const response = await fetch(`${url}${route}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST ${route} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
