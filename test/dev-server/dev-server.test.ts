/**
 * npm start's static server (lib/dev-server/): Workers Static Assets' rules on a real folder, and the
 * Worker's requests passed to a loopback server standing where wrangler dev listens, as they came.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readWorkerFirst, resolveAsset, safePathname } from "../../lib/dev-server/asset-rules.ts";
import { type DevServer, startDevServer } from "../../lib/dev-server/server.ts";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";

let folder: string;
let outside: string;
let server: DevServer;
let worker: http.Server;
const seen: { method?: string; url?: string; host?: string; origin?: string; body: string }[] = [];

function put(relative: string, text: string): void {
  mkdirSync(path.dirname(path.join(folder, relative)), { recursive: true });
  writeFileSync(path.join(folder, relative), text);
}

/** A request with its path sent exactly as written (fetch would normalize `..` away). */
function raw(pathname: string, method = "GET"): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port: server.port, path: pathname, method }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

beforeAll(async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), "skein-dev-server-"));
  folder = path.join(base, "_site");
  outside = path.join(base, "secret.txt");
  writeFileSync(outside, "not for the web");
  put("index.html", "<p>home</p>");
  put("404.html", "<p>not here</p>");
  put("posts/7/index.html", "<p>post seven</p>");
  put("about.html", "<p>about</p>");
  put("feed.xml", "<rss/>");
  put("_headers", "# comment\n/*\n  X-Frame-Options: DENY\n  Link: <a>; rel=one\n/feed.xml\n  Link: <b>; rel=two\n  ! X-Frame-Options\n");
  symlinkSync(outside, path.join(folder, "leak.txt"));
  worker = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      seen.push({ method: request.method, url: request.url, host: request.headers.host, origin: request.headers.origin, body });
      response.writeHead(201, { "x-worker": "yes", "set-cookie": ["a=1", "b=2"] }).end("from the worker");
    });
  });
  await new Promise<void>((resolve) => worker.listen(0, "127.0.0.1", resolve));
  const workerUrl = `http://127.0.0.1:${(worker.address() as AddressInfo).port}`;
  server = await startDevServer({ folder, workerFirst: ["/api/*", "/owner/*", "/.well-known/host-meta*", "!/api/open"], workerUrl, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => worker?.close(resolve));
  if (folder) rmSync(path.dirname(folder), { recursive: true, force: true });
});

describe("the static site, by Workers Static Assets' rules", () => {
  it("serves index.html for a folder and foo.html at /foo; the other spellings redirect with 307, keeping the query", async () => {
    const home = await fetch(`${server.url}/`);
    expect([home.status, home.headers.get("content-type"), await home.text()]).toEqual([200, "text/html; charset=utf-8", "<p>home</p>"]);
    expect(await (await fetch(`${server.url}/posts/7/`)).text()).toBe("<p>post seven</p>");
    expect(await (await fetch(`${server.url}/about`)).text()).toBe("<p>about</p>");
    const cases: [string, string][] = [
      ["/posts/7?x=1", "/posts/7/?x=1"],
      ["/posts/7/index.html", "/posts/7/"],
      ["/posts/7.html", "/posts/7/"],
      ["/about.html", "/about"],
      ["/about/", "/about"],
      ["/index.html", "/"],
    ];
    for (const [from, to] of cases) {
      const response = await fetch(`${server.url}${from}`, { redirect: "manual" });
      expect([from, response.status, response.headers.get("location")]).toEqual([from, 307, to]);
    }
  });

  it("answers a miss with the 404 page and status 404, and never serves _headers itself", async () => {
    for (const miss of ["/nothing", "/posts/8/", "/_headers"]) {
      const response = await fetch(`${server.url}${miss}`);
      expect([miss, response.status, await response.text()]).toEqual([miss, 404, "<p>not here</p>"]);
    }
  });

  it("applies the _headers rules: every matching rule, values joined, `!` removing one", async () => {
    const home = await fetch(`${server.url}/`);
    expect([home.headers.get("x-frame-options"), home.headers.get("link")]).toEqual(["DENY", "<a>; rel=one"]);
    const feed = await fetch(`${server.url}/feed.xml`);
    expect([feed.headers.get("content-type"), feed.headers.get("x-frame-options"), feed.headers.get("link")]).toEqual([
      "application/xml",
      null,
      "<a>; rel=one, <b>; rel=two",
    ]);
  });

  it("answers HEAD with the headers and no body, and a matching If-None-Match with 304", async () => {
    const head = await fetch(`${server.url}/about`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length"), await head.text()]).toEqual([200, "12", ""]);
    const etag = head.headers.get("etag")!;
    expect((await fetch(`${server.url}/about`, { headers: { "If-None-Match": etag } })).status).toBe(304);
  });

  it("serves a file written after it started on the next request (no reload)", async () => {
    put("posts/9/index.html", "<p>new</p>");
    expect(await (await fetch(`${server.url}/posts/9/`)).text()).toBe("<p>new</p>");
  });

  it("refuses paths that could leave the folder: .., %2e%2e, encoded slashes and backslashes, a symlink out", async () => {
    for (const bad of ["/../secret.txt", "/%2e%2e/secret.txt", "/posts/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt", "/..%5csecret.txt", "/a%00b"]) {
      const answer = await raw(bad);
      expect([bad, answer.status]).toEqual([bad, 400]);
      expect(answer.body).not.toContain("not for the web");
    }
    const link = await raw("/leak.txt");
    expect([link.status, link.body]).toEqual([404, "<p>not here</p>"]);
    expect(safePathname("/a/./b")).toBeUndefined();
    expect(safePathname("/caf%C3%A9/")).toBe("/café/");
  });
});

describe("the Worker's requests", () => {
  it("passes run_worker_first paths and every POST to the Worker with method, path, Host, Origin and body as they came", async () => {
    seen.length = 0;
    const get = await fetch(`${server.url}/owner/inbox?page=2`);
    expect([get.status, get.headers.get("x-worker"), await get.text()]).toEqual([201, "yes", "from the worker"]);
    expect(get.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    const post = await fetch(`${server.url}/about`, { method: "POST", headers: { Origin: server.url }, body: "a=b" });
    expect(post.status).toBe(201);
    await fetch(`${server.url}/.well-known/host-meta.json`);
    expect(seen).toEqual([
      { method: "GET", url: "/owner/inbox?page=2", host: new URL(server.url).host, origin: undefined, body: "" },
      { method: "POST", url: "/about", host: new URL(server.url).host, origin: server.url, body: "a=b" },
      { method: "GET", url: "/.well-known/host-meta.json", host: new URL(server.url).host, origin: undefined, body: "" },
    ]);
  });

  it("serves excluded (`!`) and other paths from the folder", async () => {
    seen.length = 0;
    expect((await fetch(`${server.url}/api/open`)).status).toBe(404);
    expect((await fetch(`${server.url}/apis`)).status).toBe(404);
    expect(seen).toEqual([]);
  });

  it("reads run_worker_first from the project's wrangler.toml", () => {
    const patterns = readWorkerFirst(readFileSync(path.join(REPO_ROOT, "wrangler.toml"), "utf8"));
    expect(patterns).toContain("/api/*");
    expect(patterns).toContain("/owner/*");
    expect(() => readWorkerFirst("[assets]\n")).toThrow(/run_worker_first/);
  });

  it("resolves without touching the disk, given what exists", () => {
    const files = new Set(["/a/index.html", "/a/404.html", "/404.html"]);
    expect(resolveAsset("/a/b", (file) => files.has(file))).toEqual({ file: "/a/404.html", status: 404 });
    expect(resolveAsset("/x/y", (file) => files.has(file))).toEqual({ file: "/404.html", status: 404 });
  });
});
