/**
 * Skein talks back (the outbox, issue 9), end to end: two Skein sites on loopback, each its own
 * `wrangler dev` Worker with its own D1 (as `npm start` runs them), plus a small Node server that
 * plays other Open Microblog services (real feeds built by our builder; its reply and message URLs
 * answer 403, 500-then-201 or 201 and record every POST).
 *
 *   A publishes a reply to B's post and a mention of @bruno (followed): after A's scheduled job, B's
 *   inbox holds both and B's own verification (reading A's feed) marks them verified. A 403 is
 *   final, a 500 is retried and then succeeds, a post our feed does not show yet waits until it
 *   does, and running the job again sends nothing new.
 *   A messages B with `npm run message -- @bruno` (B accepts only accounts it follows, and follows
 *   A), B answers with `npm run inbox -- reply messages <id>`; both see the conversation. accept
 *   "selected" (a 403 remembered), "follows" (not followed: nothing sent), "off" (no message URL:
 *   nothing sent) each give one clear line; a 500 is queued and sent by the job.
 *
 * Post dates are set from the real clock, not fixed: the Workers run on the real clock, and Skein
 * notifies only for posts dated within the last 14 days.
 */
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSiteFiles, listYaml, postFile, postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, startDev } from "../../lib/harness/wrangler-server.ts";
import type { InboxMessage, InboxReply, JobsRunReport, ListPage, OutboxItem } from "../../lib/shared/api-types.ts";
import { runScript } from "../support/cli.ts";

const A = { username: "alice", user_id: "a11ce000-0000-4000-8000-0000000000a1", token: "outbox-token-of-alice" };
const B = { username: "bruno", user_id: "b7b70000-0000-4000-8000-0000000000b2", token: "outbox-token-of-bruno" };

/** The other services: what each publishes and how its endpoints answer. */
const OTHERS = {
  forbid: { accept: "everyone", reply: [403], message: [] as number[] },
  flaky: { accept: "everyone", reply: [500], message: [500] },
  later: { accept: "everyone", reply: [], message: [] },
  picky: { accept: "selected", reply: [], message: [403, 403] },
  cold: { accept: "follows", reply: [], message: [] },
  closed: { accept: "off", reply: [], message: [] },
} as const;
type Other = keyof typeof OTHERS;

interface Site {
  project: ProjectCopy;
  server: LocalServer;
  url: string;
  token: string;
}

let siteA: Site;
let siteB: Site;
let others: http.Server;
let othersBase: string;
const received = new Map<string, { path: string; body: Record<string, string> }[]>();
let feedWithPost5 = "";
const projects: ProjectCopy[] = [];

const minutesAgo = (n: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - n * 60_000).toISOString().replace(".000Z", "Z");

function otherUserId(name: Other): string {
  return `00000000-0000-4000-8000-${Buffer.from(name).toString("hex").padStart(12, "0").slice(-12)}`;
}

/** The Node server playing the other services. */
async function startOthers(): Promise<void> {
  const files = new Map<string, string>();
  const answers = new Map<string, number[]>();
  others = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const post = /^\/(\w+)\/api\/(message|posts\/\d+\/reply)$/.exec(url.pathname);
    if (req.method === "POST" && post) {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const name = post[1]!;
        const kind = post[2] === "message" ? "message" : "reply";
        const log = received.get(name) ?? [];
        log.push({ path: url.pathname, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, string> });
        received.set(name, log);
        const status = answers.get(`${name}:${kind}`)?.shift() ?? 201;
        res.writeHead(status);
        res.end();
      });
      return;
    }
    const file = files.get(url.pathname);
    res.writeHead(file ? 200 : 404, { "Content-Type": file ? "application/rss+xml; charset=utf-8" : "text/plain" });
    res.end(file ?? "not found");
  });
  await new Promise<void>((resolve) => others.listen(0, "127.0.0.1", resolve));
  othersBase = `http://127.0.0.1:${(others.address() as AddressInfo).port}`;
  for (const [name, other] of Object.entries(OTHERS) as [Other, (typeof OTHERS)[Other]][]) {
    const url = `${othersBase}/${name}`;
    const built = buildSiteFiles({
      profile: profileYaml({ username: name, user_id: otherUserId(name), url, functions_url: url, accept: other.accept }),
      follows: listYaml([{ user_id: "00000000-0000-4000-8000-00000000e15e", username: "someone", user_link: "https://someone.example/feed.xml" }]),
      posts: [postFile({ id: 0, date: "2026-05-01T10:00:00Z", body: `Hello from ${name}.` })],
    });
    for (const [permalink, xml] of built) files.set(`/${name}${permalink}`, xml);
    answers.set(`${name}:reply`, [...other.reply]);
    answers.set(`${name}:message`, [...other.message]);
  }
}

const feedOf = (name: Other) => `${othersBase}/${name}/feed.xml`;

async function startSite(project: ProjectCopy, port: number, token: string, beforeStart?: (project: ProjectCopy) => void): Promise<Site> {
  const url = `http://127.0.0.1:${port}`;
  project.write(".dev.vars", `OWNER_TOKEN=${token}\n`);
  buildProject(project, url);
  migrateLocal(project);
  beforeStart?.(project);
  return { project, url, token, server: await startDev(project, port) };
}

beforeAll(async () => {
  await startOthers();
  const [portA, portB] = [await freePort(), await freePort()];
  const urlA = `http://127.0.0.1:${portA}`;
  const urlB = `http://127.0.0.1:${portB}`;
  const ref = (name: Other) => ({ user_id: otherUserId(name), username: name, user_link: feedOf(name), status_id: 0 });
  const projectA = createProjectCopy({
    profile: profileYaml({ username: A.username, user_id: A.user_id, url: urlA }),
    follows: listYaml([{ user_id: B.user_id, username: B.username, user_link: `${urlB}/feed.xml` }]),
    blocks: null,
    posts: {
      "a0.md": postMarkdown({ id: 0, date: minutesAgo(60), body: "Alice's first post." }),
      "a1.md": postMarkdown({
        id: 1,
        date: minutesAgo(50),
        body: "Rye, every time.",
        replyTo: { user_id: B.user_id, username: B.username, user_link: `${urlB}/feed.xml`, status_id: 1 },
      }),
      "a2.md": postMarkdown({ id: 2, date: minutesAgo(40), body: "Thanks @bruno for the bread tips (see https://example.org/@bruno too)." }),
      "a3.md": postMarkdown({ id: 3, date: minutesAgo(30), body: "Hm.", replyTo: ref("forbid") }),
      "a4.md": postMarkdown({ id: 4, date: minutesAgo(20), body: "Indeed.", replyTo: ref("flaky") }),
      "a5.md": postMarkdown({ id: 5, date: minutesAgo(10), body: "Late to the party.", replyTo: ref("later") }),
    },
  });
  const projectB = createProjectCopy({
    profile: profileYaml({ username: B.username, user_id: B.user_id, url: urlB, accept: "follows" }),
    follows: listYaml([{ user_id: A.user_id, username: A.username, user_link: `${urlA}/feed.xml` }]),
    blocks: null,
    posts: {
      "b0.md": postMarkdown({ id: 0, date: minutesAgo(120), body: "Bruno says hello." }),
      "b1.md": postMarkdown({ id: 1, date: minutesAgo(90), body: "Rye or spelt?" }),
    },
  });
  // A's deploy is not public yet for post 5: its served feed lacks the item the site config lists.
  const hidePost5 = (project: ProjectCopy) => {
    const file = path.join(project.root, "_site/feed.xml");
    feedWithPost5 = readFileSync(file, "utf8");
    const at = feedWithPost5.indexOf('<guid isPermaLink="false">5</guid>');
    expect(at).toBeGreaterThan(0);
    const start = feedWithPost5.lastIndexOf("<item", at);
    const end = feedWithPost5.indexOf("</item>", at) + "</item>".length;
    writeFileSync(file, feedWithPost5.slice(0, start) + feedWithPost5.slice(end));
  };
  projects.push(projectA, projectB);
  // Each site kept as soon as it runs, so afterAll stops it even if the other failed to start.
  const started = await Promise.allSettled([
    startSite(projectA, portA, A.token, hidePost5).then((site) => (siteA = site)),
    startSite(projectB, portB, B.token).then((site) => (siteB = site)),
  ]);
  for (const result of started) if (result.status === "rejected") throw result.reason;
});

afterAll(async () => {
  await Promise.all([siteA?.server.stop(), siteB?.server.stop()]);
  for (const project of projects) project.cleanup();
  await new Promise<void>((resolve) => (others ? others.close(() => resolve()) : resolve()));
});

async function api<T>(site: Site, method: string, pathAndQuery: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${site.token}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(`${site.url}${pathAndQuery}`, init);
  expect(response.ok, `${method} ${pathAndQuery} answered ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

/** POST /api/jobs/run {"all": true}: what `npm run tick -- --all` does. Returns the outbox job's report. */
async function runJobs(site: Site) {
  const report = await api<JobsRunReport>(site, "POST", "/api/jobs/run", { all: true });
  return report.jobs.find((job) => job.job === "outbox.send")!;
}

const outbox = async (site: Site) => (await api<ListPage<OutboxItem>>(site, "GET", "/api/outbox")).items;
const replies = async (site: Site) => (await api<ListPage<InboxReply>>(site, "GET", "/api/inbox/replies")).items;
const messages = async (site: Site) => (await api<ListPage<InboxMessage>>(site, "GET", "/api/inbox/messages")).items;
const byPost = (items: OutboxItem[], postId: number) => items.find((item) => item.post_id === postId);

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A command in A's (or B's) folder, as the README runs it (with --url and --token: two sites here). */
const cli = (site: Site, script: string, ...args: string[]) => runScript(site.project.root, script, [...args, "--url", site.url, "--token", site.token]);

describe("reply and mention notifications, sent by A's scheduled job", () => {
  it("the first run: B gets the reply and the mention (and verifies both), 403 is final, 500 will be retried, post 5 waits", async () => {
    const job = await runJobs(siteA);
    expect(job.summary).toBe(
      "new build: 5 notifications queued, 0 cancelled; tried 4: 2 sent, 1 refused, 1 retrying; 1 notification waits for the post to be live",
    );

    const items = await outbox(siteA);
    expect(byPost(items, 1)).toMatchObject({
      kind: "reply",
      state: "sent",
      username: B.username,
      status_id: "1",
      target_url: `${siteB.url}/api/posts/1/reply`,
    });
    expect(byPost(items, 2)).toMatchObject({ kind: "mention", state: "sent", target_url: `${siteB.url}/api/posts/1/reply` });
    expect(byPost(items, 3)).toMatchObject({ state: "refused", http_status: 403 });
    expect(byPost(items, 4)).toMatchObject({ state: "queued", attempts: 1, http_status: 500 });
    expect(byPost(items, 5)).toMatchObject({ state: "queued", attempts: 0, last_error: `waiting for post 5 to appear in our feed (${siteA.url}/feed.xml)` });
    expect(received.get("later")).toBeUndefined();

    // B checked both against A's feed, on its own.
    const verified = await waitFor(
      "B's verification",
      () => replies(siteB),
      (list) => list.length === 2 && list.every((reply) => reply.verification !== "pending"),
    );
    expect(verified.map((reply) => [reply.post_id, reply.status_id, reply.username, reply.verification]).sort()).toEqual([
      [1, "1", A.username, "verified"],
      [1, "2", A.username, "verified"],
    ]);
  });

  it("the next run sends the 500 again (now 201); post 5 goes once A's feed shows it; then nothing is sent twice", async () => {
    expect((await runJobs(siteA)).summary).toBe("tried 1: 1 sent; 1 notification waits for the post to be live");
    expect(byPost(await outbox(siteA), 4)).toMatchObject({ state: "sent", attempts: 2, http_status: 201 });

    writeFileSync(path.join(siteA.project.root, "_site/feed.xml"), feedWithPost5);
    await waitFor(
      "A's feed showing post 5",
      async () => (await fetch(`${siteA.url}/feed.xml`)).text(),
      (xml) => xml.includes('<guid isPermaLink="false">5</guid>'),
    );
    expect((await runJobs(siteA)).summary).toBe("tried 1: 1 sent");
    expect(received.get("later")?.map((r) => r.body)).toEqual([
      { user_id: A.user_id, username: A.username, user_link: `${siteA.url}/feed.xml`, status_id: "5" },
    ]);

    const again = await runJobs(siteA);
    expect(again.summary).toBe("nothing to send");
    expect(again.rows_written).toBe(0);
    expect(received.get("forbid")).toHaveLength(1);
    expect(received.get("flaky")?.filter((r) => r.path.endsWith("/reply"))).toHaveLength(2);
    expect(received.get("later")).toHaveLength(1);
    expect(await replies(siteB)).toHaveLength(2);
  });
});

describe("private messages", () => {
  let fromA: InboxMessage;

  it("A messages @bruno (B accepts only accounts it follows, and follows A); B has it", async () => {
    const sent = await cli(siteA, "scripts/message.ts", "@bruno", "Fancy a loaf on Sunday?");
    expect(sent).toMatchObject({ code: 0, stderr: "", stdout: `sent to @${B.username} (${siteB.url}/api/message answered 201)\n` });
    fromA = (await messages(siteB))[0]!;
    expect(fromA).toMatchObject({ direction: "received", user_id: A.user_id, username: A.username, message: "Fancy a loaf on Sunday?" });
    expect(fromA?.date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  });

  it("B answers with npm run inbox -- reply messages <id>; A sees both sides of the conversation", async () => {
    const answered = await cli(siteB, "scripts/inbox.ts", "reply", "messages", String(fromA.id), "Always. Rye?");
    expect(answered).toMatchObject({ code: 0, stdout: `sent to @${A.username} (${siteA.url}/api/message answered 201)\n` });
    expect((await messages(siteA)).map((m) => [m.direction, m.username, m.message])).toEqual([
      ["received", B.username, "Always. Rye?"],
      ["sent", B.username, "Fancy a loaf on Sunday?"],
    ]);
    expect((await messages(siteB)).map((m) => m.direction)).toEqual(["sent", "received"]);
  });

  it('accept="selected": their 403 is one line, and remembered: the next message is not sent', async () => {
    const first = await cli(siteA, "scripts/message.ts", feedOf("picky"), "May I write to you?");
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/^npm run message: not sent: @picky refused the message \(.* answered 403 Forbidden\); it is kept as outbox \d+, .*\n$/);
    const second = await cli(siteA, "scripts/message.ts", feedOf("picky"), "Please?");
    expect(second.stderr).toMatch(
      /^npm run message: not sent: @picky accepts messages only from accounts they selected \(accept="selected"\) and refused you on /,
    );
    expect(received.get("picky")).toHaveLength(1);
  });

  it('accept="follows" from an account that does not follow A, and accept="off": nothing sent, one clear line', async () => {
    const cold = await cli(siteA, "scripts/message.ts", feedOf("cold"), "Hello?");
    expect(cold).toMatchObject({
      code: 1,
      stderr: 'npm run message: not sent: @cold accepts only accounts they follow (accept="follows") and do not follow you; nothing was sent\n',
    });
    const closed = await cli(siteA, "scripts/message.ts", feedOf("closed"), "Hello?");
    expect(closed).toMatchObject({
      code: 1,
      stderr: "npm run message: not sent: @closed takes no private messages: their feed has no message URL; nothing was sent\n",
    });
    expect(received.get("cold")).toBeUndefined();
    expect(received.get("closed")).toBeUndefined();
  });

  it("a 500 is queued (exit 0, says so), and A's job sends it", async () => {
    const queued = await cli(siteA, "scripts/message.ts", feedOf("flaky"), "Second try?");
    expect(queued.code).toBe(0);
    expect(queued.stdout).toMatch(/^not delivered yet: .*\/flaky\/api\/message answered 500; Skein tries again at .* \(npm run outbox shows it as \d+\)\n$/);
    const tick = await cli(siteA, "scripts/tick.ts", "--all");
    expect(tick.code).toBe(0);
    expect(tick.stdout).toMatch(/outbox\.send .* tried 1: 1 sent/);
    const flakyMessages = received.get("flaky")?.filter((r) => r.path.endsWith("/message")) ?? [];
    expect(flakyMessages).toHaveLength(2);
    expect(flakyMessages[1]?.body).toEqual(flakyMessages[0]?.body);
    expect((await messages(siteA)).find((m) => m.message === "Second try?")).toMatchObject({ direction: "sent", username: "flaky" });
  });

  it("npm run outbox lists everything A sent, with states; retry puts a refused one back in the queue", async () => {
    const list = await cli(siteA, "scripts/outbox.ts", "--json");
    const items = (JSON.parse(list.stdout) as ListPage<OutboxItem>).items;
    expect(items.map((item) => [item.kind, item.username, item.state]).reverse()).toEqual([
      ["reply", B.username, "sent"],
      ["mention", B.username, "sent"],
      ["reply", "forbid", "refused"],
      ["reply", "flaky", "sent"],
      ["reply", "later", "sent"],
      ["message", B.username, "sent"],
      ["message", "picky", "refused"],
      ["message", "flaky", "sent"],
    ]);
    const table = await cli(siteA, "scripts/outbox.ts");
    expect(table.stdout).toContain("answered 403 Forbidden");
    const refused = items.find((item) => item.username === "forbid")!;
    const retried = await cli(siteA, "scripts/outbox.ts", "retry", String(refused.id));
    expect(retried.stdout).toMatch(new RegExp(`^queued outbox item ${refused.id} again`));
    expect((await runJobs(siteA)).summary).toBe("tried 1: 1 sent");
    expect(received.get("forbid")).toHaveLength(2);
  });
});
