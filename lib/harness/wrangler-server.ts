/**
 * Real local servers for end-to-end tests: a Skein project copy built for its URL, its D1 migrated,
 * served by `wrangler dev` (the one Worker: site + API, or the API alone with wrangler.api-only.toml),
 * in their own process groups so stopping them leaves no workerd behind.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type ProjectCopy, REPO_ROOT } from "./project-copy.ts";

export const WRANGLER = path.join(REPO_ROOT, "node_modules/.bin/wrangler");
export const TSX = path.join(REPO_ROOT, "node_modules/.bin/tsx");
export const QUIET_WRANGLER = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", CI: "true" };

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): RunResult {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, ...QUIET_WRANGLER, ...env }, timeout: 180_000 });
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/**
 * Build the project copy for `url` (and the Worker's view of it) as `npm run build` does; throws
 * with the build's output on failure.
 */
export function buildProject(project: ProjectCopy, url: string, env: Record<string, string> = {}): void {
  const result = run(process.execPath, ["--expose-gc", "--import", "tsx", "scripts/build.ts", "--quiet"], project.root, { SKEIN_URL: url, ...env });
  if (result.status !== 0) throw new Error(`build failed:\n${result.stdout}\n${result.stderr}`);
}

export function migrateLocal(project: ProjectCopy, config = "wrangler.toml"): void {
  const result = run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "-c", config], project.root);
  if (result.status !== 0) throw new Error(`migrations failed:\n${result.stdout}\n${result.stderr}`);
}

export interface LocalServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** A command in the project copy, in its own process group, its output collected. */
export function spawnInOwnGroup(project: ProjectCopy, command: string, args: string[]): { child: ChildProcess; output(): string } {
  let output = "";
  const child = spawn(command, args, {
    cwd: project.root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...QUIET_WRANGLER },
  });
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function startServer(project: ProjectCopy, args: string[], port: number, readyPath: string): Promise<LocalServer> {
  const { child, output: collected } = spawnInOwnGroup(project, WRANGLER, args);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || !child.pid) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler exited (${child.exitCode}):\n${collected()}`);
    try {
      const response = await fetch(`${url}${readyPath}`);
      await response.arrayBuffer();
      if (response.status < 500) return { url, output: collected, stop };
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`wrangler did not become ready on ${url}:\n${collected()}`);
}

/**
 * Raise the copy's Rate Limiting binding limits and lift its daily cap on strangers (wrangler.toml is
 * the copy's own): load tests send thousands of requests from one address, which the real limits
 * would refuse after 30, and from thousands of new senders, which the cap would refuse after 2,000.
 */
export function raiseRateLimits(project: ProjectCopy, limit = 1_000_000, config = "wrangler.toml"): void {
  const file = path.join(project.root, config);
  const raised = readFileSync(file, "utf8")
    .replace(/simple = \{ limit = \d+, period = (\d+) \}/g, `simple = { limit = ${limit}, period = $1 }`)
    // The daily cap on strangers (lib/inbox/daily-cap.ts) is off too: "0" means no cap.
    .replace(/^INBOX_DAILY_CAP = "\d+"$/m, 'INBOX_DAILY_CAP = "0"');
  if (!raised.includes('INBOX_DAILY_CAP = "0"')) throw new Error(`${config} has no INBOX_DAILY_CAP var to lift`);
  writeFileSync(file, raised);
}

/**
 * `wrangler dev` as `npm start` runs it: the one Worker with the built site as static assets, the
 * local D1, loopback fetches allowed (two local sites), and the owner token given as a var.
 */
export function startDev(project: ProjectCopy, port: number, vars: Record<string, string> = {}): Promise<LocalServer> {
  const varArgs = Object.entries({ FETCH_ALLOW_LOOPBACK: "true", ...vars }).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  return startServer(project, ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", ...varArgs], port, "/feed.xml");
}

/** `wrangler dev -c wrangler.api-only.toml`: the same Worker without the static site. */
export function startApiOnlyDev(project: ProjectCopy, port: number, vars: Record<string, string> = {}): Promise<LocalServer> {
  const varArgs = Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  return startServer(
    project,
    ["dev", "-c", "wrangler.api-only.toml", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", ...varArgs],
    port,
    "/api/inbox",
  );
}

/**
 * `fetch` to a `wrangler dev` server that may be reloading a rebuilt `_site`: wrangler retries GET and
 * HEAD itself, but answers any other request caught by the reload with a 503 "Your worker restarted
 * mid-request" and `Retry-After: 0`; that one answer (never the Worker's own 503s) is sent again.
 */
export async function devFetch(url: string, init?: RequestInit, attempts = 40): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, init);
    if (response.status !== 503 || response.headers.get("retry-after") !== "0" || attempt >= attempts) return response;
    const text = await response.clone().text();
    if (!text.startsWith("Your worker restarted mid-request")) return response;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
