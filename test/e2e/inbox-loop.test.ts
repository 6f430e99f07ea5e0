/**
 * The inbox loop, as a user and a remote client meet it: `npm start` (scripts/start.ts) serves a
 * site whose owner accepts only followed accounts from one Worker (wrangler dev); remote clients POST
 * with plain fetch; the owner reads everything back with `npm run inbox` and runs the scheduled jobs
 * with `npm run tick` -- both find the server npm start started on its own port, without --url;
 * Ctrl-C leaves no process (and no stale server file) behind.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listYaml, person, postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { run, TSX } from "../../lib/harness/wrangler-server.ts";
import { SCHEDULED_JOBS } from "../../lib/worker/job-list.ts";
import { livingInGroups, type NpmStart, npmStart } from "./support/npm-start.ts";

const FOLLOWED = person(1, { username: "fern" });
const BLOCKED = person(2, { username: "mallory" });
const STRANGER = person(3, { username: "stranger" });

let project: ProjectCopy;
let server: NpmStart;

beforeAll(async () => {
  project = createProjectCopy({
    profile: profileYaml({ username: "loopy", full_name: "Loop Owner", accept: "follows", public_blocks: false }),
    follows: listYaml([FOLLOWED]),
    blocks: listYaml([BLOCKED]),
    posts: {
      "first.md": postMarkdown({ id: 0, date: "2026-03-01T10:00:00Z", body: "First post." }),
      "second.md": postMarkdown({ id: 1, date: "2026-03-02T10:00:00Z", body: "Second post." }),
    },
  });
  // The scheduled jobs every 2 s instead of every minute, so the test sees the timer at work.
  server = await npmStart(project, await freePort(), { extraArgs: ["--jobs-every", "2"] });
});

afterAll(async () => {
  // Only if a test failed before the Ctrl-C test ran.
  if (server && livingInGroups(server.serverGroups()).length) await server.interrupt();
  project?.cleanup();
});

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** As the README runs it: no --url, no --token (the server file and .dev.vars tell). */
function cli(script: string, ...args: string[]) {
  return run(TSX, [path.join(project.root, script), ...args], project.root);
}

const inboxCli = (...args: string[]) => cli("scripts/inbox.ts", ...args);

describe("npm start + remote clients + npm run inbox", () => {
  it("serves the site with the endpoints its feed advertises", async () => {
    const feed = await (await fetch(`${server.url}/feed.xml`)).text();
    expect(feed).toContain(`<microblog:message accept="follows">${server.url}/api/message</microblog:message>`);
    expect(feed).toContain(`<microblog:reply>${server.url}/api/posts/1/reply</microblog:reply>`);
    // The blocks list is private: not published, but still enforced below.
    expect((await fetch(`${server.url}/blocks.xml`)).status).toBe(404);
  });

  it("accepts a followed account's message and reply notification (201, no body)", async () => {
    const message = await post(`${server.url}/api/message`, { ...FOLLOWED, message: "Hello from fern's client", date: "Mon, 02 Mar 2026 11:00:00 +0000" });
    expect(message.status).toBe(201);
    expect(await message.text()).toBe("");
    const reply = await post(`${server.url}/api/posts/1/reply`, { ...FOLLOWED, status_id: "77" });
    expect(reply.status).toBe(201);
  });

  it("refuses the blocked account and a non-follower under accept=follows (403, no body), storing nothing", async () => {
    for (const sender of [BLOCKED, STRANGER]) {
      const message = await post(`${server.url}/api/message`, { ...sender, message: `Hello from ${sender.username}`, date: "2026-03-02T11:00:00Z" });
      expect(message.status, sender.username).toBe(403);
      expect(await message.text()).toBe("");
      const reply = await post(`${server.url}/api/posts/0/reply`, { ...sender, status_id: "5" });
      expect(reply.status, sender.username).toBe(403);
    }
  });

  it("npm run inbox shows exactly what was accepted, as a table and as JSON", () => {
    const table = inboxCli("list");
    expect(table.status, table.stderr).toBe(0);
    // The table cuts long text to its column (the full text is in --json below).
    expect(table.stdout).toContain("Hello from fern");
    expect(table.stdout).toContain("@fern");
    expect(table.stdout).not.toContain("mallory");
    expect(table.stdout).not.toContain("stranger");

    const messages = inboxCli("list", "messages", "--json");
    expect(messages.status, messages.stderr).toBe(0);
    const parsed = JSON.parse(messages.stdout) as { items: { message: string; username: string; read_at: string | null }[] };
    expect(parsed.items.map((m) => [m.username, m.message])).toEqual([["fern", "Hello from fern's client"]]);

    const replies = inboxCli("list", "replies", "--json");
    const parsedReplies = JSON.parse(replies.stdout) as { items: { username: string; status_id: string; post_id: number }[] };
    expect(parsedReplies.items.map((r) => [r.username, r.status_id, r.post_id])).toEqual([["fern", "77", 1]]);
  });

  it("runs the scheduled jobs on its own timer, as the cron trigger does when deployed", async () => {
    for (let i = 0; i < 40 && !server.output().includes("scheduled jobs ran"); i++) await new Promise((resolve) => setTimeout(resolve, 250));
    const ran = /\[skein\] scheduled jobs ran \(([a-z., ]+)\); they run again every interval/.exec(server.output())?.[1]?.split(", ");
    // Every every-minute job of lib/worker/job-list.ts ran, in its order; the others (housekeeping at
    // 00:00 UTC, the WebSub subscriber every 5 minutes) only when the run's minute is theirs.
    const everyMinute = SCHEDULED_JOBS.filter((job) => job.everyMinutes === 1).map((job) => job.name);
    expect(everyMinute).toContain("timeline.poll");
    expect(ran?.filter((job) => everyMinute.includes(job))).toEqual(everyMinute);
    const order = SCHEDULED_JOBS.map((job) => job.name);
    expect(ran?.map((job) => order.indexOf(job))).toEqual(ran?.map((job) => order.indexOf(job)).sort((a, b) => a - b));
    expect(ran?.every((job) => order.includes(job))).toBe(true);
  });

  it("npm run tick runs the scheduled jobs on this server and prints what each did", () => {
    const result = cli("scripts/tick.ts");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Scheduled jobs at \d{4}-\d\d-\d\dT/);
    expect(result.stdout).toMatch(/inbox\.reverify .*(no reply waits for a check|checked \d)/);
    const all = cli("scripts/tick.ts", "--all", "--json");
    expect(all.status, all.stderr).toBe(0);
    const report = JSON.parse(all.stdout) as { all: boolean; jobs: { job: string; ran: boolean }[] };
    expect(report.all).toBe(true);
    expect(report.jobs.every((job) => job.ran)).toBe(true);
  });

  it("npm run inbox refuses a wrong token and says why", () => {
    const result = run(TSX, [path.join(project.root, "scripts/inbox.ts"), "list", "--url", server.url, "--token", "not-the-token"], project.root);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/401|token/i);
  });

  it("Ctrl-C stops everything npm start started", async () => {
    const groups = server.serverGroups();
    expect(groups.length).toBeGreaterThan(0);
    expect(livingInGroups(groups).length).toBeGreaterThan(0);
    const code = await server.interrupt();
    expect(code).toBe(0);
    // Give the kernel a moment to reap workerd.
    for (let i = 0; i < 20 && livingInGroups(groups).length; i++) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(livingInGroups(groups)).toEqual([]);
    await expect(fetch(`${server.url}/`)).rejects.toThrow();
    expect(existsSync(path.join(project.root, ".wrangler/skein-server.json"))).toBe(false);
  });
});

// The repository itself must not be touched by these tests.
it("works on a copy, never on the repository", () => {
  expect(project.root.startsWith(REPO_ROOT)).toBe(false);
});
