/**
 * Two Skein sites on two loopback ports, as two people would run them. B publishes a post replying to
 * a post of A and notifies A's reply URL (what B's client does); A verifies the notification in the
 * background by reading B's real feed, and shows the outcome in its owner API. A notification that
 * B's feed does not back (a post that is no reply) ends up rejected.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, startDev } from "../../lib/harness/wrangler-server.ts";
import { readFeed } from "../../lib/shared/remote-feed-reader.ts";

const A = { username: "alice", user_id: "a11ce000-0000-4000-8000-000000000001", token: "token-of-alice" };
const B = { username: "bruno", user_id: "b7b70000-0000-4000-8000-000000000002", token: "token-of-bruno" };

interface Site {
  project: ProjectCopy;
  server: LocalServer;
  url: string;
}

let siteA: Site;
let siteB: Site;

async function startSite(project: ProjectCopy, port: number, token: string): Promise<Site> {
  const url = `http://127.0.0.1:${port}`;
  project.write(".dev.vars", `OWNER_TOKEN=${token}\n`);
  buildProject(project, url);
  migrateLocal(project);
  return { project, url, server: await startDev(project, port) };
}

beforeAll(async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  const urlA = `http://127.0.0.1:${portA}`;
  const projectA = createProjectCopy({
    profile: profileYaml({ username: A.username, user_id: A.user_id, full_name: "Alice A.", url: urlA }),
    follows: null,
    blocks: null,
    posts: {
      "a0.md": postMarkdown({ id: 0, date: "2026-05-01T08:00:00Z", body: "Alice's first post." }),
      "a1.md": postMarkdown({ id: 1, date: "2026-05-02T08:00:00Z", body: "Does anyone else bake on Sundays?" }),
    },
  });
  const projectB = createProjectCopy({
    profile: profileYaml({ username: B.username, user_id: B.user_id, full_name: "Bruno B." }),
    follows: null,
    blocks: null,
    posts: {
      "b0.md": postMarkdown({ id: 0, date: "2026-05-01T09:00:00Z", body: "Bruno says hello." }),
      // B's reply to A's post 1: the front matter names A's user_id, feed and post.
      "b1.md": postMarkdown({
        id: 1,
        date: "2026-05-02T09:30:00Z",
        body: "@alice Every Sunday, rye mostly.",
        replyTo: { user_id: A.user_id, username: A.username, user_link: `${urlA}/feed.xml`, status_id: 1 },
      }),
    },
  });
  [siteA, siteB] = await Promise.all([startSite(projectA, portA, A.token), startSite(projectB, portB, B.token)]);
});

afterAll(async () => {
  await Promise.all([siteA?.server.stop(), siteB?.server.stop()]);
  siteA?.project.cleanup();
  siteB?.project.cleanup();
});

interface StoredReply {
  post_id: number;
  status_id: string;
  username: string;
  verification: string;
  verification_detail: string | null;
}

async function repliesOf(site: Site, token: string): Promise<StoredReply[]> {
  const response = await fetch(`${site.url}/api/inbox/replies`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: StoredReply[] }).items;
}

async function waitForVerification(site: Site, token: string, statusId: string): Promise<StoredReply> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const reply = (await repliesOf(site, token)).find((r) => r.status_id === statusId);
    if (reply && reply.verification !== "pending") return reply;
    if (Date.now() > deadline) throw new Error(`reply ${statusId} still ${reply?.verification ?? "missing"}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("site B replies to site A", () => {
  it("B's published feed carries the reply, pointing at A's post", async () => {
    const feed = readFeed(await (await fetch(`${siteB.url}/feed.xml`)).text());
    const reply = feed.items.find((item) => item.in_reply_to_status_id === "1");
    expect(reply).toMatchObject({ in_reply_to_user_id: A.user_id, in_reply_to_user_link: `${siteA.url}/feed.xml`, guid: "1" });
    // And B's copy on disk is what its server serves.
    expect(readFileSync(path.join(siteB.project.root, "_site/feed.xml"), "utf8")).toContain(
      `<microblog:in_reply_to_user_link>${siteA.url}/feed.xml</microblog:in_reply_to_user_link>`,
    );
  });

  it("B notifies A's reply URL; A reads B's feed and marks the reply verified", async () => {
    const feedA = readFeed(await (await fetch(`${siteA.url}/feed.xml`)).text());
    const target = feedA.items.find((item) => item.guid === "1");
    expect(target?.reply).toBe(`${siteA.url}/api/posts/1/reply`);

    const notified = await fetch(target!.reply!, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: B.user_id, username: B.username, user_link: `${siteB.url}/feed.xml`, status_id: "1" }),
    });
    expect(notified.status).toBe(201);

    const stored = await waitForVerification(siteA, A.token, "1");
    expect(stored).toMatchObject({ post_id: 1, username: B.username, verification: "verified" });
  });

  it("a notification B's feed does not back (B's post 0 is no reply) is stored, then rejected", async () => {
    const notified = await fetch(`${siteA.url}/api/posts/0/reply`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: B.user_id, username: B.username, user_link: `${siteB.url}/feed.xml`, status_id: "0" }),
    });
    expect(notified.status).toBe(201);
    const stored = await waitForVerification(siteA, A.token, "0");
    expect(stored.verification).toBe("rejected");
    expect(stored.verification_detail).toBeTruthy();
  });

  it("each site keeps its own inbox", async () => {
    expect(await repliesOf(siteB, B.token)).toEqual([]);
    const wrongToken = await fetch(`${siteA.url}/api/inbox/replies`, { headers: { authorization: `Bearer ${B.token}` } });
    expect(wrongToken.status).toBe(401);
  });
});
