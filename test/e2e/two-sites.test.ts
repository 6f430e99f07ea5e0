/**
 * Two Skein sites on two loopback ports, as two people would run them. B publishes a post replying to
 * a post of A and notifies A's reply URL (what B's client does); A verifies the notification in the
 * background by reading B's real feed, and shows the outcome in its owner API. A notification that
 * B's feed does not back (a post that is no reply) ends up rejected.
 *
 * Both sites sign (docs/signing.md: `npm run init`'s key pair, RFC 9421 + RFC 9530): B's outbox sends
 * its reply notification and a private message signed, and A marks both signed by B's feed (the
 * unsigned copy of the notification sent earlier by hand is upgraded); a third party claiming B
 * unsigned is stored not proven; one signing with its own key as B, a tampered body, an old and a
 * replayed request are refused with nothing stored; after B rotates its key, both keys verify.
 *
 * Writing from A's owner pages (docs/writing.md), in chromium on a phone-sized window, keyboard only:
 * A follows B; on /owner/timeline the owner Tabs to Reply on B's post and publishes; the commit lands
 * in A's real git repository (the Forgejo-shaped loopback forge over A's checkout, as under npm
 * start); A rebuilds, A's outbox notifies B, and B's inbox holds A's reply verified. Then a Repost
 * and a plain post the same way, both in A's rebuilt feed.
 *
 * Webmention between the two (docs/reach.md): A publishes a post whose `in_reply_to:` is B's post
 * page, a plain URL; A rebuilds and runs its jobs; A's webmention.send discovers B's endpoint and
 * sends; B's webmention.verify reads A's page and B's owner API shows a verified reply with A's text.
 * A edits the post: sent again, B shows the new text. A deletes it: sent again, B drops it.
 *
 * Writing from an app (docs/micropub.md): a Micropub client gets a create token for A by the
 * IndieAuth code flow with PKCE, replies to B's post by its page URL, and B's inbox holds the reply
 * verified and signed, like the one from the owner's pages.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDevVar } from "../../lib/cli/dev-vars.ts";
import { type LocalForge, serveCheckout } from "../../lib/cli/local-forge.ts";
import { ensureSigningKey, generateSigningKey, rotateSigningKey } from "../../lib/cli/signing-keys.ts";
import { chromiumAvailable, launchChromium } from "../../lib/harness/browser.ts";
import { listYaml, postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, devFetch, type LocalServer, migrateLocal, startDev } from "../../lib/harness/wrangler-server.ts";
import type { ReceivedWebmention, TimelineItem } from "../../lib/shared/api-types.ts";
import { importSigningKey, signRequest } from "../../lib/shared/http-signatures.ts";
import { readFeed } from "../../lib/shared/remote-feed-reader.ts";
import { readSigningKeys } from "../../lib/shared/signing-keys.ts";
import { normalizeUserLink } from "../../lib/shared/urls.ts";

const A = { username: "alice", user_id: "a11ce000-0000-4000-8000-000000000001", token: "token-of-alice" };
const B = { username: "bruno", user_id: "b7b70000-0000-4000-8000-000000000002", token: "token-of-bruno" };

interface Site {
  project: ProjectCopy;
  server: LocalServer;
  url: string;
}

let siteA: Site;
let siteB: Site;
/** A's content store: the loopback forge over A's git checkout, as npm start serves it. */
let forgeA: LocalForge | undefined;
const git = (root: string, ...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

async function startSite(project: ProjectCopy, port: number, token: string, vars: Record<string, string> = {}): Promise<Site> {
  const url = `http://127.0.0.1:${port}`;
  project.write(".dev.vars", `OWNER_TOKEN=${token}\n`);
  ensureSigningKey(project.root);
  buildProject(project, url);
  migrateLocal(project);
  return { project, url, server: await startDev(project, port, vars) };
}

/** A's checkout as a git repository with its forge: the Worker's writes become commits in it. */
async function gitStore(project: ProjectCopy): Promise<Record<string, string>> {
  const root = project.root;
  git(root, "init", "--quiet", "-b", "main");
  git(root, "config", "user.name", "Alice A.");
  git(root, "config", "user.email", "alice@a.example");
  git(root, "add", "posts", "site");
  git(root, "commit", "--quiet", "-m", "Alice's site");
  const token = "forge-token-of-alice";
  const store = await serveCheckout(root, token);
  if (!("forge" in store)) throw new Error(store.why);
  forgeA = store.forge;
  return { CONTENT_STORE: store.forge.contentStore, CONTENT_STORE_TOKEN: token };
}

beforeAll(async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  const urlA = `http://127.0.0.1:${portA}`;
  const urlB = `http://127.0.0.1:${portB}`;
  const projectA = createProjectCopy({
    profile: profileYaml({ username: A.username, user_id: A.user_id, full_name: "Alice A.", url: urlA }),
    follows: listYaml([{ user_id: B.user_id, username: B.username, user_link: `${urlB}/feed.xml` }]),
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
        // Recent: the outbox notifies posts of the last 14 days only.
        date: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
        body: "@alice Every Sunday, rye mostly.",
        replyTo: { user_id: A.user_id, username: A.username, user_link: `${urlA}/feed.xml`, status_id: 1 },
      }),
    },
  });
  const storeA = await gitStore(projectA);
  [siteA, siteB] = await Promise.all([startSite(projectA, portA, A.token, storeA), startSite(projectB, portB, B.token)]);
});

afterAll(async () => {
  await Promise.all([siteA?.server.stop(), siteB?.server.stop(), forgeA?.close()]);
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

interface StoredMessage {
  message: string;
  username: string;
  proof: string | null;
  signed_by: string | null;
}

async function messagesOf(site: Site, token: string): Promise<StoredMessage[]> {
  const response = await fetch(`${site.url}/api/inbox/messages`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: StoredMessage[] }).items;
}

describe("signed between the two sites", () => {
  const bFeed = () => `${siteB.url}/feed.xml`;
  const messageUrl = () => `${siteA.url}/api/message`;
  const asB = (text: string) =>
    JSON.stringify({ user_id: B.user_id, username: B.username, user_link: bFeed(), message: text, date: new Date().toUTCString().replace("GMT", "+0000") });

  /** A POST to A's inbox signed with `secret` as `keyId`, created at `atMs`; the body sent may differ from the one signed. */
  async function postSigned(body: string, secret: string, options: { keyId?: string; atMs?: number; sent?: string } = {}) {
    const key = await importSigningKey(secret);
    const headers = await signRequest(
      { method: "POST", url: messageUrl(), body: new TextEncoder().encode(body) },
      { privateKey: key!.privateKey, keyId: options.keyId ?? bFeed() },
      options.atMs ?? Date.now(),
    );
    const send = () => fetch(messageUrl(), { method: "POST", headers: { "content-type": "application/json", ...headers }, body: options.sent ?? body });
    return { response: await send(), again: send };
  }

  it("B's outbox signs its reply notification: A marks the reply (stored unsigned before) signed by B's feed", async () => {
    const jobs = await fetch(`${siteB.url}/api/jobs/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${B.token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(jobs.status).toBe(200);
    const report = JSON.stringify(await jobs.json());
    const deadline = Date.now() + 30_000;
    let reply: (StoredReply & { proof?: string; signed_by?: string }) | undefined;
    do {
      reply = (await repliesOf(siteA, A.token)).find((r) => r.status_id === "1");
      if (reply?.proof === "signed") break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } while (Date.now() < deadline);
    expect(reply, report).toMatchObject({ post_id: 1, verification: "verified", proof: "signed", signed_by: normalizeUserLink(bFeed()) });
  });

  it("B's owner sends A a private message: it arrives signed; a third party claiming B unsigned is stored not proven", async () => {
    const sent = await fetch(`${siteB.url}/api/outbox/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${B.token}`, "content-type": "application/json" },
      body: JSON.stringify({ recipient: `${siteA.url}/feed.xml`, text: "Signed, sealed, delivered." }),
    });
    expect(sent.status, await sent.clone().text()).toBeLessThan(300);
    const impostor = await fetch(messageUrl(), { method: "POST", headers: { "content-type": "application/json" }, body: asB("It is me, Bruno. Really.") });
    expect(impostor.status).toBe(201);
    const stored = (await messagesOf(siteA, A.token)).map((m) => [m.message, m.username, m.proof, m.signed_by]);
    expect(stored).toEqual([
      ["It is me, Bruno. Really.", B.username, "not_proven", null],
      ["Signed, sealed, delivered.", B.username, "signed", normalizeUserLink(bFeed())],
    ]);
  });

  it("refuses, storing nothing: a third party signing with its own key as B, a tampered body, an old request, a replay", async () => {
    const secretB = readDevVar(siteB.project.root, "SIGNING_KEY")!;
    const before = (await messagesOf(siteA, A.token)).length;
    const mallory = generateSigningKey().secret;
    const statuses: number[] = [];
    statuses.push((await postSigned(asB("Mallory as B"), mallory)).response.status);
    statuses.push((await postSigned(asB("Mallory as B, her own feed as keyid"), mallory, { keyId: "http://127.0.0.1:9/mallory.xml" })).response.status);
    statuses.push((await postSigned(asB("pay 10"), secretB, { sent: asB("pay 99") })).response.status);
    statuses.push((await postSigned(asB("from long ago"), secretB, { atMs: Date.now() - 600_000 })).response.status);
    const honest = await postSigned(asB("once only"), secretB);
    statuses.push(honest.response.status);
    statuses.push((await honest.again()).status);
    expect(statuses).toEqual([403, 403, 403, 403, 201, 409]);
    const after = await messagesOf(siteA, A.token);
    expect(after.length).toBe(before + 1);
    expect(after[0]).toMatchObject({ message: "once only", proof: "signed" });
  });

  it("after B rotates its key (npm run keys -- rotate, rebuilt), the new key and the retiring old one both verify", async () => {
    const old = readDevVar(siteB.project.root, "SIGNING_KEY")!;
    rotateSigningKey(siteB.project.root, Date.now());
    const fresh = readDevVar(siteB.project.root, "SIGNING_KEY")!;
    expect(fresh).not.toBe(old);
    buildProject(siteB.project, siteB.url);
    const deadline = Date.now() + 30_000;
    const servedKeys = () =>
      fetch(bFeed()).then(
        async (response) => readSigningKeys(await response.text()).length,
        () => 0, // wrangler dev reloading the rebuilt assets
      );
    while ((await servedKeys()) < 2) {
      if (Date.now() > deadline) throw new Error("B's served feed never showed the rotated keys");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await postSigned(asB("with the new key"), fresh)).response.status).toBe(201);
    expect((await postSigned(asB("with the old key, in its grace period"), old)).response.status).toBe(201);
    const proofs = (await messagesOf(siteA, A.token)).slice(0, 2).map((m) => [m.message, m.proof]);
    expect(proofs).toEqual([
      ["with the old key, in its grace period", "signed"],
      ["with the new key", "signed"],
    ]);
  });
});

describe.skipIf(!chromiumAvailable)("A's owner writes from a phone, keyboard only", () => {
  const jobs = (site: Site, token: string) =>
    devFetch(`${site.url}/api/jobs/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: '{"all":true}',
    });

  /** Tab (never a click) until the focused element is `want`: its visible text (inside a list item holding `within`) or a selector. */
  async function tabTo(page: Page, want: { text?: string; within?: string; selector?: string }): Promise<void> {
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press("Tab");
      const found = await page.evaluate(({ text, within, selector }) => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return false;
        if (selector) return el.matches(selector);
        return el.innerText.trim() === text && (!within || (el.closest("li")?.textContent ?? "").includes(within));
      }, want);
      if (found) return;
    }
    throw new Error(`Tab never reached ${JSON.stringify(want)}`);
  }

  /** The one file a commit added, under posts/: its text. */
  function committedPost(sha: string): string {
    const added = git(siteA.project.root, "show", "--name-only", "--diff-filter=A", "--format=", sha).split("\n");
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^posts\/.+\.md$/);
    return git(siteA.project.root, "show", `${sha}:${added[0]}`);
  }

  /** Enter on the focused element, waiting for the page it leads to. */
  const enterTo = (page: Page, url: RegExp) => Promise.all([page.waitForURL(url), page.keyboard.press("Enter")]);

  /** Tab to the text field, type, Tab to Publish, Enter: the commit it made (A's new HEAD). */
  async function publish(page: Page, text: string): Promise<string> {
    const head = git(siteA.project.root, "rev-parse", "HEAD");
    await tabTo(page, { selector: "#write-text" });
    await page.keyboard.type(text);
    await tabTo(page, { text: "Publish" });
    await enterTo(page, /\/owner\/write\?notice=committed/);
    const now = git(siteA.project.root, "rev-parse", "HEAD");
    expect(now).not.toBe(head);
    return now;
  }

  it("Reply on B's post in A's timeline: committed to A's git repository, rebuilt, and B's inbox holds it verified; then a repost and a plain post", {
    timeout: 240_000,
  }, async () => {
    expect((await jobs(siteA, A.token)).status).toBe(200); // A polls B's feed
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      page.on("dialog", (dialog) => void dialog.dismiss());
      await page.goto(`${siteA.url}/owner/`);
      await tabTo(page, { selector: "#token" });
      await page.keyboard.type(A.token);
      await enterTo(page, /\/owner\/$/);

      await page.goto(`${siteA.url}/owner/timeline`);
      await tabTo(page, { text: "Reply", within: "Bruno says hello." });
      await enterTo(page, /\/owner\/write\?reply=/);
      await expect(page.locator(".owner-context").innerText()).resolves.toContain(`Replying to @${B.username}, their post 0`);
      const replySha = await publish(page, "@bruno Hello back, from my phone.");
      const root = siteA.project.root;
      expect(git(root, "log", "-1", "--format=%an|%s", replySha)).toMatch(/^Alice A\.?\|Reply 2 to @bruno: @bruno Hello back/);
      const replyFile = committedPost(replySha);
      expect(replyFile).toContain(B.user_id);
      expect(replyFile).toMatch(/status_id: "?0"?/);
      expect(await page.locator("#written-heading + ol").innerText()).toContain("committed");

      // A rebuilds (what the deploy does); A's outbox notifies B; B reads A's feed and verifies.
      buildProject(siteA.project, siteA.url);
      const deadline = Date.now() + 60_000;
      let atB: (StoredReply & { proof?: string }) | undefined;
      for (;;) {
        await jobs(siteA, A.token).catch(() => undefined);
        atB = (await repliesOf(siteB, B.token)).find((r) => r.status_id === "2");
        if (atB && atB.verification !== "pending") break;
        if (Date.now() > deadline) throw new Error(`B never got A's reply verified: ${JSON.stringify(atB)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(atB).toMatchObject({ post_id: 0, username: A.username, verification: "verified", proof: "signed" });

      // A repost of B's reply post, with a comment, and a plain post: the same way.
      await page.goto(`${siteA.url}/owner/timeline`);
      await tabTo(page, { text: "Repost", within: "Every Sunday, rye mostly." });
      await enterTo(page, /\/owner\/write\?repost=/);
      const repostSha = await publish(page, "Rye it is.");
      expect(committedPost(repostSha)).toContain("Every Sunday, rye mostly.");
      await page.goto(`${siteA.url}/owner/write`);
      const plainSha = await publish(page, "A plain post, typed on a phone.");
      expect(committedPost(plainSha)).toContain("A plain post, typed on a phone.");
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
      await page.close();
    } finally {
      await browser.close();
    }
    buildProject(siteA.project, siteA.url);
    let text = "";
    for (let i = 0; i < 120 && !text.includes('<guid isPermaLink="false">4</guid>'); i++) {
      text = await fetch(`${siteA.url}/feed.xml`).then(
        (r) => r.text(),
        () => "", // wrangler dev reloading the rebuilt assets
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const feed = readFeed(text);
    const repost = feed.items.find((item) => item.guid === "3");
    expect(repost).toMatchObject({ reposted_status_user_id: B.user_id, reposted_status_id: "1" });
    expect(feed.items.find((item) => item.guid === "4")?.description).toContain("A plain post, typed on a phone.");
  });
});

describe("A answers B's post page by webmention (W3C Webmention §3.1 out, §3.2 in)", () => {
  const replyFile = () => path.join(siteA.project.root, "posts/a9.md");
  const sourceUrl = () => `${siteA.url}/posts/9/`;
  const targetUrl = () => `${siteB.url}/posts/0/`;
  const date = new Date(Date.now() - 600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const runJobs = (site: Site, token: string) =>
    devFetch(`${site.url}/api/jobs/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: '{"all":true}',
    });

  /** A's post 9, a reply whose `in_reply_to:` is B's post page: a plain URL, no Open Microblog item. */
  function writeReply(body: string): void {
    writeFileSync(replyFile(), postMarkdown({ id: 9, date, body, extra: { in_reply_to: targetUrl() } }));
  }

  /** A rebuilds (what the deploy does) and waits for wrangler dev to serve post 9's page as `status`. */
  async function rebuildA(status: number, text?: string): Promise<void> {
    buildProject(siteA.project, siteA.url);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const page = await fetch(sourceUrl()).then(
        async (r) => ({ status: r.status, body: await r.text() }),
        () => ({ status: 0, body: "" }), // wrangler dev reloading the rebuilt assets
      );
      if (page.status === status && (text === undefined || page.body.includes(text))) return;
      if (Date.now() > deadline) throw new Error(`A's post 9 never answered ${status}${text ? ` with "${text}"` : ""}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Both sites run their jobs (A's webmention.send, B's webmention.verify) until B's row from A's post 9 passes `done`. */
  async function atB(done: (row: ReceivedWebmention | undefined) => boolean): Promise<ReceivedWebmention | undefined> {
    const deadline = Date.now() + 60_000;
    let row: ReceivedWebmention | undefined;
    const reports: string[] = [];
    for (;;) {
      reports.push(JSON.stringify(await (await runJobs(siteA, A.token)).json()));
      await runJobs(siteB, B.token);
      const listed = await fetch(`${siteB.url}/api/webmentions`, { headers: { authorization: `Bearer ${B.token}` } });
      expect(listed.status).toBe(200);
      row = ((await listed.json()) as { items: ReceivedWebmention[] }).items.find((item) => item.source === sourceUrl());
      if (done(row)) return row;
      if (Date.now() > deadline) throw new Error(`B's webmention from A: ${JSON.stringify(row)}; A's last job report: ${reports.at(-1)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it("A publishes the reply; A's webmention.send discovers B's endpoint and sends; B verifies it as a reply from A with A's text", async () => {
    expect((await fetch(targetUrl())).status).toBe(200);
    writeReply("Rye for me too, Bruno. Every Sunday.");
    await rebuildA(200, "Every Sunday.");
    const row = await atB((r) => r?.state === "verified");
    expect(row).toMatchObject({ target: targetUrl(), post_id: 0, state: "verified", kind: "reply" });
    expect(row?.author_url?.startsWith(siteA.url)).toBe(true);
    expect(row?.content).toContain("Rye for me too, Bruno. Every Sunday.");
    const sent = await fetch(`${siteA.url}/api/outbox/webmentions`, { headers: { authorization: `Bearer ${A.token}` } });
    expect(JSON.stringify(await sent.json())).toContain(targetUrl());
  });

  it("A edits the reply: sent again, and B shows the new text", async () => {
    writeReply("Rye for me too, Bruno. Every other Sunday, in fact.");
    await rebuildA(200, "Every other Sunday");
    const row = await atB((r) => r?.content?.includes("Every other Sunday") === true);
    expect(row).toMatchObject({ state: "verified", kind: "reply" });
    expect(row?.content).not.toContain("Every Sunday.");
  });

  it("A deletes the reply: sent again, and B drops what it said", async () => {
    rmSync(replyFile());
    await rebuildA(404);
    // §3.2.2: the source now answers 404, so B keeps the row rejected, with nothing of what A said.
    const row = await atB((r) => r?.state !== "verified");
    expect(row).toMatchObject({ state: "rejected", detail: "the source answered 404", content: null });
  });
});

/**
 * Posting from an app (docs/micropub.md, docs/indieauth.md): the app gets a token for A with scope
 * create through the IndieAuth code flow over HTTP (the owner's session approves on the consent
 * form; the code is redeemed at the token endpoint with its PKCE verifier), then creates a reply to
 * B's post 1 with a form-encoded Micropub request naming B's post page as A's timeline knows it.
 * The commit lands in A's git repository with reply_to; A rebuilds, its outbox notifies B, and B's
 * inbox holds the reply verified and signed.
 */
describe("A's owner replies to B from a Micropub app", () => {
  const ownerApi = (site: Site, token: string, route: string, init: RequestInit = {}) =>
    devFetch(`${site.url}${route}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });

  /** IndieAuth §5: sign in as the owner, approve on the consent form, redeem the code with the verifier. */
  async function appToken(client: string): Promise<string> {
    const metadata = (await (await fetch(`${siteA.url}/.well-known/oauth-authorization-server`)).json()) as { token_endpoint: string };
    const post = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
      devFetch(url, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(fields),
      });
    const signedIn = await post(`${siteA.url}/owner/sign-in`, { token: A.token }, { origin: siteA.url });
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
    const verifier = "verifier-of-the-micropub-app-".padEnd(64, "v");
    const challenge = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))).toString("base64url");
    const request = {
      response_type: "code",
      client_id: client,
      redirect_uri: `${client}callback`,
      state: "s-1",
      code_challenge: challenge,
      code_challenge_method: "S256",
    };
    const approved = await post(`${siteA.url}/owner/auth/approve`, { ...request, decision: "approve", scope: "create" }, { cookie, origin: siteA.url });
    expect(approved.status, await approved.clone().text()).toBe(302);
    const code = new URL(approved.headers.get("location")!).searchParams.get("code")!;
    const exchanged = await post(
      metadata.token_endpoint,
      { grant_type: "authorization_code", code, client_id: client, redirect_uri: request.redirect_uri, code_verifier: verifier },
      { accept: "application/json" },
    );
    expect(exchanged.status).toBe(200);
    const token = (await exchanged.json()) as { access_token: string; scope: string };
    expect(token.scope).toBe("create");
    return token.access_token;
  }

  it("token by the code flow, Micropub reply 202, commit with reply_to, and B's inbox holds it verified and signed", { timeout: 120_000 }, async () => {
    expect((await ownerApi(siteA, A.token, "/api/jobs/run", { method: "POST", body: '{"all":true}' })).status).toBe(200); // A polls B
    const timeline = (await (await ownerApi(siteA, A.token, "/api/timeline")).json()) as { items: TimelineItem[] };
    const theirs = timeline.items.find((item) => item.user_id === B.user_id && item.guid === "1");
    expect(theirs?.link).toBe(`${siteB.url}/posts/1/`);

    const client = "http://127.0.0.1:9/";
    const accessToken = await appToken(client);
    const head = git(siteA.project.root, "rev-parse", "HEAD");
    const created = await devFetch(`${siteA.url}/api/micropub`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ h: "entry", content: "@bruno Rye from an app, too.", "in-reply-to": theirs!.link! }),
    });
    expect(created.status, await created.clone().text()).toBe(202);
    const location = created.headers.get("location")!;
    const postId = /\/posts\/(\d+)\/$/.exec(location)?.[1];
    expect(location).toBe(`${siteA.url}/posts/${postId}/`);

    const sha = git(siteA.project.root, "rev-parse", "HEAD");
    expect(sha).not.toBe(head);
    expect(git(siteA.project.root, "log", "-1", "--format=%B", sha)).toContain(`${client} (Micropub)`);
    const added = git(siteA.project.root, "show", "--name-only", "--diff-filter=A", "--format=", sha);
    const file = git(siteA.project.root, "show", `${sha}:${added}`);
    expect(file).toMatch(new RegExp(`reply_to:[\\s\\S]*user_id: "?${B.user_id}"?[\\s\\S]*status_id: "?1"?`));
    expect(file).toContain("Rye from an app, too.");

    // A rebuilds (what the deploy does); A's outbox notifies B; B reads A's feed and verifies.
    buildProject(siteA.project, siteA.url);
    const deadline = Date.now() + 60_000;
    let atB: (StoredReply & { proof?: string }) | undefined;
    for (;;) {
      await ownerApi(siteA, A.token, "/api/jobs/run", { method: "POST", body: '{"all":true}' }).catch(() => undefined);
      atB = (await repliesOf(siteB, B.token)).find((r) => r.status_id === postId);
      if (atB && atB.verification !== "pending") break;
      if (Date.now() > deadline) throw new Error(`B never got A's Micropub reply verified: ${JSON.stringify(atB)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(atB).toMatchObject({ post_id: 1, username: A.username, verification: "verified", proof: "signed" });
  });
});
