/**
 * What `npm start` passes on of wrangler dev's output: everything but the warnings that are not true
 * there. npm start runs the scheduled jobs itself (so "Scheduled Workers are not automatically
 * triggered" is wrong), and the Env types are checked by `npm run typecheck` against
 * worker-configuration.d.ts (so "Your types might be out of date" only repeats what that check says).
 * A warning is its first line and the indented or blank lines under it.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

/**
 * The path of npm start's own readiness check (the Worker answers it 404): wrangler logs each request's
 * path, without its query, and this one is not the user's to see.
 */
export const READY_CHECK_PATH = "/api/npm-start-ready-check";

/**
 * Also "Ready on http://127.0.0.1:<port>": that is the Worker's internal port behind npm start's own
 * server (lib/dev-server/), which serves no page; npm start names the address to open itself. And the
 * log line of npm start's own readiness check (a 404 nobody asked for).
 */
const NOT_TRUE_UNDER_NPM_START = [
  /Scheduled Workers are not automatically triggered/,
  /Your types might be out of date/,
  /Ready on https?:\/\//,
  new RegExp(`${READY_CHECK_PATH} `),
];

const ANSI = /\u001b\[[0-9;]*m/g;

/** A line filter: false for the lines of a warning that is not true under npm start. */
export function wranglerLineFilter(): (line: string) => boolean {
  let skipping = false;
  return (line) => {
    const plain = line.replace(ANSI, "");
    if (NOT_TRUE_UNDER_NPM_START.some((pattern) => pattern.test(plain))) {
      skipping = true;
      return false;
    }
    if (skipping && (plain.trim() === "" || /^\s/.test(plain))) return false;
    skipping = false;
    return true;
  };
}

/** Copies `from` to `to` line by line, without the warnings that are not true under npm start. */
export function relayWranglerOutput(from: Readable, to: Writable): void {
  const keep = wranglerLineFilter();
  createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
    if (keep(line)) to.write(`${line}\n`);
  });
}
