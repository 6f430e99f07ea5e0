/**
 * One Worker with Static Assets, as `wrangler dev` runs it locally and Cloudflare runs it deployed:
 * the built site is static files that never invoke the Worker (no D1 meter on them), /api/* and
 * /owner/* do, misses get the site's 404 page, _headers applies and is never served itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, startDev } from "../../lib/harness/wrangler-server.ts";

let project: ProjectCopy;
let server: LocalServer;

beforeAll(async () => {
  project = createProjectCopy();
  const port = await freePort();
  buildProject(project, `http://127.0.0.1:${port}`);
  migrateLocal(project);
  // The benchmark's switch: every response the Worker makes says what it cost in D1.
  server = await startDev(project, port, { D1_METER_HEADER: "true", OWNER_TOKEN: "one-worker-token" });
});

afterAll(async () => {
  await server?.stop();
  project?.cleanup();
});

const ranWorker = (response: Response) => (response.headers.get("Server-Timing") ?? "").includes("d1;");

describe("static files", () => {
  it.each(["/", "/feed.xml", "/posts/0/", "/follows.xml", "/assets/style.css"])("%s is served without the Worker", async (path) => {
    const response = await fetch(`${server.url}${path}`);
    await response.arrayBuffer();
    expect(response.status, path).toBe(200);
    expect(ranWorker(response), path).toBe(false);
  });

  it("a miss gets the site's own 404 page", async () => {
    const response = await fetch(`${server.url}/no/such/page/`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("Page not found");
    expect(ranWorker(response)).toBe(false);
  });

  it("_headers applies (CORS on the feed for browser clients; no script on any page) and is not served itself", async () => {
    const feed = await fetch(`${server.url}/feed.xml`);
    expect(feed.headers.get("Access-Control-Allow-Origin")).toBe("*");
    for (const path of ["/", "/posts/0/", "/feed.xml"]) {
      const page = await fetch(`${server.url}${path}`);
      expect(page.headers.get("Content-Security-Policy"), path).toContain("script-src 'none'");
      expect(page.headers.get("Content-Security-Policy"), path).toContain("object-src 'none'");
      expect(page.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
      expect(page.headers.get("Referrer-Policy"), path).toBe("strict-origin-when-cross-origin");
      // Webmention §3.1.2 and Micropub §5.3: the endpoints in an HTTP Link header, besides the page's <link> elements.
      expect(page.headers.get("Link"), path).toBe(
        `<${server.url}/api/webmention>; rel="webmention", <${server.url}/api/micropub>; rel="micropub", ` +
          `<${server.url}/.well-known/oauth-authorization-server>; rel="indieauth-metadata", <${server.url}/api/indieauth/auth>; rel="authorization_endpoint", <${server.url}/api/indieauth/token>; rel="token_endpoint"`,
      );
    }
    // The endpoint itself runs the Worker (run_worker_first /api/*) and answers in Micropub's error shape (§3.8).
    const micropub = await fetch(`${server.url}/api/micropub`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "h=entry&content=hi",
    });
    expect(micropub.status).toBe(401);
    expect(await micropub.json()).toMatchObject({ error: "unauthorized" });
    const headersFile = await fetch(`${server.url}/_headers`);
    expect(headersFile.status).toBe(404);
    expect(await headersFile.text()).not.toContain("Access-Control-Allow-Origin");
  });
});

describe("dynamic paths", () => {
  it.each([
    ["/api/inbox", 401],
    ["/api/nothing", 404],
  ])("%s runs the Worker (%i)", async (path, status) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(status);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(ranWorker(response)).toBe(true);
  });

  it("/owner/ runs the Worker: without a session it sends the browser to sign in, uncached", async () => {
    const response = await fetch(`${server.url}/owner/`, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/owner/sign-in");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(ranWorker(response)).toBe(true);
  });

  it("a stranger's accepted message costs 3 rows written (the row, its idempotency index, the daily cap's count), as D1 itself reports", async () => {
    const response = await fetch(`${server.url}/api/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        user_id: "one-worker-1",
        username: "one",
        user_link: "https://one.example/feed.xml",
        message: "hi",
        date: "2026-01-01T00:00:00Z",
      }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("Server-Timing")).toMatch(/^d1;desc="calls=1 rows_read=\d+ rows_written=3"$/);
  });
});
