/**
 * The benchmark's server side: a throw-away copy of this project built for its local URL, two extra
 * routes written only into the copy (the bare baseline, and the one-D1-insert reference with its own
 * table from a copy-only migration), its local D1 migrated, and `wrangler pages dev` in its own process
 * group, as test/e2e/support/wrangler-server.ts runs it for the end-to-end tests.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { ensureOwnerToken } from "../../scripts/cli/dev-vars.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../test/support/project-copy.ts";
import { BARE_ROUTE, INSERT_ROUTE } from "./load.ts";

export const WRANGLER = path.join(REPO_ROOT, "node_modules/.bin/wrangler");
const TSX = path.join(REPO_ROOT, "node_modules/.bin/tsx");
const QUIET_WRANGLER = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", CI: "true" };
const HOST = "127.0.0.1";

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion in `cwd` (wrangler kept quiet and offline); never throws. */
export function runTool(command: string, args: string[], cwd: string, env: Record<string, string> = {}): ToolResult {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...QUIET_WRANGLER, ...env },
    timeout: 300_000,
    // `SELECT ... FROM messages` of a long run is a few MB of JSON.
    maxBuffer: 512 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}

function mustSucceed(what: string, result: ToolResult): ToolResult {
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

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

/** A copy of the project with the example content, built exactly as `npm start` builds it for `url`. */
export function buildProjectCopy(parentDir: string, url: string): ProjectCopy {
  const copy = createProjectCopy({}, parentDir);
  mustSucceed("the build (scripts/build.ts)", runTool(TSX, ["scripts/build.ts", "--quiet"], copy.root, { SKEIN_URL: url }));
  return copy;
}

/** Apply migrations/ to the copy's local D1 and make sure .dev.vars has an owner token; returns it. */
export function prepareInbox(copy: ProjectCopy): string {
  mustSucceed("wrangler d1 migrations apply", runTool(WRANGLER, ["d1", "migrations", "apply", "DB", "--local"], copy.root));
  return ensureOwnerToken(copy.root).token;
}

/**
 * The baseline: a bare Hono route in the same Pages project, so it shares workerd, wrangler's Pages
 * router and the request path with the inbox, and does none of the inbox's work. Pages routes the
 * more specific functions/api/bare.ts before the catch-all functions/[[path]].ts.
 */
export const BARE_ROUTE_FILE = "functions/api/bare.ts";
const BARE_ROUTE_SOURCE = `// Written by scripts/bench-inbox (benchmark copies only): the baseline route.
import { handle } from "hono/cloudflare-pages";
import { Hono } from "hono/tiny";

const app = new Hono();
app.post(${JSON.stringify(BARE_ROUTE)}, (c) => c.body(null, 201));

export const onRequest = handle(app);
`;

/**
 * The reference: the bare route plus exactly one D1 write of the request body, so its distance from
 * the bare route is what any route that stores something pays for the local D1 (wrangler pages dev
 * keeps it in a SQLite file behind workerd), and the inbox's distance from it is the inbox's own work.
 * Its table is separate from the inbox's, so the inbox's lost-rows check stays exact.
 */
export const INSERT_ROUTE_FILE = "functions/api/bare-insert.ts";
export const REFERENCE_TABLE = "bench_reference";
/** Numbered after every real migration, so `migrations apply` runs it last. */
export const REFERENCE_MIGRATION_FILE = "migrations/9000_bench_reference.sql";
const REFERENCE_MIGRATION_SOURCE = `-- Written by scripts/bench-inbox (benchmark copies only): the table of the one-D1-insert reference route.
CREATE TABLE ${REFERENCE_TABLE} (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
`;
const INSERT_ROUTE_SOURCE = `// Written by scripts/bench-inbox (benchmark copies only): the one-D1-insert reference route.
import { handle } from "hono/cloudflare-pages";
import { Hono } from "hono/tiny";

const app = new Hono<{ Bindings: { DB: D1Database } }>();
app.post(${JSON.stringify(INSERT_ROUTE)}, async (c) => {
  await c.env.DB.prepare("INSERT INTO ${REFERENCE_TABLE} (body) VALUES (?1)").bind(await c.req.text()).run();
  return c.body(null, 201);
});

export const onRequest = handle(app);
`;

/**
 * Write the two benchmark routes and the reference table's migration into the copy. Call it after
 * the bundles are measured (they must not contain the benchmark routes) and before prepareInbox()
 * (which applies the migrations).
 */
export function addBenchmarkRoutes(copy: ProjectCopy): void {
  copy.write(BARE_ROUTE_FILE, BARE_ROUTE_SOURCE);
  copy.write(INSERT_ROUTE_FILE, INSERT_ROUTE_SOURCE);
  copy.write(REFERENCE_MIGRATION_FILE, REFERENCE_MIGRATION_SOURCE);
}

export interface DevServer {
  url: string;
  pid: number;
  /** The last part of wrangler's output (errors and warnings only: it runs with --log-level warn). */
  output(): string;
  stop(): Promise<void>;
  /** For exit handlers: SIGKILL the whole process group now. */
  killNow(): void;
}

const OUTPUT_TAIL = 64 * 1024;

/**
 * `wrangler pages dev _site` in its own process group (killing only wrangler would leave workerd
 * running). `--log-level warn` drops the per-request log line: at thousands of requests per second,
 * printing them would cost CPU that the server and the load generator share on a small machine.
 */
export async function startPagesDev(copy: ProjectCopy, port: number, bindings: Record<string, string>): Promise<DevServer> {
  const bindingArgs = Object.entries(bindings).flatMap(([key, value]) => ["--binding", `${key}=${value}`]);
  const args = ["pages", "dev", "_site", "--ip", HOST, "--port", String(port), "--show-interactive-dev-session=false", "--log-level", "warn", ...bindingArgs];
  const child: ChildProcess = spawn(WRANGLER, args, {
    cwd: copy.root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...QUIET_WRANGLER },
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > 2 * OUTPUT_TAIL) output = output.slice(-OUTPUT_TAIL);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start wrangler pages dev");

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone already
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      signalGroup("SIGKILL"); // stragglers of an exited wrangler (workerd) would hold the port
      return;
    }
    signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    signalGroup("SIGKILL");
  };
  const server: DevServer = { url: localUrl(port), pid, output: () => output.slice(-OUTPUT_TAIL), stop, killNow: () => signalGroup("SIGKILL") };

  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler pages dev exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${server.url}/feed.xml`);
      await response.arrayBuffer();
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`wrangler pages dev did not serve ${server.url}/feed.xml within 90 s:\n${output}`);
}

/** messages.total from the owner API (GET /api/inbox): what the running inbox itself says it holds. */
export async function ownerApiMessageCount(url: string, inboxRoute: string, token: string): Promise<number> {
  const response = await fetch(`${url}${inboxRoute}`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${inboxRoute} answered ${response.status}: ${text.slice(0, 300)}`);
  const counts = JSON.parse(text) as { messages?: { total?: unknown } };
  const total = counts.messages?.total;
  if (typeof total !== "number") throw new Error(`GET ${inboxRoute} gave no messages.total: ${text.slice(0, 300)}`);
  return total;
}

/**
 * The body column of every row of `table` (messages, or the reference table), read from the copy's
 * local D1 file with wrangler (run it with the server stopped).
 */
export function storedBodies(copy: ProjectCopy, table: "messages" | typeof REFERENCE_TABLE): string[] {
  const result = mustSucceed(
    `wrangler d1 execute (${table})`,
    runTool(WRANGLER, ["d1", "execute", "DB", "--local", "--command", `SELECT body FROM ${table}`, "--json"], copy.root),
  );
  const parsed = JSON.parse(result.stdout) as Array<{ results?: Array<{ body?: unknown }>; success?: boolean }>;
  const first = parsed[0];
  if (!first?.success || !Array.isArray(first.results)) throw new Error(`wrangler d1 execute gave no results:\n${result.stdout.slice(0, 500)}`);
  return first.results.map((row) => String(row.body));
}
