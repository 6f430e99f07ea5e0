/**
 * Atom and WebSub under real servers: two Skein sites, each one Worker under `wrangler dev` (as
 * `npm start` runs it), and a plain Node subscriber.
 *
 *   B (`hubs: [self]`) serves /atom.xml (valid by the W3C validator's rules) and is its own hub.
 *   The Node subscriber subscribes to B's Atom feed at B's hub; B verifies its intent.
 *   A follows B: A's scheduled jobs find the hub in B's feed and subscribe A's callback; B verifies it
 *   with A's Worker, which echoes the challenge only because A asked.
 *   B publishes a post (rebuild): B's jobs see the new page live and deliver it, signed, to both
 *   subscribers -- the Node subscriber checks the HMAC itself; A stores the post at once, before A's
 *   poller ever runs again.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listYaml, postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, devFetch, type LocalServer, migrateLocal, run, startDev, TSX } from "../../lib/harness/wrangler-server.ts";
import type { JobsRunReport, ListPage, TimelineItem } from "../../lib/shared/api-types.ts";
import { atomLinks, atomProblems, parseAtom } from "../support/atom-checks.ts";

const A = { username: "ana", user_id: "a4a00000-0000-4000-8000-0000000000a1", token: "token-of-ana" };
const B = { username: "ben", user_id: "be400000-0000-4000-8000-0000000000b2", token: "token-of-ben" };
const SECRET = "node-subscriber-secret";

let projectA: ProjectCopy;
let projectB: ProjectCopy;
let serverA: LocalServer;
let serverB: LocalServer;

interface Hit {
  method: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
const hits: Hit[] = [];
let subscriber: http.Server;
let subscriberUrl = "";

function cli(project: ProjectCopy, script: string, ...args: string[]) {
  return run(TSX, [path.join(project.root, script), ...args], project.root);
}

/**
 * `npm run tick -- --all`'s request, made with fetch: the CLI (a synchronous child process here) would
 * block this process, whose Node subscriber must answer B's deliveries meanwhile.
 */
async function tick(server: LocalServer, token: string): Promise<JobsRunReport> {
  let response: Response;
  try {
    response = await devFetch(`${server.url}/api/jobs/run`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ all: true }),
    });
  } catch (error) {
    throw new Error(`${(error as Error).message} ${String((error as Error).cause)}\n${server.output().slice(-3000)}`);
  }
  expect(response.status).toBe(200);
  return (await response.json()) as JobsRunReport;
}

/**
 * Requests a wrangler dev answered, from its log lines ("[wrangler:info] GET /path 200 OK"). The tests
 * read what happened from these and from the subscribers, not from the local D1 files: a second
 * process opening them (wrangler d1 execute) while wrangler dev runs made requests fail.
 */
function answered(server: LocalServer, method: string, pathPrefix: string): string[] {
  return server
    .output()
    .split("\n")
    .filter((line) => line.includes(`${method} ${pathPrefix}`));
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const deliveries = () => hits.filter((hit) => hit.method === "POST");

beforeAll(async () => {
  subscriber = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      hits.push({ method: req.method ?? "GET", query: Object.fromEntries(url.searchParams), headers: req.headers, body: Buffer.concat(chunks) });
      if (req.method === "GET") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(url.searchParams.get("hub.challenge") ?? "");
      } else {
        res.writeHead(204);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => subscriber.listen(0, "127.0.0.1", resolve));
  subscriberUrl = `http://127.0.0.1:${(subscriber.address() as { port: number }).port}/callback`;

  const [portA, portB] = [await freePort(), await freePort()];
  const urlB = `http://127.0.0.1:${portB}`;
  projectB = createProjectCopy({
    profile: profileYaml({ username: B.username, user_id: B.user_id, full_name: "Ben B.", url: urlB, hubs: ["self"] }),
    follows: null,
    blocks: null,
    posts: {
      "b0.md": postMarkdown({ id: 0, date: "2026-05-01T09:00:00Z", body: "Ben's first post." }),
      "b1.md": postMarkdown({
        id: 1,
        date: "2026-05-02T09:00:00Z",
        body: "A reply.",
        replyTo: { user_id: A.user_id, user_link: `http://127.0.0.1:${portA}/feed.xml`, status_id: 0 },
      }),
    },
  });
  projectB.write(".dev.vars", `OWNER_TOKEN=${B.token}\n`);
  buildProject(projectB, urlB);
  migrateLocal(projectB);

  projectA = createProjectCopy({
    profile: profileYaml({ username: A.username, user_id: A.user_id, url: `http://127.0.0.1:${portA}` }),
    follows: listYaml([{ user_id: B.user_id, username: B.username, user_link: `${urlB}/feed.xml`, since: "2026-05-03T10:00:00Z" }]),
    blocks: null,
    posts: { "a0.md": postMarkdown({ id: 0, date: "2026-05-01T08:00:00Z", body: "Ana here." }) },
  });
  projectA.write(".dev.vars", `OWNER_TOKEN=${A.token}\n`);
  buildProject(projectA, `http://127.0.0.1:${portA}`);
  migrateLocal(projectA);
  // One after the other: two wrangler devs starting at once both want the same inspector port.
  serverB = await startDev(projectB, portB);
  serverA = await startDev(projectA, portA);
});

afterAll(async () => {
  await Promise.all([serverA?.stop(), serverB?.stop()]);
  await new Promise<void>((resolve) => (subscriber ? subscriber.close(() => resolve()) : resolve()));
  projectA?.cleanup();
  projectB?.cleanup();
});

describe("the Atom feed", () => {
  it("npm start serves /atom.xml: valid by the W3C rules, with rel=self, rel=hub (our own) and the alternate profile; every page links it", async () => {
    const response = await fetch(`${serverB.url}/atom.xml`);
    expect(response.status).toBe(200);
    const xml = await response.text();
    expect(atomProblems(xml, { location: `${serverB.url}/atom.xml` })).toEqual([]);
    const feed = parseAtom(xml);
    expect(atomLinks(feed, "hub")).toEqual([`${serverB.url}/api/websub/hub`]);
    expect(atomLinks(feed, "alternate")).toEqual([`${serverB.url}/`]);
    expect(xml).toContain('<thr:in-reply-to ref="urn:uuid:');
    const rss = await (await fetch(`${serverB.url}/feed.xml`)).text();
    expect(rss).toContain(`<atom:link rel="hub" href="${serverB.url}/api/websub/hub"/>`);
    const home = await (await fetch(`${serverB.url}/`)).text();
    expect(home).toContain(`<link rel="alternate" type="application/atom+xml" title="Ben B. (@ben), Atom" href="${serverB.url}/atom.xml">`);
  });
});

describe("B as its own hub", () => {
  it("a local subscriber subscribes to B's Atom feed: 202, then B asks it to confirm", async () => {
    const response = await fetch(`${serverB.url}/api/websub/hub`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ "hub.mode": "subscribe", "hub.topic": `${serverB.url}/atom.xml`, "hub.callback": subscriberUrl, "hub.secret": SECRET }),
    });
    expect(response.status).toBe(202);
    const verification = await until("B's verification of intent", () => hits.find((hit) => hit.method === "GET"));
    expect(verification.query).toMatchObject({ "hub.mode": "subscribe", "hub.topic": `${serverB.url}/atom.xml`, "hub.lease_seconds": "864000" });
  });

  it("a bad subscription request is a 4xx and stores nothing", async () => {
    const response = await fetch(`${serverB.url}/api/websub/hub`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ "hub.mode": "subscribe", "hub.topic": "https://elsewhere.example/feed.xml", "hub.callback": subscriberUrl }),
    });
    expect(response.status).toBe(400);
    expect(hits.filter((hit) => hit.method === "GET")).toHaveLength(1);
  });

  it("A follows B: A's jobs subscribe at B's hub, and B's verification reaches A's Worker, which confirms", async () => {
    const report = await tick(serverA, A.token);
    expect(report.jobs.find((job) => job.job === "timeline.poll")?.summary).toMatch(/2 items stored/);
    expect(report.jobs.find((job) => job.job === "timeline.websub")?.summary).toBe("1 feed looked at for a hub (1 with one), 1 subscription requested");
    expect(answered(serverB, "POST", "/api/websub/hub").at(-1)).toMatch(/202 Accepted/);
    // B's verification of intent reaches A's callback; A echoes the challenge (200).
    const verified = await until("B's verification at A", () => answered(serverA, "GET", "/api/websub/callback/")[0]);
    expect(verified).toMatch(/200 OK/);
  });

  it("B publishes a post: B's jobs deliver it, signed, to both; A stores it at once, without polling", async () => {
    // The first run of B's jobs delivers the current pages (the hub has never delivered before).
    const first = await tick(serverB, B.token);
    expect(first.jobs.find((job) => job.job === "websub.publish")?.summary).toBe("2 topics queued for our own hub's subscribers");
    expect(first.jobs.find((job) => job.job === "websub.deliver")).toMatchObject({ summary: "2 deliveries made", failures: [] });
    await until("the first delivery", () => (deliveries().length === 1 ? true : undefined));

    projectB.write("posts/b2.md", postMarkdown({ id: 2, date: "2026-05-03T12:00:00Z", body: "Pushed, not polled." }));
    const built = run(TSX, ["scripts/build.ts", "--sync", "--quiet"], projectB.root, { SKEIN_URL: serverB.url });
    expect(built.status).toBe(0);
    // wrangler dev reloads the Worker with the new config (new page hashes) and serves the new files.
    const published = await until("B's deploy to be live and published", async () => {
      // While wrangler dev reloads the Worker, a request may be cut off: ask again.
      const report = await tick(serverB, B.token).catch(() => undefined);
      if (!report) return undefined;
      const deliver = report.jobs.find((job) => job.job === "websub.deliver")?.summary ?? "";
      return deliver.startsWith("2 deliveries") ? report : undefined;
    });
    expect(published.jobs.find((job) => job.job === "websub.deliver")?.failures).toEqual([]);

    // The Node subscriber: the new Atom page, signed with its secret (checked here with node:crypto).
    const delivery = deliveries().at(-1)!;
    expect(delivery.headers["content-type"]).toBe("application/atom+xml");
    expect(delivery.headers["x-hub-signature"]).toBe(`sha256=${createHmac("sha256", SECRET).update(delivery.body).digest("hex")}`);
    expect(delivery.body.toString("utf8")).toContain("Pushed, not polled.");
    expect(atomProblems(delivery.body.toString("utf8"))).toEqual([]);
    expect(delivery.headers.link).toBe(`<${serverB.url}/api/websub/hub>; rel="hub", <${serverB.url}/atom.xml>; rel="self"`);

    // A stored B's new post when it was pushed: A's own jobs have not run since.
    const timeline = cli(projectA, "scripts/timeline.ts", "--json", "--url", serverA.url, "--token", A.token);
    const page = JSON.parse(timeline.stdout) as ListPage<TimelineItem>;
    expect(page.items.map((item) => item.text)).toEqual(["Pushed, not polled.", "A reply.", "Ben's first post."]);
    // Both pushes were signed right and stored (204): the first page (nothing new), then the new post.
    expect(answered(serverA, "POST", "/api/websub/callback/").map((line) => /callback\/[0-9a-f]{32} (\d{3}) /.exec(line)?.[1])).toEqual(["204", "204"]);

    // Nothing more to deliver until the next deploy.
    const after = await tick(serverB, B.token);
    expect(after.jobs.find((job) => job.job === "websub.publish")?.summary).toMatch(/^nothing new to ping/);
    expect(after.jobs.find((job) => job.job === "websub.deliver")?.summary).toBe("no delivery due");
  });
});
