/// <reference lib="dom" />
/**
 * The built site in a real browser (Debian's chromium via playwright-core), on a phone and a desktop:
 * no console errors or failed requests, the feed discovery link, landmarks, one h1 and no skipped
 * heading levels, alt text on every image, no sideways scrolling, and working links between pages.
 * Screenshots are kept in test-results/screenshots/ (not committed).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "../../lib/harness/browser.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { freePort, type StaticServer, serveFolder } from "../../lib/harness/static-server.ts";

const SCREENSHOTS = path.join(REPO_ROOT, "test-results", "screenshots");
const VIEWPORTS = [
  { name: "phone", width: 390, height: 844 },
  { name: "desktop", width: 1280, height: 800 },
] as const;

let project: ProjectCopy;
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  project = createProjectCopy();
  const port = await freePort();
  // Two posts per HTML page, so the example's six posts also make older-post pages.
  execFileSync(path.join(REPO_ROOT, "node_modules/.bin/tsx"), ["scripts/build.ts", "--quiet"], {
    cwd: project.root,
    env: { ...process.env, SKEIN_URL: `http://127.0.0.1:${port}`, SKEIN_HTML_PAGE_SIZE: "2" },
  });
  server = await serveFolder(path.join(project.root, "_site"), port);
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  project?.cleanup();
});

interface PageProblems {
  console: string[];
  failed: string[];
}

/** Open a page, collecting console errors, page errors and failed or 4xx/5xx requests. */
async function open(page: Page, url: string): Promise<PageProblems> {
  const problems: PageProblems = { console: [], failed: [] };
  page.on("console", (message) => {
    if (message.type() === "error") problems.console.push(message.text());
  });
  page.on("pageerror", (error) => problems.console.push(error.message));
  page.on("requestfailed", (request) => problems.failed.push(`${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.failed.push(`${response.url()} ${response.status()}`);
  });
  const response = await page.goto(url, { waitUntil: "load" });
  expect(response?.status(), url).toBe(200);
  return problems;
}

/** Structure every page must have, whatever it shows. */
async function checkStructure(page: Page): Promise<void> {
  const discovery = page.locator('head link[rel="alternate"][type="application/rss+xml"]');
  await expect(discovery.count()).resolves.toBe(1);
  expect(await discovery.getAttribute("href")).toBe(`${server.url}/feed.xml`);

  expect(await page.locator("html").getAttribute("lang")).toMatch(/^[a-z]{2}/);
  expect(await page.locator("body > header").count()).toBe(1);
  expect(await page.locator("body > main#main").count()).toBe(1);
  expect(await page.locator("body > footer").count()).toBe(1);
  expect(await page.locator('nav[aria-label="Site"] a').count()).toBeGreaterThanOrEqual(3);
  expect(await page.locator("h1").count()).toBe(1);

  const levels = await page.locator("h1, h2, h3, h4, h5, h6").evaluateAll((headings) => headings.map((h) => Number(h.tagName[1])));
  levels.forEach((level, i) => {
    if (i > 0) expect(level - (levels[i - 1] as number), `heading levels ${levels.join(",")}`).toBeLessThanOrEqual(1);
  });
  const imagesWithoutAlt = await page.locator("img:not([alt])").count();
  expect(imagesWithoutAlt).toBe(0);

  // Readable on a phone: nothing wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // The skip link leads to the main content.
  expect(await page.locator("a.skip-link").getAttribute("href")).toBe("#main");
}

describe.skipIf(!chromiumAvailable)("the built site in chromium", () => {
  for (const viewport of VIEWPORTS) {
    describe(`on a ${viewport.name} (${viewport.width}x${viewport.height})`, () => {
      const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${viewport.name}-${name}.png`), fullPage: true });

      it("profile page: name, portrait with alt text, counts, newest posts, link to older posts", async () => {
        const page = await browser.newPage({ viewport });
        const problems = await open(page, `${server.url}/`);
        await checkStructure(page);
        await expect(page.locator("h1").innerText()).resolves.toContain("Wren Example");
        expect(await page.locator("img.portrait").getAttribute("alt")).toBe("Portrait of Wren Example");
        expect(await page.locator("img.portrait").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
        expect(await page.locator(".counts").innerText()).toMatch(/Posts\s*6/);
        expect(await page.locator("article.post").count()).toBe(2);
        await shoot(page, "profile");

        await page.getByRole("link", { name: "Older posts" }).click();
        await page.waitForURL(`${server.url}/page/2/`);
        expect(await page.locator("article.post").count()).toBe(2);
        expect(problems).toEqual({ console: [], failed: [] });
        await page.close();
      });

      it("older-posts page: its posts, a way back to the newest and further back", async () => {
        const page = await browser.newPage({ viewport });
        const problems = await open(page, `${server.url}/page/2/`);
        await checkStructure(page);
        await expect(page.locator("h1").innerText()).resolves.toBe("Older posts, page 2");
        await shoot(page, "older");
        await page.getByRole("link", { name: "Older posts" }).click();
        await page.waitForURL(`${server.url}/page/1/`);
        expect(await page.getByRole("link", { name: "Older posts" }).count()).toBe(0);
        await page.getByRole("link", { name: "Newest posts" }).click();
        await page.waitForURL(`${server.url}/`);
        expect(problems).toEqual({ console: [], failed: [] });
        await page.close();
      });

      it("post page: reached from the list, shows reply context with a link to the other feed", async () => {
        const page = await browser.newPage({ viewport });
        const problems = await open(page, `${server.url}/page/1/`);
        // The reply in the example is the third post (guid 2), on page 2 of 2-post pages.
        await page.goto(`${server.url}/page/2/`);
        await page.locator('article.post h3 a[href="/posts/2/"]').click();
        await page.waitForURL(`${server.url}/posts/2/`);
        await checkStructure(page);
        const context = page.locator(".post-context");
        await expect(context.innerText()).resolves.toContain("In reply to @bob");
        expect(await context.locator("a").getAttribute("href")).toBe("https://bob.example/feed.xml");
        await expect(page.locator(".reply-hint code").innerText()).resolves.toBe(`${server.url}/api/posts/2/reply`);
        await shoot(page, "post");
        expect(problems).toEqual({ console: [], failed: [] });
        await page.close();
      });

      it("a post in another language declares it", async () => {
        const page = await browser.newPage({ viewport });
        const problems = await open(page, `${server.url}/posts/4/`);
        expect(await page.locator("html").getAttribute("lang")).toBe("fr");
        expect(problems).toEqual({ console: [], failed: [] });
        await page.close();
      });

      it("follows page: every followed account links to its feed; nav marks the current page", async () => {
        const page = await browser.newPage({ viewport });
        const problems = await open(page, `${server.url}/`);
        await page.locator('nav[aria-label="Site"]').getByRole("link", { name: "Follows" }).click();
        await page.waitForURL(`${server.url}/follows/`);
        await checkStructure(page);
        const links = await page.locator(".people-list a").evaluateAll((anchors) => anchors.map((a) => (a as HTMLAnchorElement).href));
        expect(links).toEqual(["https://dmitri.example/feed.xml", "https://carmen.example/microblog/feed.xml", "https://bob.example/feed.xml"]);
        expect(await page.locator('nav[aria-label="Site"] a[aria-current="page"]').innerText()).toBe("Follows");
        await shoot(page, "follows");
        expect(problems).toEqual({ console: [], failed: [] });
        await page.close();
      });

      it("unknown address: the 404 page, still with the site's frame", async () => {
        const page = await browser.newPage({ viewport });
        const response = await page.goto(`${server.url}/no/such/page/`);
        expect(response?.status()).toBe(404);
        await expect(page.locator("h1").innerText()).resolves.toBe("Page not found");
        await page.close();
      });
    });
  }

  it("works without JavaScript: the same content with scripting disabled", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    expect(await page.locator("article.post").count()).toBe(2);
    expect(await page.locator("script").count()).toBe(0);
    await context.close();
  });
});
