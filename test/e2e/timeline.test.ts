/**
 * Following under real servers: two Skein sites on two loopback ports, each one Worker under
 * `wrangler dev` (as npm start runs it). A follows B with `npm run follow -- <B's home page>` (the
 * feed is found through the page's rel=alternate link), builds, and runs the scheduled jobs with
 * `npm run tick -- --all`: the timeline poller inside workerd reads B's real feed and `npm run
 * timeline` shows B's posts. The next poll is a conditional GET that B's static assets answer with a
 * 304; a new post of B's shows up after B rebuilds.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, run, startDev, TSX } from "../../lib/harness/wrangler-server.ts";
import type { JobsRunReport, ListPage, TimelineFollows, TimelineItem } from "../../lib/shared/api-types.ts";

const A = { username: "ana", user_id: "a4a00000-0000-4000-8000-0000000000a1", token: "token-of-ana" };
const B = { username: "ben", user_id: "be400000-0000-4000-8000-0000000000b2", token: "token-of-ben" };

let projectA: ProjectCopy;
let projectB: ProjectCopy;
let serverA: LocalServer;
let serverB: LocalServer;

function cli(project: ProjectCopy, script: string, ...args: string[]) {
  return run(TSX, [path.join(project.root, script), ...args], project.root);
}

function owner(script: string, ...args: string[]) {
  return cli(projectA, script, ...args, "--url", serverA.url, "--token", A.token);
}

beforeAll(async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  const urlB = `http://127.0.0.1:${portB}`;
  projectB = createProjectCopy({
    profile: profileYaml({ username: B.username, user_id: B.user_id, full_name: "Ben B.", url: urlB }),
    follows: null,
    blocks: null,
    posts: {
      "b0.md": postMarkdown({ id: 0, date: "2026-05-01T09:00:00Z", body: "Ben's first post." }),
      "b1.md": postMarkdown({ id: 1, date: "2026-05-02T09:00:00Z", body: "Hello @ana, welcome!" }),
    },
  });
  projectB.write(".dev.vars", `OWNER_TOKEN=${B.token}\n`);
  buildProject(projectB, urlB);
  migrateLocal(projectB);
  serverB = await startDev(projectB, portB);

  projectA = createProjectCopy({
    profile: profileYaml({ username: A.username, user_id: A.user_id, url: `http://127.0.0.1:${portA}` }),
    follows: null,
    blocks: null,
    posts: { "a0.md": postMarkdown({ id: 0, date: "2026-05-01T08:00:00Z", body: "Ana here." }) },
  });
  projectA.write(".dev.vars", `OWNER_TOKEN=${A.token}\n`);
  const followed = cli(projectA, "scripts/follow.ts", `${urlB}/`, "--since", "2026-05-03T10:00:00Z");
  if (followed.status !== 0) throw new Error(`npm run follow failed:\n${followed.stdout}\n${followed.stderr}`);
  buildProject(projectA, `http://127.0.0.1:${portA}`);
  migrateLocal(projectA);
  serverA = await startDev(projectA, portA);
});

afterAll(async () => {
  await Promise.all([serverA?.stop(), serverB?.stop()]);
  projectA?.cleanup();
  projectB?.cleanup();
});

async function tick(): Promise<JobsRunReport> {
  const result = owner("scripts/tick.ts", "--all", "--json");
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout) as JobsRunReport;
}

function timelineJson(...args: string[]): ListPage<TimelineItem> {
  const result = owner("scripts/timeline.ts", "--json", ...args);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as ListPage<TimelineItem>;
}

describe("A follows B", () => {
  it("npm run follow found B's feed from its home page and appended it to follows.yaml", () => {
    const follows = readFileSync(path.join(projectA.root, "site/_data/follows.yaml"), "utf8");
    expect(follows).toContain(`- user_id: ${B.user_id}\n  username: ${B.username}\n  user_link: ${serverB.url}/feed.xml\n  since: 2026-05-03T10:00:00Z\n`);
  });

  it("npm run tick -- --all polls B inside A's Worker; npm run timeline shows B's posts, the mention flagged", async () => {
    const report = await tick();
    const poller = report.jobs.find((job) => job.job === "timeline.poll");
    expect(poller).toMatchObject({ ran: true, summary: "polled 1 of 1 followed feed: 1 with new posts (2 items stored) (1 new)", fetches: 1 });
    const page = timelineJson();
    expect(page.items.map((item) => [item.username, item.name, item.text, item.mention])).toEqual([
      [B.username, "Ben B.", "Hello @ana, welcome!", true],
      [B.username, "Ben B.", "Ben's first post.", false],
    ]);
    expect(page.items[0]).toMatchObject({
      user_id: B.user_id,
      user_link: `${serverB.url}/feed.xml`,
      link: `${serverB.url}/posts/1/`,
      date: "2026-05-02T09:00:00Z",
    });
    const table = owner("scripts/timeline.ts");
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/2026-05-02 09:00 {2}Ben B\. +@ben +\* Hello @ana, welcome!/);
    expect(table.stdout).toContain(`${serverB.url}/posts/1/`);
  });

  it("the next poll is a conditional GET that B answers with a 304: nothing parsed, nothing written but the run's row", async () => {
    const poller = (await tick()).jobs.find((job) => job.job === "timeline.poll");
    expect(poller).toMatchObject({ summary: "polled 1 of 1 followed feed: 1 not modified", fetches: 1, rows_written: 1 });
    const status = JSON.parse(owner("scripts/timeline.ts", "status", "--json").stdout) as TimelineFollows;
    expect(status.follows).toEqual([expect.objectContaining({ username: B.username, state: "ok", failures: 0, items: 2, moved_to: null })]);
  });

  it("a new post of B's appears once B has rebuilt", async () => {
    projectB.write("posts/b2.md", postMarkdown({ id: 2, date: "2026-05-03T12:00:00Z", body: "Third post, fresh." }));
    const built = run(TSX, ["scripts/build.ts", "--sync", "--quiet"], projectB.root, { SKEIN_URL: serverB.url });
    expect(built.status).toBe(0);
    const deadline = Date.now() + 30_000;
    while (!(await (await fetch(`${serverB.url}/feed.xml`)).text()).includes("Third post, fresh.")) {
      if (Date.now() > deadline) throw new Error("B's server never served the rebuilt feed");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const poller = (await tick()).jobs.find((job) => job.job === "timeline.poll");
    expect(poller?.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (1 item stored)");
    expect(timelineJson("--limit", "1").items.map((item) => item.text)).toEqual(["Third post, fresh."]);
  });
});
