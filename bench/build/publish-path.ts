/**
 * `npm run bench -- --publish`: the publishing job of .github/workflows/deploy.yml, step by step, on
 * this machine, for the example site and for a synthetic site: `npm ci` with a warm npm cache (one
 * unmeasured install first fills it), then `bash scripts/deploy.sh worker --dry-run` -- the build
 * (every post parsed and validated), the feeds checked by Skein's validator, and `wrangler deploy
 * --dry-run` bundling the Worker and reading the assets in place of the upload. The D1 migrations
 * and the upload itself are network round trips to Cloudflare, not measured here.
 */
import { spawn } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { syntheticPost } from "./synthetic-posts.ts";

/** Issue 17's targets, seconds for the whole job (npm ci + build + checks + bundle). */
export const PUBLISH_TARGETS: Record<string, number> = { example: 45, "10000": 60 };

export interface PublishSteps {
  site: string;
  npmCiSeconds: number;
  deploySeconds: number;
  totalSeconds: number;
}

function timed(command: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      CI: "true",
      SKEIN_DRY_RUN_OUTDIR: "dry-run-out",
    };
    for (const key of Object.keys(env)) if (key.startsWith("SKEIN_FEED") || key === "SKEIN_URL" || key === "NODE_OPTIONS") delete env[key];
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-6000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new Error(`\`${command} ${args.join(" ")}\` in ${cwd} failed (exit ${code}):\n${output}`));
    });
  });
}

/** A project copy as a fresh clone has it: its own package-lock.json and no node_modules. */
function cloneLike(parentDir: string, posts: number | "example"): ProjectCopy {
  const copy = posts === "example" ? createProjectCopy({}, parentDir) : createProjectCopy({ posts: {} }, parentDir);
  if (posts !== "example") {
    for (let i = 0; i < posts; i++) {
      const post = syntheticPost(i);
      copy.write(`posts/${post.name}`, post.text);
    }
  }
  rmSync(path.join(copy.root, "node_modules"), { force: true });
  copyFileSync(path.join(REPO_ROOT, "package-lock.json"), path.join(copy.root, "package-lock.json"));
  for (const script of ["scripts/deploy.sh"]) copyFileSync(path.join(REPO_ROOT, script), path.join(copy.root, script));
  return copy;
}

export async function measurePublishPath(parentDir: string, sites: (number | "example")[], progress: (line: string) => void): Promise<PublishSteps[]> {
  const results: PublishSteps[] = [];
  for (const site of sites) {
    const label = site === "example" ? "example" : String(site);
    progress(`publish path, ${label} site: writing a clone-like copy`);
    const copy = cloneLike(parentDir, site);
    try {
      if (results.length === 0) {
        progress("publish path: one unmeasured npm ci, so the npm cache is warm (as actions/setup-node's cache makes it)");
        await timed("npm", ["ci", "--no-audit", "--no-fund"], copy.root);
        rmSync(path.join(copy.root, "node_modules"), { recursive: true, force: true });
      }
      const npmCiSeconds = await timed("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], copy.root);
      progress(`publish path, ${label}: npm ci ${npmCiSeconds.toFixed(1)} s`);
      const deploySeconds = await timed("bash", ["scripts/deploy.sh", "worker", "--dry-run"], copy.root);
      progress(`publish path, ${label}: build + check + wrangler deploy --dry-run ${deploySeconds.toFixed(1)} s`);
      results.push({ site: label, npmCiSeconds, deploySeconds, totalSeconds: npmCiSeconds + deploySeconds });
    } finally {
      copy.cleanup();
    }
  }
  return results;
}

export function renderPublish(results: readonly PublishSteps[]): string {
  const lines = ["Publishing path (deploy.yml's job: npm ci with a warm cache, then scripts/deploy.sh worker --dry-run):"];
  for (const r of results) {
    const target = PUBLISH_TARGETS[r.site];
    const verdict = target === undefined ? "" : r.totalSeconds <= target ? `  PASS (<= ${target} s)` : `  FAIL (> ${target} s)`;
    lines.push(
      `  ${r.site.padEnd(7)} npm ci ${r.npmCiSeconds.toFixed(1).padStart(6)} s  build+check+bundle ${r.deploySeconds.toFixed(1).padStart(6)} s  total ${r.totalSeconds.toFixed(1).padStart(6)} s${verdict}`,
    );
  }
  return lines.join("\n");
}
