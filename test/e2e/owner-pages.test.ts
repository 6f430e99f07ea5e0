/// <reference lib="dom" />
/**
 * The owner's pages in a real browser (Debian's chromium via playwright-core) against the real Worker
 * under `wrangler dev`, on a phone and a desktop: signing in (a wrong token first), reading a
 * conversation whose stranger's text is full of XSS payloads (inert: no dialog, no script, no event
 * handler), marking read, deleting, signing out, the session ending, a cross-origin form post with a
 * valid cookie refused, and the whole sign-in done with the keyboard alone. Screenshots go to
 * test-results/screenshots/owner-*.png.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, watchPage } from "../../lib/harness/browser.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, QUIET_WRANGLER, raiseRateLimits, startDev, WRANGLER } from "../../lib/harness/wrangler-server.ts";

const SCREENSHOTS = path.join(REPO_ROOT, "test-results", "screenshots");
const TOKEN = "owner-pages-browser-token-0123456789";
const VIEWPORTS = [
  { name: "phone", width: 390, height: 844 },
  { name: "desktop", width: 1280, height: 800 },
] as const;
/** bob from the example follows.yaml. */
const BOB = { user_id: "0e9a7c52-61f4-4d3b-b8a2-7c5e1d9f0a13", username: "bob", user_link: "https://bob.example/feed.xml" };
const XSS = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"><svg onload="window.__pwned=3"></svg><a href="javascript:window.__pwned=4">x</a>`;

let project: ProjectCopy;
let server: LocalServer;
let browser: Browser;
let evilSite: http.Server;
let evilUrl: string;

async function postMessage(text: string, minute: number): Promise<void> {
  const response = await fetch(`${server.url}/api/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...BOB, message: text, date: `2026-03-01T10:${String(minute).padStart(2, "0")}:00Z` }),
  });
  expect(response.status).toBe(201);
}

/** SQL against the running site's local D1 (the session table), as the owner's tools would. */
function d1(sql: string): void {
  execFileSync(WRANGLER, ["d1", "execute", "DB", "--local", "--command", sql], {
    cwd: project.root,
    env: { ...process.env, ...QUIET_WRANGLER },
    stdio: "pipe",
  });
}

beforeAll(async () => {
  if (!chromiumAvailable) return;
  project = createProjectCopy();
  const port = await freePort();
  buildProject(project, `http://127.0.0.1:${port}`);
  migrateLocal(project);
  // These tests sign in a dozen times a minute; the sign-in limit itself is tested in test/owner/.
  raiseRateLimits(project);
  server = await startDev(project, port, { OWNER_TOKEN: TOKEN });
  // Another origin (same host, other port): a page with a form aimed at the owner's pages.
  evilSite = http.createServer((_, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(
      `<!doctype html><title>evil</title><form method="post" action="${server.url}/owner/inbox/conversations/read-all"><input type="hidden" name="return_to" value="/owner/inbox"><button id="go">Win a prize</button></form>`,
    );
  });
  await new Promise<void>((resolve) => evilSite.listen(0, "127.0.0.1", resolve));
  evilUrl = `http://127.0.0.1:${(evilSite.address() as AddressInfo).port}`;
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise<void>((resolve) => (evilSite ? evilSite.close(() => resolve()) : resolve()));
  project?.cleanup();
});

async function signIn(page: Page, token = TOKEN): Promise<void> {
  await page.goto(`${server.url}/owner/`);
  expect(new URL(page.url()).pathname).toBe("/owner/sign-in");
  await page.getByLabel("Owner token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Nothing of a stranger's markup became active in the page. */
async function expectInert(page: Page): Promise<void> {
  const found = await page.evaluate(() => {
    const active: string[] = [];
    for (const element of Array.from(document.querySelectorAll("*"))) {
      for (const attribute of element.getAttributeNames()) if (attribute.startsWith("on")) active.push(`${element.tagName}[${attribute}]`);
      const href = element.getAttribute("href") ?? element.getAttribute("src") ?? "";
      if (/^\s*javascript:/i.test(href)) active.push(`${element.tagName}[${href}]`);
    }
    if (document.querySelectorAll("script, svg, iframe, object, embed").length) active.push("script-like element");
    if ((window as unknown as { __pwned?: number }).__pwned) active.push("payload ran");
    return active;
  });
  expect(found).toEqual([]);
}

describe.skipIf(!chromiumAvailable)("the owner's pages in chromium", () => {
  beforeAll(async () => {
    if (!chromiumAvailable) return;
    await postMessage(`Hello from bob! ${XSS}`, 0);
    await postMessage("Second message, plain.", 1);
  });

  for (const viewport of VIEWPORTS) {
    describe(`on a ${viewport.name}`, () => {
      const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `owner-${viewport.name}-${name}.png`), fullPage: true });

      it("signing in: a wrong token gets one generic answer, the right one opens the overview", async () => {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        const { problems } = watchPage(page);
        await signIn(page, "not-the-token");
        expect(new URL(page.url()).pathname).toBe("/owner/sign-in");
        await expect(page.getByRole("alert").innerText()).resolves.toBe("That did not work. Check the token and try again.");
        await shoot(page, "sign-in");
        await page.getByLabel("Owner token").fill(TOKEN);
        await page.getByRole("button", { name: "Sign in" }).click();
        expect(new URL(page.url()).pathname).toBe("/owner/");
        await expect(page.locator("h1").innerText()).resolves.toBe("Overview");
        expect(await page.locator(".owner-counts").innerText()).toMatch(/\d\s+unread of 2\s+messages/);
        // Readable on a phone: nothing wider than the screen.
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
        await shoot(page, "overview");
        expect(problems).toEqual([]);
        await context.close();
      });

      it("reading a conversation full of XSS payloads: shown as text, nothing runs; mark read and delete", async () => {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        const { problems } = watchPage(page);
        await signIn(page);
        await page.getByRole("link", { name: "Inbox" }).click();
        await page.getByRole("link", { name: "@bob" }).click();
        await expect(page.locator("h1").innerText()).resolves.toBe("Conversation with @bob");
        expect(await page.locator(".owner-text").first().innerText()).toContain("<script>window.__pwned=1</script>");
        await expectInert(page);
        await shoot(page, "conversation");
        const unreadBefore = await page.locator(".badge", { hasText: "unread" }).count();
        await page.getByRole("button", { name: "Mark read" }).first().click();
        await expect(page.getByRole("status").innerText()).resolves.toBe("Marked as read.");
        expect(await page.locator(".badge", { hasText: "unread" }).count()).toBe(unreadBefore - 1);
        await expectInert(page);
        expect(problems).toEqual([]);
        await context.close();
      });

      it("signing out ends the session; the pages then ask to sign in again", async () => {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        await signIn(page);
        const cookies = await context.cookies();
        const session = cookies.find((cookie) => cookie.name === "__Host-skein_session");
        expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
        await page.getByRole("button", { name: "Sign out" }).click();
        expect(new URL(page.url()).pathname).toBe("/owner/sign-in");
        await page.goto(`${server.url}/owner/inbox`);
        expect(new URL(page.url()).pathname).toBe("/owner/sign-in");
        await context.close();
      });
    });
  }

  it("deleting a message removes it from the conversation", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${server.url}/owner/inbox`);
    await page.getByRole("link", { name: "@bob" }).click();
    const before = await page.locator(".owner-list > li").count();
    await page.getByRole("button", { name: "Delete" }).last().click();
    await expect(page.getByRole("status").innerText()).resolves.toBe("Deleted.");
    await page.goto(`${server.url}/owner/inbox`);
    await page.getByRole("link", { name: "@bob" }).click();
    expect(await page.locator(".owner-list > li").count()).toBe(before - 1);
    await context.close();
  });

  it("a session that has ended sends the browser back to sign in", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    expect(new URL(page.url()).pathname).toBe("/owner/");
    d1("UPDATE owner_sessions SET expires_at = '2000-01-01T00:00:00Z'");
    await page.reload();
    expect(new URL(page.url()).pathname).toBe("/owner/sign-in");
    await context.close();
  });

  it("a form posted from another origin is refused even though the browser sends the session cookie", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await page.goto(evilUrl);
    const [response] = await Promise.all([page.waitForNavigation(), page.locator("#go").click()]);
    expect(response?.status()).toBe(403);
    expect(await page.locator("body").innerText()).toContain("did not come from your own pages; nothing was changed");
    await context.close();
  });

  it("signing in with the keyboard alone: skip link first, the field has a label, Enter submits", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/owner/sign-in`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Skip to content");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.id)).toBe("token");
    await page.keyboard.type(TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${server.url}/owner/`);
    // Every button and link is reachable by Tab and shows where the focus is.
    const outline = await page.evaluate(() => {
      const link = document.querySelector("nav a") as HTMLElement;
      link.focus();
      return getComputedStyle(link).outlineStyle;
    });
    expect(outline).not.toBe("none");
    await context.close();
  });
});

/**
 * IndieAuth end to end (docs/indieauth.md): an app on a loopback node:http server discovers the
 * endpoints from the site's home page, sends the browser to the authorization endpoint with a PKCE
 * S256 challenge, the owner signs in and approves in chromium, the app receives the code on its
 * redirect_uri and exchanges it with its verifier; the token endpoint's GET accepts the token.
 */
describe.skipIf(!chromiumAvailable)("signing in to an app with the site (IndieAuth) in chromium", () => {
  let app: http.Server;
  let appUrl: string;
  const received: URLSearchParams[] = [];

  beforeAll(async () => {
    if (!chromiumAvailable) return;
    app = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", appUrl);
      if (url.pathname === "/callback") received.push(url.searchParams);
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<!doctype html><title>The app</title><p>Signed in.</p>");
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  });

  /** IndieAuth §4.1: the first rel value in the Link header, else the first <link> element. */
  function discover(linkHeader: string, html: string, rel: string): string | undefined {
    const fromHeader = linkHeader.split(",").find((part) => part.includes(`rel="${rel}"`));
    const href = fromHeader ? /<([^>]+)>/.exec(fromHeader)?.[1] : new RegExp(`<link rel="${rel}" href="([^"]+)"`).exec(html)?.[1];
    return href ? new URL(href, `${server.url}/`).href : undefined;
  }

  it("discover, consent, code, token, verification", async () => {
    const home = await fetch(`${server.url}/`);
    const html = await home.text();
    const link = home.headers.get("Link") ?? "";
    const metadataUrl = discover(link, html, "indieauth-metadata");
    expect(metadataUrl).toBe(`${server.url}/.well-known/oauth-authorization-server`);
    expect(discover("", html, "indieauth-metadata")).toBe(metadataUrl);
    expect(discover("", html, "token_endpoint")).toBe(`${server.url}/api/indieauth/token`);
    const metadata = (await (await fetch(metadataUrl!)).json()) as { issuer: string; authorization_endpoint: string; token_endpoint: string };

    const verifier = "verifier-of-the-app-".padEnd(64, "x");
    const challenge = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))).toString("base64url");
    const request = new URL(metadata.authorization_endpoint);
    const params = {
      response_type: "code",
      client_id: `${appUrl}/`,
      redirect_uri: `${appUrl}/callback`,
      state: "app-state-42",
      code_challenge: challenge,
      code_challenge_method: "S256",
      scope: "create",
      me: `${server.url}/`,
    };
    for (const [name, value] of Object.entries(params)) request.searchParams.set(name, value);

    const context = await browser.newContext();
    const page = await context.newPage();
    const { problems } = watchPage(page);
    await page.goto(request.href);
    expect(new URL(page.url()).pathname).toBe("/owner/sign-in");
    await page.getByLabel("Owner token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/owner/auth");
    await expect(page.locator("h1").innerText()).resolves.toBe("Sign in to an app");
    await expect(page.locator("code").first().innerText()).resolves.toBe(`${appUrl}/`);
    await expect(page.getByLabel(/^create/).isChecked()).resolves.toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, "owner-indieauth-consent.png"), fullPage: true });
    await page.getByRole("button", { name: "Approve" }).click();
    await page.waitForURL((url) => url.pathname === "/callback");
    await expectInert(page);
    expect(problems).toEqual([]);
    await context.close();

    expect(received).toHaveLength(1);
    const back = received[0]!;
    expect(back.get("state")).toBe("app-state-42");
    expect(back.get("iss")).toBe(metadata.issuer);
    const code = back.get("code")!;
    const exchange = (codeVerifier: string) =>
      fetch(metadata.token_endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          client_id: params.client_id,
          redirect_uri: params.redirect_uri,
          code_verifier: codeVerifier,
        }),
      });
    const wrong = await exchange("another-verifier-".padEnd(64, "y"));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: "invalid_grant" });
    const answer = await exchange(verifier);
    expect(answer.status).toBe(200);
    const token = (await answer.json()) as { access_token: string; token_type: string; scope: string; me: string };
    expect(token).toMatchObject({ token_type: "Bearer", scope: "create", me: `${server.url}/` });
    const verified = await fetch(metadata.token_endpoint, { headers: { Authorization: `Bearer ${token.access_token}` } });
    expect(await verified.json()).toEqual({ me: `${server.url}/`, client_id: params.client_id, scope: "create" });
  });
});
