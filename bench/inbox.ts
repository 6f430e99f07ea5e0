/**
 * npm run bench:inbox: what the inbox costs as ONE Cloudflare Worker with Static Assets (issue #7),
 * measured under `wrangler dev`. A script, never a test: figures are printed with ratios against
 * baselines measured in the same run, and compared with targets; nothing timed is asserted.
 *
 * A throw-away copy of this project (example content) is built for its local URL, then:
 *   1. bundle: `wrangler deploy --dry-run --minify` for wrangler.toml and wrangler.api-only.toml, from
 *      the copy before any benchmark code is written into it; sizes against the e2e tests' guard, and
 *      what the bundle is made of (esbuild's metafile);
 *   3. D1 cost per request kind: the real Worker with the REAL rate limits of wrangler.toml and the
 *      D1 meter on (D1_METER_HEADER=true: Server-Timing from D1's own meta.rows_written): an accepted
 *      message, its duplicate, reply notifications (their verification after the response measured
 *      with the scheduled jobs' report), 403, 400, 415, 413, 404 and both 429s;
 *   3b. signatures (inbox/signing.ts): unsigned messages against signed ones from new senders (a
 *      key fetch each) and from the same senders again (keys cached); CPU of one verification;
 *   4. flood: N requests from one client, each with a new sender and text, on the same server: rows
 *      written (summed from the headers, cross-checked against the rows in D1 after the server stopped);
 *   2. load: a wrapper entry written only into the copy puts a bare route and a one-D1-insert route in
 *      the same Worker as the inbox; the copy's rate limits are raised (the load comes from one address);
 *      autocannon runs interleaved rounds bare, insert, inbox after a warm-up; medians and ratios; then
 *      every 201 is looked up in D1 (0 lost) after the server stopped.
 * Phases run in the order 1, 3, 4, 2 (the real-limits server before the copy is changed for the load)
 * and are printed in the order 1-4.
 *
 * Progress goes to stderr, the tables and verdicts to stdout. Exit code: 0 no correctness failure
 * (targets may be missed: MISS), 1 a correctness failure (lost rows, 5xx, a refusal that wrote rows,
 * unexpected statuses), 2 bad options or a setup step that failed. Ctrl-C stops the load, every
 * process group the benchmark started (no workerd is left) and removes the temporary folder.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type ProjectCopy, REPO_ROOT } from "../lib/harness/project-copy.ts";
import { INBOX_ROUTE } from "../lib/shared/urls.ts";
import { type BundleReport, bundleChecks, measureBundles, renderBundles } from "./inbox/bundle.ts";
import { type D1CostReport, measureD1Costs, renderD1Costs } from "./inbox/d1-cost.ts";
import { type ReplierFeeds, startReplierFeeds } from "./inbox/feed-server.ts";
import { FLOOD_LIKE_PREFIX, type FloodReport, floodChecks, matchStored, renderFlood, runFlood, stopFlood } from "./inbox/flood.ts";
import { type Check, renderChecks } from "./inbox/format.ts";
import { Ledger, messageJson, messageTextOfBody, ROUTE_ORDER, ROUTES, type RouteName, type RunStats, runLoad, stopActiveRun } from "./inbox/load.ts";
import { checkLost } from "./inbox/lost-check.ts";
import { checkReference, checkTargets, computeRatios, type LoadReport, renderLoad, summarizeRoute } from "./inbox/report.ts";
import {
  addBenchEntry,
  buildProjectCopy,
  type DevServer,
  freePort,
  isPortFree,
  killEverything,
  localUrl,
  migrateLocal,
  ownerGet,
  REFERENCE_TABLE,
  readRateLimits,
  readSiteConfig,
  startWorkerDev,
  storedBodies,
} from "./inbox/server.ts";
import { measureSigning, renderSigning, type SigningReport } from "./inbox/signing.ts";

const PHASES = ["bundle", "load", "kinds", "signing", "flood"] as const;
type Phase = (typeof PHASES)[number];

const USAGE = `Usage: npm run bench:inbox -- [options]
  --duration S      seconds per measured load run (default: 10)
  --connections N   concurrent connections of the load runs and of the flood (default: 50)
  --rounds N        measured load rounds; each is one bare, one insert, then one inbox run (default: 3)
  --warmup S        unmeasured warm-up seconds per route before the rounds (default: 2; 0 skips it)
  --flood N         requests of the one-client flood against the real rate limits (default: 2000; 0 skips it)
  --skip LIST       phases to leave out, comma-separated: ${PHASES.join(", ")}
  --port N          port of the local server (default: a free one)
  --keep            keep the temporary folder (project copy, D1 files, bundles, metafile); its path is printed
  --json FILE       also write the results as JSON
  --help`;

interface Options {
  durationSeconds: number;
  connections: number;
  rounds: number;
  warmupSeconds: number;
  flood: number;
  skip: Set<Phase>;
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

function phases(text: string): Set<Phase> {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names)
    if (!(PHASES as readonly string[]).includes(name)) throw new Error(`--skip: unknown phase "${name}" (phases: ${PHASES.join(", ")})`);
  return new Set(names as Phase[]);
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "50" },
      rounds: { type: "string", default: "3" },
      warmup: { type: "string", default: "2" },
      flood: { type: "string", default: "2000" },
      skip: { type: "string", default: "" },
      port: { type: "string" },
      keep: { type: "boolean", default: false },
      json: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const skip = phases(values.skip);
  const flood = integer(values.flood, "--flood", 0, 1_000_000);
  if (flood === 0) skip.add("flood");
  return {
    durationSeconds: integer(values.duration, "--duration", 1, 3600),
    connections: integer(values.connections, "--connections", 1, 10_000),
    rounds: integer(values.rounds, "--rounds", 1, 100),
    warmupSeconds: integer(values.warmup, "--warmup", 0, 600),
    flood,
    skip,
    port: values.port === undefined ? undefined : integer(values.port, "--port", 1, 65535),
    keep: values.keep,
    json: values.json,
  };
}

const progress = (line: string) => process.stderr.write(`[bench:inbox] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each phase's D1, so the load's lost-rows check sees only the load's rows. */
const REAL_STATE = ".wrangler/bench-real-limits";
const LOAD_STATE = ".wrangler/bench-load";

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

interface Results {
  bundles?: BundleReport;
  kinds?: D1CostReport;
  signing?: SigningReport;
  flood?: FloodReport;
  load?: LoadReport;
}

/** Phases 3 and 4: the real Worker, the real limits, the D1 meter on. */
async function realLimitsPhases(
  copy: ProjectCopy,
  port: number,
  opts: Options,
  state: { server?: DevServer; feeds?: ReplierFeeds },
  results: Results,
): Promise<string> {
  const url = localUrl(port);
  const config = readSiteConfig(copy);
  const limits = readRateLimits(copy);
  const ipLimit = limits.find((limit) => limit.name === "INBOX_IP_LIMIT");
  if (!ipLimit) throw new Error("the copy's wrangler.toml has no INBOX_IP_LIMIT rate limit");
  const token = randomBytes(18).toString("base64url");
  const runId = randomBytes(3).toString("hex");
  progress("migrating the real-limits server's local D1 ...");
  await migrateLocal(copy, REAL_STATE);
  const lastRange = config.post_ids.at(-1);
  if (!lastRange) throw new Error("the copy's site has no published post");
  state.feeds = await startReplierFeeds(config.owner, lastRange[1]);
  progress(`starting wrangler dev (real rate limits: ${limits.map((l) => `${l.name} ${l.limit}/${l.periodSeconds} s`).join(", ")}; D1 meter on) ...`);
  state.server = await startWorkerDev(copy, port, {
    persistTo: REAL_STATE,
    vars: { D1_METER_HEADER: "true", FETCH_ALLOW_LOOPBACK: "true", OWNER_TOKEN: token },
  });

  if (!opts.skip.has("kinds")) {
    results.kinds = await measureD1Costs({ url, token, config, feeds: state.feeds, limits, runId, progress });
  }
  if (!opts.skip.has("signing")) results.signing = await measureSigning({ url, runId, progress });
  let floodRun: Awaited<ReturnType<typeof runFlood>> | undefined;
  if (!opts.skip.has("flood")) {
    progress(`flood: ${opts.flood} requests from one client ...`);
    floodRun = await runFlood({ url, requests: opts.flood, concurrency: opts.connections, runId, ipLimit, progress });
    progress(
      `flood: ${floodRun.accepted.length} x 201, ${floodRun.refused.length} x 429 in ${floodRun.seconds.toFixed(1)} s; ${floodRun.rowsWritten.total} rows written`,
    );
  }
  await sleep(500);
  const output = state.server.output();
  await state.server.stop();
  state.server = undefined;
  await state.feeds.close();
  state.feeds = undefined;
  if (floodRun) {
    progress("reading the flood's rows from the local D1 ...");
    const stored = matchStored(floodRun, await storedBodies(copy, REAL_STATE, "messages", FLOOD_LIKE_PREFIX));
    const limit = { limit: ipLimit.limit, periodSeconds: ipLimit.periodSeconds };
    results.flood = { run: floodRun, stored, ipLimit: limit, checks: floodChecks(floodRun, stored, limit) };
  }
  return output;
}

/** Phase 2: the wrapper entry, raised limits, interleaved autocannon rounds, then the lost-rows check. */
async function loadPhase(copy: ProjectCopy, port: number, opts: Options, state: { server?: DevServer }, results: Results): Promise<string> {
  const url = localUrl(port);
  const token = randomBytes(18).toString("base64url");
  const entry = addBenchEntry(copy);
  progress(`load: ${entry.entryFile} and ${entry.migrationFile} written into the copy; its wrangler.toml points at the wrapper, limits raised`);
  await migrateLocal(copy, LOAD_STATE);
  progress("starting wrangler dev for the load ...");
  state.server = await startWorkerDev(copy, port, { persistTo: LOAD_STATE, vars: { OWNER_TOKEN: token } });

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
    ownerApiTotal = (await ownerGet<{ messages?: { total?: number } }>(url, INBOX_ROUTE, token)).messages?.total;
  } catch (error) {
    progress(`could not read the owner API count: ${(error as Error).message}`);
  }
  const output = state.server.output();
  await state.server.stop();
  state.server = undefined;

  progress("reading the load's rows from the local D1 ...");
  const lost = checkLost(ledgers.inbox, await storedBodies(copy, LOAD_STATE, "messages"));
  // The insert route stored whole request bodies; a row that is not one of ours counts as foreign.
  const insertLost = checkLost(
    ledgers.insert,
    (await storedBodies(copy, LOAD_STATE, REFERENCE_TABLE)).map((body) => messageTextOfBody(body) ?? ""),
  );
  if (ownerApiTotal !== undefined && ownerApiTotal !== lost.storedRows) {
    progress(`note: the owner API counted ${ownerApiTotal} messages, the D1 file holds ${lost.storedRows} (requests still finishing when it was asked?)`);
  }
  const bare = summarizeRoute("bare", runs);
  const insert = summarizeRoute("insert", runs);
  const inbox = summarizeRoute("inbox", runs);
  const ratios = computeRatios(runs, bare, inbox);
  results.load = {
    url,
    connections: opts.connections,
    durationSeconds: opts.durationSeconds,
    rounds: opts.rounds,
    warmupSeconds: opts.warmupSeconds,
    raisedLimit: entry.raisedLimit,
    runs,
    warmups,
    bare,
    insert,
    inbox,
    ratios,
    insertVsBare: computeRatios(runs, bare, insert),
    inboxVsInsert: computeRatios(runs, insert, inbox),
    lost,
    insertLost,
    ownerApiTotal,
    checks: [...checkTargets({ ratios, lost, runs: [...warmups, ...runs] }), ...checkReference(insertLost)],
  };
  return output;
}

function allChecks(results: Results): Array<[string, Check[]]> {
  const groups: Array<[string, Check[]]> = [];
  if (results.bundles) groups.push(["1. bundle", bundleChecks(results.bundles)]);
  if (results.load) groups.push(["2. load", results.load.checks]);
  if (results.kinds) groups.push(["3. D1 cost per request kind", results.kinds.checks]);
  if (results.signing) groups.push(["3b. signatures", results.signing.checks]);
  if (results.flood) groups.push(["4. flood", results.flood.checks]);
  return groups;
}

function render(results: Results, opts: Options): string {
  const sections: string[] = [];
  if (results.bundles) sections.push(renderBundles(results.bundles));
  if (results.load) sections.push(renderLoad(results.load));
  if (results.kinds) sections.push(renderD1Costs(results.kinds));
  if (results.signing) sections.push(renderSigning(results.signing));
  if (results.flood) sections.push(renderFlood(results.flood));
  const skipped = [...opts.skip];
  const verdicts = ["Verdicts (PASS; MISS = a target missed, exit 0; FAIL = a correctness failure, exit 1)"];
  for (const [group, checks] of allChecks(results)) {
    const count = (pass: boolean, kind?: Check["kind"]) => checks.filter((c) => c.pass === pass && (kind === undefined || c.kind === kind)).length;
    verdicts.push(`  ${group}: ${count(true)} PASS, ${count(false, "target")} MISS, ${count(false, "correctness")} FAIL`);
    verdicts.push(...renderChecks(checks.filter((check) => !check.pass)).map((line) => `  ${line}`));
  }
  if (skipped.length) verdicts.push(`  skipped: ${skipped.join(", ")}`);
  return [...sections, verdicts.join("\n")].join("\n\n");
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
  const state: { server?: DevServer; feeds?: ReplierFeeds } = {};
  let removed = false;
  const removeWorkDir = () => {
    if (removed) return;
    removed = true;
    if (opts.keep) progress(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };
  // Ctrl-C: stop the load or the flood, every process group started (servers, wrangler tools), the
  // feed server and the temp folder, then leave.
  const interrupted = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping`);
    stopActiveRun();
    stopFlood();
    killEverything();
    void state.feeds?.close();
    removeWorkDir();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  const results: Results = {};
  const serverOutputs: string[] = [];
  try {
    if (opts.port !== undefined && !(await isPortFree(opts.port))) throw new Error(`port ${opts.port} on 127.0.0.1 is in use; pick another with --port`);
    const port = opts.port ?? (await freePort());
    const url = localUrl(port);

    progress(`building a project copy for ${url} in ${workDir} ...`);
    const copy = await buildProjectCopy(workDir, url);
    if (!opts.skip.has("bundle")) {
      progress("bundling the Worker (wrangler.toml, wrangler.api-only.toml; minified, with esbuild's metafile) ...");
      results.bundles = await measureBundles(copy, workDir, REPO_ROOT);
    }
    if (!opts.skip.has("kinds") || !opts.skip.has("signing") || !opts.skip.has("flood"))
      serverOutputs.push(await realLimitsPhases(copy, port, opts, state, results));
    if (!opts.skip.has("load")) serverOutputs.push(await loadPhase(copy, port, opts, state, results));

    console.log(render(results, opts));
    const failed = allChecks(results)
      .flatMap(([, checks]) => checks)
      .filter((check) => check.kind === "correctness" && !check.pass);
    const output = serverOutputs.join("\n").trim();
    if (failed.length && output) progress(`wrangler's warnings and errors (last part):\n${output.slice(-8000)}`);
    if (opts.json) {
      const json = {
        options: { ...opts, skip: [...opts.skip] },
        url,
        node: process.version,
        platform: `${os.platform()} ${os.arch()}, ${os.cpus().length} cores`,
        ...results,
        flood: results.flood
          ? { ...results.flood, run: { ...results.flood.run, accepted: results.flood.run.accepted.length, refused: results.flood.run.refused.length } }
          : undefined,
        verdicts: Object.fromEntries(allChecks(results)),
        ok: failed.length === 0,
      };
      writeFileSync(opts.json, `${JSON.stringify(json, null, 2)}\n`);
      progress(`wrote ${opts.json}`);
    }
    for (const check of failed) progress(`FAILED: ${check.name}: ${check.value}`);
    return failed.length ? 1 : 0;
  } catch (error) {
    console.error(`[bench:inbox] ${(error as Error).message}`);
    return 2;
  } finally {
    await state.server?.stop();
    await state.feeds?.close();
    killEverything();
    removeWorkDir();
  }
}

process.exit(await main());
