/**
 * npm start [-- --port 8788] [--no-watch] [--no-jobs]
 * The whole site on this machine, on one origin as deployed: builds the site for the local URL, applies
 * the D1 migrations to a local database, serves _site/ by Workers Static Assets' rules from its own
 * static server (lib/dev-server/) and passes the Worker's paths (wrangler.toml's run_worker_first, and
 * every POST) to `wrangler dev -c wrangler.api-only.toml` on an internal port, runs the scheduled jobs
 * every minute (as the cron trigger does when deployed), and rebuilds when posts/ or site/ change: in
 * this process, incrementally (the build's cache, lib/site-build/build-cache.ts), so only the files a
 * change touches are rewritten in _site/ and served on the next request. wrangler dev has no assets
 * folder to watch, so a build never reloads it (with one it restarts workerd on every change: 15-27 s
 * at 10,000 posts). Other commands (npm run inbox, tick, ...) find this server through
 * .wrangler/skein-server.json. Ctrl-C stops everything it started. Offline; no Cloudflare account.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { ensureDevToken, ensureOwnerToken } from "../lib/cli/dev-vars.ts";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { type LocalForge, serveCheckout } from "../lib/cli/local-forge.ts";
import { clearServerState, writeServerState } from "../lib/cli/local-server.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { type TreeWatcher, watchTree } from "../lib/cli/watch-tree.ts";
import { READY_CHECK_PATH, relayWranglerOutput } from "../lib/cli/wrangler-output.ts";
import { readWorkerFirst } from "../lib/dev-server/asset-rules.ts";
import { type DevServer, startDevServer } from "../lib/dev-server/server.ts";
import { SiteBuildError } from "../lib/publish/site.ts";
import type { JobsRunReport } from "../lib/shared/api-types.ts";
import { parseInteger } from "../lib/shared/integers.ts";
import { buildSiteFolder, summary } from "./build.ts";

export const USAGE = `Usage: npm start [-- --port 8788] [--no-watch] [--no-jobs] [--jobs-every 60]

  --port N          the local port (default 8788, or $PORT)
  --no-watch        do not rebuild when posts/ or site/ change
  --no-jobs         do not run the scheduled jobs (run them by hand: npm run tick)
  --jobs-every S    run the scheduled jobs every S seconds (default 60, as the cron trigger does)`;

const HOST = "127.0.0.1";
const QUIET_WRANGLER = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };

function log(message: string): void {
  console.log(`[skein] ${message}`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** A free loopback port for the Worker behind the static server. */
function internalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The first free port after `port` (up to 50 further), to suggest when `port` is taken: port + 1 may be another npm start. */
export async function nextFreePort(port: number): Promise<number | undefined> {
  for (let candidate = port + 1; candidate <= Math.min(port + 50, 65535); candidate++) if (await portFree(candidate)) return candidate;
  return undefined;
}

/**
 * What `npm run build` does, for the local URL (SKEIN_URL, set in main()), in this process: Eleventy,
 * the parsed posts and the checked cache objects stay loaded between rebuilds, and `sync` replaces only
 * the files that changed, so the static server serves an edit as soon as it is written.
 */
async function build(root: string, sync: boolean): Promise<boolean> {
  try {
    console.log(summary(await buildSiteFolder(root, "_site", { replace: sync ? "sync" : "rename", servedFirst: true })));
    return true;
  } catch (error) {
    const reason = error instanceof SiteBuildError ? `\n${error.message}` : `: ${error instanceof Error ? error.message : String(error)}`;
    console.error(`Build failed, nothing was written.${reason}`);
    return false;
  }
}

async function waitUntilServing(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** One run of the scheduled jobs; prints a line for each job that did something (and once for the first run). */
async function runJobsOnce(baseUrl: string, token: string, first: boolean): Promise<void> {
  try {
    const response = await fetch(`${baseUrl}/api/jobs/run`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: "{}",
    });
    if (!response.ok) {
      log(`scheduled jobs: HTTP ${response.status}`);
      return;
    }
    const report = (await response.json()) as JobsRunReport;
    if (first)
      log(
        `scheduled jobs ran (${report.jobs
          .filter((job) => job.ran)
          .map((job) => job.job)
          .join(", ")}); they run again every interval`,
      );
    for (const job of report.jobs) {
      if (job.ran && (job.fetches > 0 || job.rows_written > 0 || job.failures.length > 0)) log(`job ${job.job}: ${job.summary}`);
    }
  } catch (error) {
    log(`scheduled jobs could not run: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    port: { type: "string" },
    "no-watch": { type: "boolean", default: false },
    "no-jobs": { type: "boolean", default: false },
    "jobs-every": { type: "string", default: "60" },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}`);
  const portText = values.port ?? process.env.PORT ?? "8788";
  const port = parseInteger(portText, { min: 1, max: 65535 });
  if (port === undefined) throw new UsageError(`not a port: ${portText}`);
  const jobSeconds = parseInteger(values["jobs-every"], { min: 1, max: 86_400 });
  if (jobSeconds === undefined) throw new UsageError(`--jobs-every must be a number of seconds from 1 to 86400, got ${values["jobs-every"]}`);
  const root = process.cwd();
  const baseUrl = `http://${HOST}:${port}`;
  const wrangler = path.join(root, "node_modules", ".bin", "wrangler");

  if (!(await portFree(port))) {
    const free = await nextFreePort(port);
    throw new CliError(
      `port ${port} on ${HOST} is in use. Stop the other server${free ? ` or run: npm start -- --port ${free}` : ", or pick another port: npm start -- --port N"}`,
    );
  }
  const { token, created } = ensureOwnerToken(root);
  if (created) log("created .dev.vars with a local OWNER_TOKEN (the owner API token)");

  log(`building the site for ${baseUrl} ...`);
  process.env.SKEIN_URL = baseUrl;
  if (!(await build(root, false))) throw new CliError("the build failed; fix the files named above and run npm start again.");

  log("applying D1 migrations to the local database (.wrangler/state) ...");
  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, ...QUIET_WRANGLER, CI: "true" },
  });
  if (migrate.status !== 0) {
    console.error(migrate.stdout, migrate.stderr);
    throw new CliError("applying the migrations failed.");
  }

  // Posts written in the owner's pages: a loopback forge over this checkout (docs/writing.md).
  const store = await serveCheckout(root, ensureDevToken(root, "CONTENT_STORE_TOKEN").token);
  const forge: LocalForge | undefined = "forge" in store ? store.forge : undefined;
  const storeVar = forge ? ["--var", `CONTENT_STORE:${forge.contentStore}`] : [];
  if (!forge) log(`writing from the owner's pages is off: ${"why" in store ? store.why : ""}`);

  // The Worker without assets, behind the static server: it reads its own feed over the network (at
  // baseUrl, FETCH_ALLOW_LOOPBACK) as the API-only layout does. Own process group, so stopping it also
  // stops workerd (killing only wrangler leaves it running).
  const workerFirst = readWorkerFirst(readFileSync(path.join(root, "wrangler.toml"), "utf8"));
  const workerUrl = `http://${HOST}:${await internalPort()}`;
  const devArgs = [
    "dev",
    "-c",
    "wrangler.api-only.toml",
    "--ip",
    HOST,
    "--port",
    new URL(workerUrl).port,
    "--var",
    "FETCH_ALLOW_LOOPBACK:true",
    ...storeVar,
    "--show-interactive-dev-session=false",
  ];
  const server = spawn(wrangler, devArgs, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...QUIET_WRANGLER },
  });
  relayWranglerOutput(server.stdout!, process.stdout);
  relayWranglerOutput(server.stderr!, process.stderr);

  let stopping = false;
  let front: DevServer | undefined;
  const watchers: TreeWatcher[] = [];
  let jobTimer: NodeJS.Timeout | undefined;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(jobTimer);
    clearServerState(root, process.pid);
    for (const watcher of watchers) watcher.close();
    void forge?.close();
    void front?.close();
    if (server.pid && server.exitCode === null) {
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const force = setTimeout(() => {
        try {
          if (server.pid) process.kill(-server.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 3000);
      server.once("exit", () => {
        clearTimeout(force);
        process.exit(code);
      });
    } else {
      process.exit(code);
    }
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => stop(0));
  process.on("exit", () => {
    clearServerState(root, process.pid);
    if (server.pid && server.exitCode === null) {
      try {
        process.kill(-server.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
  server.on("exit", (code) => {
    if (!stopping) {
      console.error(`[skein] wrangler stopped (exit ${code}).`);
      stop(code ?? 1);
    }
  });

  if (!(await waitUntilServing(`${workerUrl}${READY_CHECK_PATH}`, server, 60_000))) {
    console.error("[skein] the local Worker did not start; see wrangler's messages above.");
    stop(1);
    return;
  }
  try {
    front = await startDevServer({ folder: path.join(root, "_site"), workerFirst, workerUrl, host: HOST, port });
  } catch (error) {
    console.error(`[skein] could not serve on ${baseUrl}: ${error instanceof Error ? error.message : String(error)}`);
    stop(1);
    return;
  }
  writeServerState(root, { url: baseUrl, pid: process.pid, started_at: new Date().toISOString() });
  log(`Skein is running at ${baseUrl}/`);
  log(`  feed:   ${baseUrl}/feed.xml`);
  log(`  owner:  ${baseUrl}/owner/  (sign in with OWNER_TOKEN from .dev.vars)`);
  log(`  inbox:  POST ${baseUrl}/api/message  (read it with: npm run inbox)`);
  log(`  jobs:   ${values["no-jobs"] ? "not run automatically (npm run tick runs them)" : `every ${jobSeconds} s (npm run tick runs them now)`}`);
  if (forge) log(`  write:  ${baseUrl}/owner/ commits posts into this checkout (git, branch ${forge.contentStore.split("@").at(-1)})`);
  log(`  stop:   Ctrl-C${values["no-watch"] ? "" : "  (rebuilds when posts/ or site/ change)"}`);

  if (!values["no-jobs"]) {
    let first = true;
    jobTimer = setInterval(() => {
      void runJobsOnce(baseUrl, token, first);
      first = false;
    }, jobSeconds * 1000);
  }

  if (!values["no-watch"]) {
    let timer: NodeJS.Timeout | undefined;
    let building = false;
    let again = false;
    const rebuild = async () => {
      if (building) {
        again = true;
        return;
      }
      building = true;
      log("change seen, rebuilding ...");
      // A failed build writes nothing (the errors above name each bad file): the last good one goes on being served.
      if (!(await build(root, true))) log("the site still serves the last good build; fix the file(s) named above and save again.");
      building = false;
      if (again) {
        again = false;
        await rebuild();
      }
    };
    for (const dir of ["posts", "site"]) {
      watchers.push(
        watchTree(path.join(root, dir), () => {
          clearTimeout(timer);
          timer = setTimeout(() => void rebuild(), 50);
        }),
      );
    }
  }
}

if (isEntryPoint(import.meta.url)) await runCommand("npm start", USAGE, main);
