/**
 * npm run bench:inbox: issue 3's load benchmark of the inbox. A script, never a test: figures are
 * printed and compared with targets, never asserted as timed tests.
 *
 * A throw-away copy of this project (example content) is built for its local URL, its minified
 * bundles are measured (before any benchmark route exists), two routes are written only into the copy,
 * its local D1 is migrated, and it is served by `wrangler pages dev` with the rate limits off (the load
 * comes from one IP). autocannon drives three routes with the same unique message per request:
 *   - bare (functions/api/bare.ts): a Hono route returning 201; the baseline of the issue's targets;
 *   - one D1 insert (functions/api/bare-insert.ts): the same plus ONE plain INSERT of the request body
 *     into bench_reference, a table from a copy-only migration (migrations/9000_bench_reference.sql);
 *     a reference, never a target: it shows how much of the gap to bare any D1-writing route has under
 *     wrangler pages dev, as opposed to the inbox's own work;
 *   - inbox: POST /api/message.
 * Runs alternate bare, insert, inbox, bare, insert, inbox, ... and the medians and ratios are reported
 * (inbox / bare against the issue's targets; one D1 insert / bare and inbox / one D1 insert as
 * information), since on a shared machine only ratios measured side by side mean anything. Then the
 * server is stopped and every 201 is looked up in the copy's D1 file: the inbox's in messages ("0
 * lost"), the insert route's in bench_reference (its figures must be those of real writes).
 *
 *   tsx bench/inbox.ts [--duration 10] [--connections 50] [--rounds 3] [--warmup 2]
 *                              [--port N] [--keep] [--json FILE]
 *
 * Progress goes to stderr, the table and the targets to stdout. Exit code: 0 no correctness failure
 * (performance targets may be missed: see "targets"), 1 a correctness failure (lost rows of the inbox
 * or of the insert route, 5xx, or answers other than 201), 2 bad options or a setup step that failed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { INBOX_ROUTE } from "../lib/shared/urls.ts";
import { type BundleSize, measureBundles } from "./inbox/bundle.ts";
import { Ledger, messageJson, messageTextOfBody, ROUTE_ORDER, ROUTES, type RouteName, type RunStats, runLoad, stopActiveRun } from "./inbox/load.ts";
import { checkLost } from "./inbox/lost-check.ts";
import { checkReference, checkTargets, computeRatios, renderReport, summarizeRoute } from "./inbox/report.ts";
import {
  addBenchmarkRoutes,
  buildProjectCopy,
  type DevServer,
  freePort,
  isPortFree,
  localUrl,
  ownerApiMessageCount,
  prepareInbox,
  REFERENCE_TABLE,
  startPagesDev,
  storedBodies,
} from "./inbox/server.ts";

const USAGE = `Usage: npm run bench:inbox -- [options]
  --duration S      seconds per measured run (default: 10)
  --connections N   concurrent connections (default: 50)
  --rounds N        measured rounds; each is one bare, one insert, then one inbox run (default: 3)
  --warmup S        unmeasured warm-up seconds per route before the rounds (default: 2; 0 skips it)
  --port N          port of the local server (default: a free one)
  --keep            keep the temporary folder (project copy, D1 file, bundles); its path is printed
  --json FILE       also write the results as JSON
  --help`;

interface Options {
  durationSeconds: number;
  connections: number;
  rounds: number;
  warmupSeconds: number;
  port: number | undefined;
  keep: boolean;
  json: string | undefined;
}

function integer(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${what} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      rounds: { type: "string", default: "3" },
      warmup: { type: "string", default: "2" },
      port: { type: "string" },
      keep: { type: "boolean", default: false },
      json: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  return {
    durationSeconds: integer(values.duration, "--duration", 1, 3600),
    connections: integer(values.connections, "--connections", 1, 10_000),
    rounds: integer(values.rounds, "--rounds", 1, 100),
    warmupSeconds: integer(values.warmup, "--warmup", 0, 600),
    port: values.port === undefined ? undefined : integer(values.port, "--port", 1, 65535),
    keep: values.keep,
    json: values.json,
  };
}

const progress = (line: string) => process.stderr.write(`[bench:inbox] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One request per route before any load, so a misconfigured copy fails in seconds, not after the runs. */
async function preflight(url: string, route: RouteName, ledger: Ledger): Promise<void> {
  const n = ledger.next++;
  const response = await fetch(`${url}${ROUTES[route]}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: messageJson(n) });
  const text = await response.text();
  ledger.answered.add(n);
  if (response.status === 201) ledger.created.add(n);
  else throw new Error(`POST ${ROUTES[route]} answered ${response.status} instead of 201: ${text.slice(0, 500)}`);
}

function describeRun(run: RunStats): string {
  const other = Object.entries(run.statuses).filter(([code]) => code !== "201");
  return (
    `${run.route} ${run.round === 0 ? "warm-up" : `round ${run.round}`}: ${Math.round(run.requestsPerSecond)} req/s, ` +
    `p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ${run.created} x 201` +
    (other.length ? `, ${other.map(([code, count]) => `${count} x ${code}`).join(", ")}` : "") +
    (run.errors ? `, ${run.errors} errors (${run.timeouts} timeouts)` : "")
  );
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const opts = options;

  const workDir = mkdtempSync(path.join(os.tmpdir(), "skein-bench-inbox-"));
  let server: DevServer | undefined;
  const removeWorkDir = () => {
    if (opts.keep) progress(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };
  // Ctrl-C: stop the load, the server's whole process group and the temp folder, then leave.
  const interrupted = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping`);
    stopActiveRun();
    server?.killNow();
    removeWorkDir();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  try {
    if (opts.port !== undefined && !(await isPortFree(opts.port))) throw new Error(`port ${opts.port} on 127.0.0.1 is in use; pick another with --port`);
    const port = opts.port ?? (await freePort());
    const url = localUrl(port);

    progress(`building a project copy for ${url} in ${workDir} ...`);
    const copy = buildProjectCopy(workDir, url);
    progress("bundling the functions (Pages and Worker, minified) ...");
    const bundles: BundleSize[] = measureBundles(copy, workDir);
    // After the bundles (they must not contain benchmark routes), before the migrations (the
    // reference table's migration is one of them).
    addBenchmarkRoutes(copy);
    progress("migrating the local D1 ...");
    const ownerToken = prepareInbox(copy);
    progress("starting wrangler pages dev ...");
    server = await startPagesDev(copy, port, { RATE_LIMIT_PER_IP: "0", RATE_LIMIT_PER_SENDER: "0" });

    const ledgers: Record<RouteName, Ledger> = { bare: new Ledger(), insert: new Ledger(), inbox: new Ledger() };
    for (const route of ROUTE_ORDER) await preflight(url, route, ledgers[route]);

    const load = async (route: RouteName, round: number, durationSeconds: number) => {
      const run = await runLoad({ baseUrl: url, route, round, connections: opts.connections, durationSeconds, ledger: ledgers[route] });
      progress(describeRun(run));
      return run;
    };
    const warmups: RunStats[] = [];
    if (opts.warmupSeconds > 0) {
      progress(`warm-up: ${opts.warmupSeconds} s per route (not measured) ...`);
      for (const route of ROUTE_ORDER) warmups.push(await load(route, 0, opts.warmupSeconds));
    }
    progress(`${opts.rounds} rounds of ${opts.durationSeconds} s per route, ${opts.connections} connections ...`);
    const runs: RunStats[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const route of ROUTE_ORDER) runs.push(await load(route, round, opts.durationSeconds));
    }

    // Requests cut off when the last run stopped may still be finishing inside workerd.
    await sleep(1000);
    let ownerApiTotal: number | undefined;
    try {
      ownerApiTotal = await ownerApiMessageCount(url, INBOX_ROUTE, ownerToken);
    } catch (error) {
      progress(`could not read the owner API count: ${(error as Error).message}`);
    }
    const serverOutput = server.output();
    await server.stop();
    server = undefined;

    progress("reading the stored rows from the local D1 ...");
    const lost = checkLost(ledgers.inbox, storedBodies(copy, "messages"));
    // The insert route stored whole request bodies; a row that is not one of ours counts as foreign.
    const insertLost = checkLost(
      ledgers.insert,
      storedBodies(copy, REFERENCE_TABLE).map((body) => messageTextOfBody(body) ?? ""),
    );
    if (ownerApiTotal !== undefined && ownerApiTotal !== lost.storedRows) {
      progress(`note: the owner API counted ${ownerApiTotal} messages, the D1 file holds ${lost.storedRows} (requests still finishing when it was asked?)`);
    }

    const allRuns = [...warmups, ...runs];
    const bare = summarizeRoute("bare", runs);
    const insert = summarizeRoute("insert", runs);
    const inbox = summarizeRoute("inbox", runs);
    const ratios = computeRatios(runs, bare, inbox);
    const insertVsBare = computeRatios(runs, bare, insert);
    const inboxVsInsert = computeRatios(runs, insert, inbox);
    const targets = checkTargets({ ratios, bundles, lost, runs: allRuns });
    const referenceChecks = checkReference(insertLost);
    console.log(
      renderReport({
        url,
        connections: opts.connections,
        durationSeconds: opts.durationSeconds,
        runs,
        bare,
        insert,
        inbox,
        ratios,
        insertVsBare,
        inboxVsInsert,
        bundles,
        lost,
        insertLost,
        ownerApiTotal,
        targets,
        referenceChecks,
      }),
    );

    const failed = [...targets, ...referenceChecks].filter((t) => t.kind === "correctness" && !t.pass);
    if (failed.length && serverOutput.trim()) {
      progress(`wrangler's warnings and errors (last part):\n${serverOutput.slice(-8000)}`);
    }
    if (opts.json) {
      const results = {
        options: { durationSeconds: opts.durationSeconds, connections: opts.connections, rounds: opts.rounds, warmupSeconds: opts.warmupSeconds },
        url,
        node: process.version,
        platform: `${os.platform()} ${os.arch()}, ${os.cpus().length} cores`,
        warmups,
        runs,
        summary: { bare, insert, inbox, ratios, insertVsBare, inboxVsInsert },
        bundles,
        lost,
        insertLost,
        ownerApiTotal,
        targets,
        referenceChecks,
        ok: failed.length === 0,
      };
      writeFileSync(opts.json, `${JSON.stringify(results, null, 2)}\n`);
      progress(`wrote ${opts.json}`);
    }
    for (const target of failed) progress(`FAILED: ${target.name}: ${target.value}`);
    return failed.length ? 1 : 0;
  } catch (error) {
    console.error(`[bench:inbox] ${(error as Error).message}`);
    return 2;
  } finally {
    await server?.stop();
    removeWorkDir();
  }
}

process.exit(await main());
