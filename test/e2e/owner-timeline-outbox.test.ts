/// <reference lib="dom" />
/**
 * The owner's timeline and outbox pages in a real browser (Debian's chromium via playwright-core)
 * against the real Worker under `wrangler dev`, on a phone and a desktop. Owner olga follows three
 * accounts served by a Node loopback server playing other Open Microblog sites (real feeds built by
 * our own builder, one hand-written feed full of XSS payloads); the scheduled jobs are run as `npm
 * run tick -- --all` runs them (POST /api/jobs/run), so the timeline is what the real poller stored.
 *
 *   browse the timeline: newest first, paging with "Older posts", filter by account, mentions only,
 *   reply and repost context; the hostile post renders inert (no dialog, no script-like element, no
 *   on* attribute, no javascript: link, images as links);
 *   answer a message from the conversation page: bea's server receives it, the conversation shows it;
 *   write a message that the receiver refuses with a 400: the form comes back with why and the text;
 *   the outbox shows it failed, Retry queues it, the next run sends it;
 *   the same with the keyboard alone, and no page wider than a phone's screen.
 * Screenshots go to test-results/screenshots/owner-*.png.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, watchPage } from "../../lib/harness/browser.ts";
import { buildSiteFiles, listYaml, postFile, postMarkdown, profileYaml } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, raiseRateLimits, startDev } from "../../lib/harness/wrangler-server.ts";
import type { JobsRunReport, ListPage, OutboxItem, TimelineItem } from "../../lib/shared/api-types.ts";

const SCREENSHOTS = path.join(REPO_ROOT, "test-results", "screenshots");
const TOKEN = "owner-timeline-outbox-token-0123456789";
const OLGA = { username: "olga", user_id: "01a00000-0000-4000-8000-00000000010a" };
const VIEWPORTS = [
  { name: "phone", width: 390, height: 844 },
  { name: "desktop", width: 1280, height: 800 },
] as const;

/** The other sites: bea writes plenty, mallory is hostile, flaky refuses a first message with a 400. */
const OTHERS = {
  bea: { user_id: "bea00000-0000-4000-8000-0000000000be", messageAnswers: [] as number[] },
  mallory: { user_id: "3a110000-0000-4000-8000-0000000000ae", messageAnswers: [] as number[] },
  flaky: { user_id: "f1a40000-0000-4000-8000-0000000000f1", messageAnswers: [400] },
} as const;
type Other = keyof typeof OTHERS;
const BEA_POSTS = 7;

const XSS = [
  `<script>window.__pwned=1</script>`,
  `<img src=x onerror="window.__pwned=2">`,
  `<svg onload="window.__pwned=3"></svg>`,
  `<a href="javascript:window.__pwned=4">js link</a>`,
  `<a href="data:text/html,<script>window.__pwned=5</script>">data link</a>`,
  `<iframe src="javascript:window.__pwned=6"></iframe>`,
  `<p onmouseover="window.__pwned=7" style="background:red">hover me</p>`,
  `<form action="javascript:window.__pwned=8"><button>go</button><input name=x></form>`,
  `<details open ontoggle="window.__pwned=9"><summary>s</summary></details>`,
  `<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=10"></style></mglyph></table></mtext></math>`,
  `<img src="https://img.example/cat.png" alt="a cat">`,
].join("");

let project: ProjectCopy;
let server: LocalServer;
let browser: Browser;
let others: http.Server;
let othersBase = "";
/** The owner's site (known before it starts: bea's feed replies to one of its posts). */
let siteUrl = "";
const received = new Map<Other, Record<string, string>[]>();

const feedOf = (name: Other) => `${othersBase}/${name}/feed.xml`;

function hostileFeed(): string {
  const date = (hours: number) => new Date(Date.UTC(2026, 4, 3, 8 + hours)).toUTCString();
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:microblog="http://openmicroblog.com/">
<channel>
<title>mallory</title><link>${othersBase}/mallory/</link><description>hostile</description>
<microblog:user_id>${OTHERS.mallory.user_id}</microblog:user_id>
<microblog:username>mallory</microblog:username>
<microblog:user_full_name>&lt;img src=x onerror="window.__pwned=11"&gt;Mal</microblog:user_full_name>
<item><guid isPermaLink="false">1</guid><pubDate>${date(0)}</pubDate><link>javascript:window.__pwned=12</link>
<description><![CDATA[<p>Hostile post for @olga ${XSS}</p>]]></description></item>
</channel>
</rss>`;
}

/** The Node server playing the other sites: their feeds, and their message URLs (recorded). */
async function startOthers(): Promise<void> {
  const files = new Map<string, string>();
  const answers = new Map<Other, number[]>();
  others = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const post = /^\/(\w+)\/api\/message$/.exec(url.pathname);
    if (req.method === "POST" && post) {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const name = post[1] as Other;
        received.set(name, [...(received.get(name) ?? []), JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, string>]);
        const status = answers.get(name)?.shift() ?? 201;
        res.writeHead(status, status >= 400 ? { "Content-Type": "application/problem+json" } : {});
        res.end(status >= 400 ? JSON.stringify({ status, detail: "message: not today" }) : undefined);
      });
      return;
    }
    const file = url.pathname === "/mallory/feed.xml" ? hostileFeed() : files.get(url.pathname);
    res.writeHead(file ? 200 : 404, { "Content-Type": file ? "application/rss+xml; charset=utf-8" : "text/plain" });
    res.end(file ?? "not found");
  });
  await new Promise<void>((resolve) => others.listen(0, "127.0.0.1", resolve));
  othersBase = `http://127.0.0.1:${(others.address() as AddressInfo).port}`;
  for (const name of ["bea", "flaky"] as const) {
    const url = `${othersBase}/${name}`;
    const olga = { user_id: OLGA.user_id, username: OLGA.username, user_link: `${siteUrl}/feed.xml` };
    const posts =
      name === "bea"
        ? Array.from({ length: BEA_POSTS }, (_, i) => {
            const date = Date.UTC(2026, 4, 1, 9 + i);
            if (i === 4) return postFile({ id: i, date, body: "Agreed, rye it is.", replyTo: { ...olga, status_id: 0 } });
            if (i === 5) return postFile({ id: i, date, body: "Hello @olga, the bread was great." });
            return postFile({ id: i, date, body: `Bea's post number ${i}.` });
          })
        : [postFile({ id: 0, date: Date.UTC(2026, 4, 1, 8), body: "Flaky here." })];
    const built = buildSiteFiles({
      profile: profileYaml({ username: name, user_id: OTHERS[name].user_id, full_name: name === "bea" ? "Bea B." : "Flaky F.", url, functions_url: url }),
      posts,
    });
    for (const [permalink, xml] of built) files.set(`/${name}${permalink}`, xml);
    answers.set(name, [...OTHERS[name].messageAnswers]);
  }
}

async function api<T>(method: string, pathAndQuery: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(`${server.url}${pathAndQuery}`, init);
  expect(response.ok, `${method} ${pathAndQuery} answered ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

/** What `npm run tick -- --all` does. */
const tick = () => api<JobsRunReport>("POST", "/api/jobs/run", { all: true });

beforeAll(async () => {
  if (!chromiumAvailable) return;
  const port = await freePort();
  siteUrl = `http://127.0.0.1:${port}`;
  await startOthers();
  project = createProjectCopy({
    profile: profileYaml({ username: OLGA.username, user_id: OLGA.user_id, full_name: "Olga O.", url: siteUrl }),
    follows: listYaml((Object.keys(OTHERS) as Other[]).map((name) => ({ user_id: OTHERS[name].user_id, username: name, user_link: feedOf(name) }))),
    blocks: null,
    posts: { "o0.md": postMarkdown({ id: 0, date: "2026-04-30T08:00:00Z", body: "Rye or spelt?" }) },
  });
  buildProject(project, siteUrl);
  migrateLocal(project);
  raiseRateLimits(project);
  server = await startDev(project, port, { OWNER_TOKEN: TOKEN });
  // New follows' first polls are bounded per run (lib/timeline/poll-job.ts, a CPU estimate): tick until none waits.
  let summary = "";
  for (let run = 0; run < 3; run++) {
    summary = (await tick()).jobs.find((job) => job.job === "timeline.poll")?.summary ?? "";
    if (!/wait for the next run/.test(summary)) break;
  }
  expect(summary).toContain("polled 3 of 3 followed feeds");
  // bea writes to olga: the conversation the owner answers.
  const message = await fetch(`${server.url}/api/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      user_id: OTHERS.bea.user_id,
      username: "bea",
      user_link: feedOf("bea"),
      message: "Coming to the bakery on Sunday?",
      date: "2026-05-02T10:00:00Z",
    }),
  });
  expect(message.status).toBe(201);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise<void>((resolve) => (others ? others.close(() => resolve()) : resolve()));
  project?.cleanup();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${server.url}/owner/sign-in`);
  await page.getByLabel("Owner token").fill(TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${server.url}/owner/`);
}

/** Nothing of a stranger's markup became active in the page. */
async function expectInert(page: Page): Promise<void> {
  const found = await page.evaluate(() => {
    const active: string[] = [];
    for (const element of Array.from(document.querySelectorAll("*"))) {
      for (const attribute of element.getAttributeNames()) {
        if (attribute.startsWith("on") || attribute === "style") active.push(`${element.tagName}[${attribute}]`);
      }
      for (const attribute of ["href", "src", "action"]) {
        const value = element.getAttribute(attribute) ?? "";
        if (/^\s*(javascript|data|vbscript):/i.test(value)) active.push(`${element.tagName}[${attribute}=${value}]`);
      }
    }
    if (document.querySelectorAll("script, svg, math, iframe, object, embed, img, style, details").length) active.push("script-like element");
    if (document.querySelectorAll(".owner-post form, .owner-post input, .owner-post button").length) active.push("a stranger's form");
    if ((window as unknown as { __pwned?: number }).__pwned) active.push("payload ran");
    return active;
  });
  expect(found).toEqual([]);
}

const postIds = (page: Page) => page.locator(".owner-timeline > li").evaluateAll((items) => items.map((item) => item.id));
/** Measured once the page has loaded: before /owner/style.css arrives, long words do not wrap yet. */
async function noWiderThanScreen(page: Page): Promise<number> {
  await page.waitForLoadState("load");
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe.skipIf(!chromiumAvailable)("the owner's timeline and outbox pages in chromium", () => {
  for (const viewport of VIEWPORTS) {
    describe(`on a ${viewport.name}`, () => {
      const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `owner-${viewport.name}-${name}.png`), fullPage: true });

      it("browsing the timeline: newest first, paged with Older posts, the same posts as the API, replies and reposts explained", async () => {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        const { problems } = watchPage(page);
        await signIn(page);
        await page.getByRole("link", { name: "Timeline", exact: true }).click();
        await expect(page.locator("h1").innerText()).resolves.toBe("Timeline");
        expect(await noWiderThanScreen(page)).toBeLessThanOrEqual(0);
        await shoot(page, "timeline");

        const listed = await api<ListPage<TimelineItem>>("GET", "/api/timeline");
        expect(listed.items).toHaveLength(BEA_POSTS + 2);
        expect(await postIds(page)).toEqual(listed.items.map((item) => `post-${item.id}`));
        await expect(page.locator(".owner-timeline").innerText()).resolves.toContain("Replying to you");

        // Three at a time, following the links.
        await page.goto(`${server.url}/owner/timeline?limit=3`);
        const seen: string[] = [];
        for (let pages = 0; pages < 10; pages++) {
          seen.push(...(await postIds(page)));
          const older = page.getByRole("link", { name: "Older posts" });
          if (!(await older.count())) break;
          await older.click();
        }
        expect(seen).toEqual(listed.items.map((item) => `post-${item.id}`));
        expect(problems).toEqual([]);
        await context.close();
      });

      it("filtering by account and mentions only", async () => {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        await signIn(page);
        await page.goto(`${server.url}/owner/timeline`);
        await page.getByLabel("Account").selectOption("@bea");
        await page.getByRole("button", { name: "Show" }).click();
        const bea = await page.locator(".owner-timeline .owner-byline").allInnerTexts();
        expect(bea).toHaveLength(BEA_POSTS);
        expect(bea.every((line) => line.startsWith("Bea B. @bea"))).toBe(true);
        await page.getByLabel("Only posts that mention you").check();
        await page.getByRole("button", { name: "Show" }).click();
        expect(new URL(page.url()).searchParams.get("mentions")).toBe("1");
        const texts = await page.locator(".owner-timeline .owner-post").allInnerTexts();
        expect(texts.map((text) => text.trim())).toEqual(["Hello @olga, the bread was great.", "Agreed, rye it is."]);
        await expect(page.getByLabel("Account").inputValue()).resolves.toBe("@bea");
        await context.close();
      });

      it("a timeline post full of XSS payloads renders inert; its image is a link", async () => {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        const { problems } = watchPage(page);
        await signIn(page);
        await page.goto(`${server.url}/owner/timeline?user=%40mallory`);
        await expect(page.locator(".owner-post").innerText()).resolves.toContain("Hostile post for @olga");
        await expectInert(page);
        await expect(page.locator(".owner-post a", { hasText: "image: a cat" }).getAttribute("href")).resolves.toBe("https://img.example/cat.png");
        // Their name is text; their javascript: link to the original is no link at all.
        await expect(page.locator(".owner-byline").innerText()).resolves.toContain('<img src=x onerror="window.__pwned=11">Mal');
        expect(await page.getByRole("link", { name: "Open the original" }).count()).toBe(0);
        await page.locator(".owner-post").hover();
        await expectInert(page);
        expect(problems).toEqual([]);
        await context.close();
      });

      it("the outbox and the followed feeds fit the screen", async () => {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        await signIn(page);
        await page.getByRole("link", { name: "Outbox", exact: true }).click();
        await expect(page.locator("h1").innerText()).resolves.toBe("Outbox");
        expect(await noWiderThanScreen(page)).toBeLessThanOrEqual(0);
        await shoot(page, "outbox");
        await page.goto(`${server.url}/owner/timeline/follows`);
        await expect(page.locator(".owner-list").innerText()).resolves.toMatch(/Bea B\. @bea\s+up to date/);
        expect(await noWiderThanScreen(page)).toBeLessThanOrEqual(0);
        await context.close();
      });
    });
  }

  it("answering a message from its conversation: bea's server receives it and the conversation shows it", async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS[0] });
    const page = await context.newPage();
    await signIn(page);
    await page.getByRole("link", { name: "Inbox", exact: true }).click();
    await page.getByRole("link", { name: "@bea" }).click();
    await page.getByLabel("Your message").fill("Yes! See you at ten.\nI'll bring rye.");
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page.getByRole("status").innerText()).resolves.toBe("Your message was sent.");
    const last = page.locator(".owner-list > li.from-me").last();
    await expect(last.innerText()).resolves.toContain("Yes! See you at ten.\nI'll bring rye.");
    expect(received.get("bea")?.map((body) => [body.user_id, body.message])).toEqual([[OLGA.user_id, "Yes! See you at ten.\nI'll bring rye."]]);
    await page.screenshot({ path: path.join(SCREENSHOTS, "owner-phone-conversation-answered.png"), fullPage: true });
    await context.close();
  });

  it("a message the receiver refuses: the form keeps the text and says why; Retry in the outbox; the next run sends it", async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS[1] });
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${server.url}/owner/outbox/write`);
    await page.getByLabel("To").fill(feedOf("flaky"));
    await page.getByLabel("Your message").fill("Are the rolls ready?");
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toMatch(
      /^Not sent: @flaky's server did not take the message \(.*400.*\); it is kept as outbox \d+$/,
    );
    await expect(page.getByLabel("Your message").inputValue()).resolves.toBe("Are the rolls ready?");
    await expect(page.getByLabel("To").inputValue()).resolves.toBe(feedOf("flaky"));

    await page.getByRole("link", { name: "Outbox", exact: true }).click();
    await page.getByLabel("Show").selectOption("failed");
    await page.getByRole("button", { name: "Filter" }).click();
    const failed = page.locator(".owner-list > li").first();
    await expect(failed.innerText()).resolves.toContain("Message to @flaky");
    await expect(failed.innerText()).resolves.toMatch(/Why: .*400/);
    await failed.getByRole("button", { name: "Retry: Message to @flaky" }).click();
    await expect(page.getByRole("status").innerText()).resolves.toBe("It is queued again.");
    const item = page.locator(".owner-list > li:target");
    await expect(item.innerText()).resolves.toMatch(/queued[\s\S]*next try:/);

    await tick();
    await page.reload();
    await expect(page.locator(".owner-list > li:target").innerText()).resolves.toMatch(/Message to @flaky\s+sent/);
    const items = (await api<ListPage<OutboxItem>>("GET", "/api/outbox?state=sent")).items;
    expect(items.find((row) => row.username === "flaky")).toMatchObject({ state: "sent", http_status: 201 });
    expect(received.get("flaky")?.map((body) => body.message)).toEqual(["Are the rolls ready?", "Are the rolls ready?"]);
    await context.close();
  });

  it("with the keyboard alone: filter the timeline, then write to @bea", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${server.url}/owner/timeline`);
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || "");
    const order: string[] = [];
    for (let i = 0; i < 12 && (await focused()) !== "user"; i++) {
      await page.keyboard.press("Tab");
      order.push(await focused());
    }
    // The skip link first, then the navigation, then the filter: the focus follows the page.
    expect(order).toEqual(["Skip to content", "Overview", "Inbox", "Timeline", "Outbox", "Write", "Apps", "Sign out", "user"]);
    await page.keyboard.press("ArrowDown");
    await expect(page.locator("#user").inputValue()).resolves.toBe("@bea");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("mentions");
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(/mentions=1/);
    expect(await page.locator(".owner-timeline > li").count()).toBe(2);

    await page.goto(`${server.url}/owner/outbox/write`);
    while ((await focused()) !== "recipient") await page.keyboard.press("Tab");
    await page.keyboard.type("@bea");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("message");
    await page.keyboard.type("Typed without a mouse.");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(/notice=sent/);
    await expect(page.getByRole("status").innerText()).resolves.toBe("Your message was sent.");
    expect(received.get("bea")?.at(-1)?.message).toBe("Typed without a mouse.");
    await context.close();
  });
});
