/**
 * npm start [-- --port 8788] [--no-watch]
 * The whole site on this machine: builds it for the local URL, applies the D1 migrations to a local
 * database, serves site + inbox functions with `wrangler pages dev`, and rebuilds when posts/ or site/
 * change. Ctrl-C stops everything it started. Offline; no Cloudflare account.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { watch, type FSWatcher } from "node:fs";
import net from "node:net";
import path from "node:path";
import { ensureOwnerToken } from "./dev-vars.ts";

const root = process.cwd();
const args = process.argv.slice(2);
const portIndex = args.indexOf("--port");
const port = Number(portIndex >= 0 ? args[portIndex + 1] : (process.env.PORT ?? 8788));
const watchFiles = !args.includes("--no-watch");
const host = "127.0.0.1";
const baseUrl = `http://${host}:${port}`;
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const quietWrangler = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };

function log(message: string): void {
  console.log(`[skein] ${message}`);
}

function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(p, host, () => server.close(() => resolve(true)));
  });
}

function build(sync: boolean): boolean {
  // The same command as `npm run build`.
  const result = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", "scripts/build.ts", ...(sync ? ["--sync"] : [])], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, SKEIN_URL: baseUrl },
  });
  return result.status === 0;
}

async function waitUntilServing(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(url);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main(): Promise<void> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
  if (!(await portFree(port))) {
    console.error(`[skein] port ${port} on ${host} is in use. Stop the other server or run: npm start -- --port ${port + 1}`);
    process.exit(1);
  }
  const { created } = ensureOwnerToken(root);
  if (created) log("created .dev.vars with a local OWNER_TOKEN (the owner API token)");

  log(`building the site for ${baseUrl} ...`);
  if (!build(false)) {
    console.error("[skein] the build failed; fix the files named above and run npm start again.");
    process.exit(1);
  }

  log("applying D1 migrations to the local database (.wrangler/state) ...");
  const migrate = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, ...quietWrangler, CI: "true" },
  });
  if (migrate.status !== 0) {
    console.error(migrate.stdout, migrate.stderr);
    console.error("[skein] applying the migrations failed.");
    process.exit(1);
  }

  // Own process group, so stopping it also stops workerd (killing only npx/wrangler leaves it running).
  const server = spawn(
    bin("wrangler"),
    ["pages", "dev", "_site", "--ip", host, "--port", String(port), "--binding", "VERIFY_ALLOW_PRIVATE_HOSTS=true", "--show-interactive-dev-session=false"],
    { cwd: root, detached: true, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...quietWrangler } },
  );

  let stopping = false;
  const watchers: FSWatcher[] = [];
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const watcher of watchers) watcher.close();
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

  if (!(await waitUntilServing(`${baseUrl}/`, server, 60_000))) {
    console.error("[skein] the local server did not start; see wrangler's messages above.");
    stop(1);
    return;
  }
  log(`Skein is running at ${baseUrl}/`);
  log(`  feed:   ${baseUrl}/feed.xml`);
  log(`  inbox:  POST ${baseUrl}/api/message  (read it with: npm run inbox)`);
  log(`  stop:   Ctrl-C${watchFiles ? "  (rebuilds when posts/ or site/ change)" : ""}`);

  if (watchFiles) {
    let timer: NodeJS.Timeout | undefined;
    let building = false;
    let again = false;
    const rebuild = () => {
      if (building) {
        again = true;
        return;
      }
      building = true;
      log("change seen, rebuilding ...");
      build(true);
      building = false;
      if (again) {
        again = false;
        rebuild();
      }
    };
    for (const dir of ["posts", "site"]) {
      watchers.push(
        watch(path.join(root, dir), { recursive: true }, () => {
          clearTimeout(timer);
          timer = setTimeout(rebuild, 300);
        }),
      );
    }
  }
}

await main();
