/**
 * How every command finds the Worker it talks to: `--url` first, then SKEIN_API_URL, then the
 * server `npm start` is running right now -- it writes its address to .wrangler/skein-server.json
 * when it is up and removes it when it stops, so `npm start -- --port 8801` is found on 8801. The
 * owner token: `--token`, then SKEIN_OWNER_TOKEN, then (for the local server) OWNER_TOKEN in
 * .dev.vars.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readDevVar } from "./dev-vars.ts";
import { CliError, UsageError } from "./run.ts";

export const SERVER_STATE_FILE = ".wrangler/skein-server.json";

export interface ServerState {
  url: string;
  /** The npm start process: the file is stale when it is gone. */
  pid: number;
  started_at: string;
}

export function writeServerState(root: string, state: ServerState): void {
  const file = path.join(root, SERVER_STATE_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** Remove the file, but only if it is ours (another npm start may have replaced it). */
export function clearServerState(root: string, pid: number): void {
  const state = readServerState(root);
  if (state && state.pid === pid) rmSync(path.join(root, SERVER_STATE_FILE), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readServerState(root: string): ServerState | undefined {
  const file = path.join(root, SERVER_STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as ServerState;
    return typeof state.url === "string" && Number.isInteger(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The running local server, if `npm start` is running in this folder. */
export function runningLocalServer(root: string): ServerState | undefined {
  const state = readServerState(root);
  return state && alive(state.pid) ? state : undefined;
}

export interface Target {
  url: string;
  token: string | undefined;
  local: boolean;
}

export interface TargetOptions {
  url?: string | undefined;
  token?: string | undefined;
}

function normalizedUrl(text: string, from: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${from} must be an absolute URL such as https://you.example, got ${text}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`${from} must be an http(s) URL, got ${text}`);
  return url.href.replace(/\/+$/, "");
}

/** Where to send owner API requests, and with which token. */
export function resolveTarget(root: string, options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Target {
  let url: string;
  let local = false;
  if (options.url) url = normalizedUrl(options.url, "--url");
  else if (env.SKEIN_API_URL) url = normalizedUrl(env.SKEIN_API_URL, "SKEIN_API_URL");
  else {
    const running = runningLocalServer(root);
    if (!running) {
      throw new CliError(
        `no running Skein server found here (npm start writes ${SERVER_STATE_FILE} while it runs). Start one with \`npm start\`, or pass --url https://your-site.example`,
      );
    }
    url = running.url;
    local = true;
  }
  if (!local) local = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(url);
  const token = options.token ?? env.SKEIN_OWNER_TOKEN ?? (local ? readDevVar(root, "OWNER_TOKEN") : undefined);
  return { url, token, local };
}
