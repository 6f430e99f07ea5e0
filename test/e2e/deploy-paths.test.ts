/**
 * Both deploy paths bundle offline, exactly as `npm run deploy` / `npm run deploy:api-only` would (a
 * broken bundle fails here, not in the user's deploy), stay under the bundle guard, and the API-only
 * Worker really serves the inbox at the URLs the static feed advertises when `functions_url` points at
 * it. The two wrangler configs describe the same Worker but for [assets].
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_LIMIT_BYTES } from "../../lib/harness/bundle-guard.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, run, startApiOnlyDev, WRANGLER } from "../../lib/harness/wrangler-server.ts";
import { SCHEDULED_JOBS } from "../../lib/worker/job-list.ts";

const BUNDLE_LIMIT = BUNDLE_LIMIT_BYTES;

function jsBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) total += jsBytes(full);
    else if (/\.m?js$/.test(name)) total += statSync(full).size;
  }
  return total;
}

let project: ProjectCopy;
let apiPort: number;

beforeAll(async () => {
  project = createProjectCopy();
  apiPort = await freePort();
  // The static site lives elsewhere; the feed must advertise the API-only Worker's endpoints.
  buildProject(project, "https://wren.example", { SKEIN_FUNCTIONS_URL: `http://127.0.0.1:${apiPort}` });
});

afterAll(() => project?.cleanup());

describe("the two wrangler configs", () => {
  it("describe the same Worker: everything but [assets] (and the name) is the same", () => {
    const withoutComments = (text: string) =>
      text
        .split("\n")
        .map((line) => line.replace(/\s*#.*$/, ""))
        .filter((line) => line.trim() !== "");
    const main = withoutComments(readFileSync(path.join(REPO_ROOT, "wrangler.toml"), "utf8"));
    const apiOnly = withoutComments(readFileSync(path.join(REPO_ROOT, "wrangler.api-only.toml"), "utf8"));
    const assetsStart = main.indexOf("[assets]");
    const assetsEnd = main.findIndex((line, i) => i > assetsStart && line.startsWith("["));
    const mainWithoutAssets = [...main.slice(0, assetsStart), ...main.slice(assetsEnd)].filter((line) => !line.startsWith("name ="));
    expect(apiOnly.filter((line) => !line.startsWith("name ="))).toEqual(mainWithoutAssets);
  });
});

describe("bundling for deploy", () => {
  it.each([
    ["wrangler.toml (site + API)", "wrangler.toml"],
    ["wrangler.api-only.toml (API only)", "wrangler.api-only.toml"],
  ])("%s: wrangler deploy --dry-run succeeds offline and stays under the guard", (_, config) => {
    const outdir = path.join(os.tmpdir(), `skein-bundle-${process.pid}-${config}`);
    const result = run(WRANGLER, ["deploy", "--dry-run", "--minify", "--outdir", outdir, "-c", config], project.root);
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const bytes = jsBytes(outdir);
    expect(bytes).toBeGreaterThan(1000);
    expect(bytes).toBeLessThanOrEqual(BUNDLE_LIMIT);
  });
});

describe("scripts/deploy.sh --dry-run: the publishing path's steps without the upload", () => {
  const DEPLOY_TIMEOUT = 180_000;
  const env = { CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_ACCOUNT_ID: "", SKEIN_DRY_RUN_OUTDIR: "dry-run-out" };

  it("builds, checks the feeds with Skein's validator, and bundles", { timeout: DEPLOY_TIMEOUT }, () => {
    const site = createProjectCopy();
    try {
      const result = run("bash", ["scripts/deploy.sh", "worker", "--dry-run"], site.root, env);
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toContain("Valid Open Microblog 0.5 (no errors).");
      expect(result.stdout).toContain("--dry-run: exiting now.");
      expect(jsBytes(path.join(site.root, "dry-run-out"))).toBeGreaterThan(1000);
    } finally {
      site.cleanup();
    }
  });

  it("stops at a post that does not parse: no check, no bundle, the previous _site kept", { timeout: DEPLOY_TIMEOUT }, () => {
    const site = createProjectCopy();
    try {
      buildProject(site, "https://wren.example");
      const feedBefore = readFileSync(path.join(site.root, "_site/feed.xml"));
      site.write("posts/2099-01-01-broken.md", "---\nid: [not a number\n---\nBroken\n");
      const result = run("bash", ["scripts/deploy.sh", "worker", "--dry-run"], site.root, env);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("posts/2099-01-01-broken.md");
      expect(result.stdout).not.toContain("Valid Open Microblog");
      expect(`${result.stdout}${result.stderr}`).not.toContain("--dry-run: exiting now.");
      expect(existsSync(path.join(site.root, "dry-run-out"))).toBe(false);
      expect(readFileSync(path.join(site.root, "_site/feed.xml")).equals(feedBefore)).toBe(true);
    } finally {
      site.cleanup();
    }
  });
});

describe("the API-only Worker, served by wrangler dev", () => {
  let server: LocalServer;
  const token = "api-only-test-token";

  beforeAll(async () => {
    migrateLocal(project, "wrangler.api-only.toml");
    server = await startApiOnlyDev(project, apiPort, { OWNER_TOKEN: token });
  });
  afterAll(async () => server?.stop());

  it("takes a message at the URL the static feed advertises, and the owner reads it back", async () => {
    const feed = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(path.join(project.root, "_site/feed.xml"), "utf8"));
    const channel = feed.rss.channel;
    const messageUrl: string = channel["microblog:message"]["#text"];
    expect(messageUrl).toBe(`${server.url}/api/message`);
    const replyUrl: string = channel.item[0]["microblog:reply"];
    expect(replyUrl).toBe(`${server.url}/api/posts/5/reply`);

    const posted = await fetch(messageUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        user_id: "0e9a7c52-61f4-4d3b-b8a2-7c5e1d9f0a13",
        username: "bob",
        user_link: "https://bob.example/feed.xml",
        message: "Hello from the API-only Worker",
        date: "Sat, 16 May 2015 21:32:15 +0000",
      }),
    });
    expect(posted.status).toBe(201);

    const listed = await fetch(`${server.url}/api/inbox/messages`, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { items: { message: string; username: string }[] };
    expect(body.items.map((item) => item.message)).toEqual(["Hello from the API-only Worker"]);

    // The Worker serves only the API; the static site is somewhere else.
    const feedHere = await fetch(`${server.url}/feed.xml`);
    expect(feedHere.status).toBe(404);
    expect(feedHere.headers.get("Content-Type")).toBe("application/problem+json");
  });

  it("runs the scheduled jobs on request (npm run tick's route)", async () => {
    const response = await fetch(`${server.url}/api/jobs/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ all: true }),
    });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { jobs: { job: string; ran: boolean }[] };
    // Every job of lib/worker/job-list.ts, in its order: the API-only Worker runs them all.
    expect(report.jobs.map((job) => [job.job, job.ran])).toEqual(SCHEDULED_JOBS.map((job) => [job.name, true]));
    expect(SCHEDULED_JOBS.map((job) => job.name)).toEqual([
      "inbox.reverify",
      "webmention.verify",
      "outbox.send",
      "webmention.send",
      "write.live",
      "websub.publish",
      "websub.deliver",
      "timeline.poll",
      "timeline.websub",
      "housekeeping",
    ]);
  });
});
