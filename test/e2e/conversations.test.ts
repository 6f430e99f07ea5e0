/// <reference lib="dom" />
/**
 * Conversations on the site, end to end (issue "Conversations on the site"): site A runs as its own
 * Worker (wrangler dev); replier B is a real feed on loopback, built by our own builder, one of its
 * items full of XSS. B notifies A; A verifies; `npm run replies` lists them; `approve` re-checks at
 * the source and writes posts/replies/<guid>.yaml; a reply whose item B deleted meanwhile is refused
 * and nothing is written; `reject` keeps one from being listed again; the rebuilt post page shows the
 * approved reply, inert, in chromium on a phone and a desktop; no feed page changed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "../../lib/harness/browser.ts";
import { buildSiteFiles, postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, startDev } from "../../lib/harness/wrangler-server.ts";
import { runScript } from "../support/cli.ts";

const A = { username: "alma", user_id: "a1a1a1a1-0000-4000-8000-000000000001", token: "conversations-token-of-alma" };
const B = { username: "bram", user_id: "b2b2b2b2-0000-4000-8000-000000000002" };
const XSS = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

let siteA: { project: ProjectCopy; server: LocalServer; url: string };
let feedB: http.Server;
let feedBUrl: string;
let filesB = new Map<string, string>();

function buildB(urlA: string, withSecondReply: boolean): Map<string, string> {
  const reply = (status: number) => ({ user_id: A.user_id, username: A.username, user_link: `${urlA}/feed.xml`, status_id: status });
  const posts = [
    postMarkdown({ id: 0, date: "2026-06-01T09:00:00Z", body: "Bram's first." }),
    postMarkdown({ id: 1, date: "2026-06-02T09:00:00Z", body: `@alma Lovely, *really*. ${XSS}`, replyTo: reply(1) }),
  ];
  if (withSecondReply) posts.push(postMarkdown({ id: 2, date: "2026-06-03T09:00:00Z", body: "@alma Me too.", replyTo: reply(0) }));
  return buildSiteFiles(
    {
      profile: profileYaml({ username: B.username, user_id: B.user_id, full_name: "Bram B.", url: feedBUrl }),
      posts: posts.map((text, i) => ({ file: `posts/b${i}.md`, bytes: new TextEncoder().encode(text) })),
    },
    { urlOverride: feedBUrl },
  );
}

/** Asynchronously: the replier's feed is served by this very process, which must keep answering. */
async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const result = await runScript(siteA.project.root, "scripts/replies.ts", [...args, "--url", siteA.url, "--token", A.token]);
  return { status: result.code, stdout: result.stdout, stderr: result.stderr };
}

async function notify(postId: number, statusId: number): Promise<void> {
  const response = await fetch(`${siteA.url}/api/posts/${postId}/reply`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: B.user_id, username: B.username, user_link: `${feedBUrl}/feed.xml`, status_id: String(statusId) }),
  });
  expect(response.status).toBe(201);
}

async function replies(): Promise<{ id: number; status_id: string; verification: string; moderation: string | null }[]> {
  const response = await fetch(`${siteA.url}/api/inbox/replies`, { headers: { authorization: `Bearer ${A.token}` } });
  return ((await response.json()) as { items: { id: number; status_id: string; verification: string; moderation: string | null }[] }).items;
}

beforeAll(async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  const urlA = `http://127.0.0.1:${portA}`;
  feedBUrl = `http://127.0.0.1:${portB}`;
  filesB = buildB(urlA, true);
  feedB = http.createServer((req, res) => {
    const body = filesB.get(new URL(req.url ?? "/", "http://x").pathname);
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" }).end(body);
  });
  await new Promise<void>((resolve) => feedB.listen(portB, "127.0.0.1", resolve));
  expect((feedB.address() as AddressInfo).port).toBe(portB);

  const project = createProjectCopy({
    profile: profileYaml({ username: A.username, user_id: A.user_id, full_name: "Alma A.", url: urlA }),
    follows: null,
    blocks: null,
    posts: {
      "a0.md": postMarkdown({ id: 0, date: "2026-06-01T08:00:00Z", body: "Alma's first post." }),
      "a1.md": postMarkdown({ id: 1, date: "2026-06-01T20:00:00Z", body: "Sourdough or rye?" }),
    },
  });
  project.write(".dev.vars", `OWNER_TOKEN=${A.token}\n`);
  buildProject(project, urlA);
  migrateLocal(project);
  siteA = { project, url: urlA, server: await startDev(project, portA) };
  await notify(1, 1);
  await notify(0, 2);
  for (let i = 0; i < 80 && (await replies()).some((reply) => reply.verification === "pending"); i++) await new Promise((resolve) => setTimeout(resolve, 250));
});

afterAll(async () => {
  await siteA?.server.stop();
  await new Promise<void>((resolve) => (feedB ? feedB.close(() => resolve()) : resolve()));
  siteA?.project.cleanup();
});

describe("npm run replies", () => {
  it("lists the verified replies waiting for a decision", async () => {
    expect((await replies()).map((reply) => reply.verification)).toEqual(["verified", "verified"]);
    const listed = await cli();
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("@bram");
    expect(listed.stdout.match(/ verified /g)).toHaveLength(2);
  });

  it("approve re-checks the reply at its source and writes it, sanitized, into posts/replies/<guid>.yaml", async () => {
    const id = (await replies()).find((reply) => reply.status_id === "1")!.id;
    const approved = await cli("approve", String(id));
    expect(approved.status, `${approved.stdout}\n${approved.stderr}`).toBe(0);
    expect(approved.stdout).toMatch(/written\s+written to posts\/replies\/1\.yaml/);
    const file = readFileSync(path.join(siteA.project.root, "posts/replies/1.yaml"), "utf8");
    expect(file).toContain("username: bram");
    expect(file).toContain(`user_link: ${feedBUrl}/feed.xml`);
    expect(file).toContain(`profile: ${feedBUrl}/`);
    expect(file).toContain('guid: "1"');
    expect(file).not.toMatch(/<script|onerror/);
    expect((await replies()).find((reply) => reply.id === id)?.moderation).toBe("approved");
  });

  it("a reply whose item the replier deleted meanwhile is refused and nothing is written", async () => {
    filesB = buildB(siteA.url, false);
    const id = (await replies()).find((reply) => reply.status_id === "2")!.id;
    const refused = await cli("approve", String(id));
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/refused\s+not written: no item with guid 2/);
    expect(existsSync(path.join(siteA.project.root, "posts/replies/0.yaml"))).toBe(false);
  });

  it("reject keeps a reply from being listed again", async () => {
    const id = (await replies()).find((reply) => reply.status_id === "2")!.id;
    expect((await cli("reject", String(id))).status).toBe(0);
    const listed = await cli("list", "--json");
    const data = JSON.parse(listed.stdout) as { undecided: unknown[] };
    expect(data.undecided).toEqual([]);
  });
});

describe("the rebuilt site", () => {
  let feedBefore: string[];
  beforeAll(() => {
    const site = path.join(siteA.project.root, "_site");
    feedBefore = readdirSync(site)
      .filter((name) => name.endsWith(".xml"))
      .map((name) => readFileSync(path.join(site, name), "utf8"));
    buildProject(siteA.project, siteA.url);
  });

  it("shows the approved reply under its post; the feed is unchanged", () => {
    const page = readFileSync(path.join(siteA.project.root, "_site/posts/1/index.html"), "utf8");
    expect(page).toContain('<h2 id="replies-heading">Replies</h2>');
    expect(page).toContain('<span class="p-name">Bram B.</span> <a');
    const site = path.join(siteA.project.root, "_site");
    expect(
      readdirSync(site)
        .filter((name) => name.endsWith(".xml"))
        .map((name) => readFileSync(path.join(site, name), "utf8")),
    ).toEqual(feedBefore);
  });

  it.skipIf(!chromiumAvailable)("renders the reply inert and readable on a phone and a desktop", async () => {
    const browser = await launchChromium();
    try {
      for (const viewport of [
        { width: 390, height: 844 },
        { width: 1280, height: 800 },
      ]) {
        const page = await browser.newPage({ viewport });
        const dialogs: string[] = [];
        page.on("dialog", (dialog) => {
          dialogs.push(dialog.message());
          void dialog.dismiss();
        });
        await page.goto(`${siteA.url}/posts/1/`);
        await expect(page.locator("#replies-heading").innerText()).resolves.toBe("Replies");
        expect(await page.locator(".reply-body").innerText()).toContain("Lovely, really.");
        const state = await page.evaluate(() => ({
          pwned: (window as unknown as { __pwned?: number }).__pwned ?? 0,
          scripts: document.querySelectorAll("main script, main img[onerror]").length,
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        }));
        expect(state).toEqual({ pwned: 0, scripts: 0, overflow: 0 });
        expect(dialogs).toEqual([]);
        await page.screenshot({ path: path.join(REPO_ROOT, "test-results", "screenshots", `post-with-replies-${viewport.width}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });
});

it("never touches the repository", () => {
  expect(siteA.project.root.startsWith(REPO_ROOT)).toBe(false);
  execFileSync("git", ["diff", "--quiet", "--", "posts"], { cwd: REPO_ROOT });
});
