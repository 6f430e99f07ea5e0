/**
 * Vitest globalSetup (Node) for the workers project: pages on 127.0.0.1 that our posts link to, for
 * Webmention out (lib/webmention/send*.ts) running inside workerd, and the endpoints they advertise.
 *
 *   /disc/...                 the discovery cases of discovery-cases.ts (webmention.rocks 1-23)
 *   /hostile/huge             a 600 KB page whose endpoint is at its end
 *   /hostile/slow             headers, then nothing
 *   /hostile/loop/a <-> b     a redirect loop
 *   /hostile/none             a page without an endpoint
 *   /hostile/text             text/plain that spells out a <link rel="webmention"> (not HTML)
 *   /hostile/private          a Link header naming an endpoint on a private address (10.1.2.3)
 *   /hostile/busy, /hostile/refuses   pages whose endpoints answer 503 (Retry-After) and 400
 *   POST anywhere else        recorded and answered 202 (an endpoint)
 *   GET /control/posts        the POSTs recorded so far (JSON: path, content type, body), and forgets them
 *
 * The port goes to the tests with provide("webmentionTargetsPort").
 */
import http from "node:http";
import type { TestProject } from "vitest/node";
import { DISCOVERY_CASES } from "./discovery-cases.ts";
import { listenOnLoopback } from "./loopback.ts";

interface Posted {
  path: string;
  contentType: string;
  body: string;
}

const page = (head: string, body = "") =>
  `<!doctype html><html><head><meta charset="utf-8"><title>A page</title>${head}</head><body><p>Some text.</p>${body}</body></html>`;

function discovery(url: URL, base: string, response: http.ServerResponse): boolean {
  if (url.pathname === "/disc/23/start") {
    response.writeHead(302, { Location: "/disc/23/final/page" }).end();
    return true;
  }
  if (url.pathname === "/disc/23/final/page") {
    response.writeHead(200, { "Content-Type": "text/html", Link: '<endpoint>; rel="webmention"' }).end(page(""));
    return true;
  }
  const found = DISCOVERY_CASES.find((c) => c.path === url.pathname);
  if (!found) return false;
  const headers: [string, string][] = [["Content-Type", "text/html; charset=utf-8"]];
  for (const value of found.links ?? []) headers.push([found.linkName ?? "Link", value.replaceAll("{base}", base)]);
  response.writeHead(200, headers.flat());
  // <link> in the head when the case's markup starts with one, else everything in the body (tests 16, 17 need document order).
  const markup = (found.body ?? "").replaceAll("{base}", base);
  response.end(markup.startsWith("<link") ? page(markup) : page("", markup));
  return true;
}

function hostile(url: URL, response: http.ServerResponse): boolean {
  const html = { "Content-Type": "text/html" };
  switch (url.pathname) {
    case "/hostile/huge":
      response.writeHead(200, html).end(page("", `${"<p>filler</p>\n".repeat(45_000)}${'<a rel="webmention" href="/endpoint/huge">x</a>'}`));
      return true;
    case "/hostile/slow":
      response.writeHead(200, html).write("<!doctype html><html><body>");
      return true;
    case "/hostile/loop/a":
    case "/hostile/loop/b":
      response.writeHead(302, { Location: url.pathname.endsWith("a") ? "/hostile/loop/b" : "/hostile/loop/a" }).end();
      return true;
    case "/hostile/none":
      response.writeHead(200, html).end(page(""));
      return true;
    case "/hostile/text":
      response.writeHead(200, { "Content-Type": "text/plain" }).end('<link rel="webmention" href="/endpoint/text">');
      return true;
    case "/hostile/private":
      response.writeHead(200, { ...html, Link: '<http://10.1.2.3/webmention>; rel="webmention"' }).end(page(""));
      return true;
    case "/hostile/busy":
      response.writeHead(200, html).end(page('<link rel="webmention" href="/busy-endpoint">'));
      return true;
    case "/hostile/refuses":
      response.writeHead(200, html).end(page('<link rel="webmention" href="/refusing-endpoint">'));
      return true;
    default:
      return false;
  }
}

export default async function setup(project: TestProject) {
  let posted: Posted[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    if (request.method === "POST") {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        if (url.pathname === "/busy-endpoint") return response.writeHead(503, { "Retry-After": "120" }).end("busy");
        if (url.pathname === "/refusing-endpoint") return response.writeHead(400, { "Content-Type": "text/plain" }).end("target is not ours");
        posted.push({ path: url.pathname + url.search, contentType: request.headers["content-type"] ?? "", body: Buffer.concat(chunks).toString() });
        response.writeHead(202, { "Content-Type": "text/plain" }).end("Accepted");
      });
      return;
    }
    if (url.pathname === "/control/posts") {
      response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(posted));
      posted = [];
      return;
    }
    if (discovery(url, base, response) || hostile(url, response)) return;
    response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
  });
  const address = await listenOnLoopback(server, "the webmention target server");
  project.provide("webmentionTargetsPort", address.port);
  return address.close;
}
