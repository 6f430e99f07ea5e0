/**
 * npm start's front server: on the user's port it serves the built site (_site/) by Workers Static
 * Assets' rules (asset-rules.ts) straight from disk, so a file the build writes is served on the next
 * request, and passes the Worker's requests (`run_worker_first` paths, every method but GET and HEAD)
 * to `wrangler dev -c wrangler.api-only.toml` on an internal loopback port, Host and Origin as they
 * came: the Worker sees the public origin. wrangler dev then has no assets to watch and never reloads
 * on a build (with an assets folder it rebuilds its manifest and restarts workerd on every change).
 */
import { createReadStream, readFileSync, realpathSync, type Stats, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { contentType, headersFor, parseHeadersFile, resolveAsset, safePathname, workerFirstMatcher } from "./asset-rules.ts";

export interface DevServerOptions {
  /** The built site. */
  folder: string;
  /** wrangler.toml's run_worker_first patterns (readWorkerFirst). */
  workerFirst: readonly string[];
  /** Where the Worker listens (wrangler dev on loopback), e.g. http://127.0.0.1:8790. */
  workerUrl: string;
  host?: string;
  port: number;
}

export interface DevServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const CACHE_CONTROL = "public, max-age=0, must-revalidate";
const SMALL_FILE = 1 << 20;

/** The regular file at `relative` (a "/"-rooted path) inside `root`, never one a symlink leads out of. */
function fileInside(root: string, relative: string): Stats | undefined {
  const full = path.join(root, relative);
  try {
    const stats = statSync(full);
    if (!stats.isFile()) return undefined;
    const real = realpathSync(full);
    return real === root || real.startsWith(`${root}${path.sep}`) ? stats : undefined;
  } catch {
    return undefined;
  }
}

/** The `_headers` rules, read again only when the file changes (the build rewrites it). */
function headersReader(root: string): (pathname: string) => Map<string, string> {
  let signature = "";
  let rules: ReturnType<typeof parseHeadersFile> = [];
  return (pathname) => {
    const stats = fileInside(root, "/_headers");
    const now = stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : "none";
    if (now !== signature) {
      signature = now;
      rules = stats ? parseHeadersFile(readFileSync(path.join(root, "_headers"), "utf8")) : [];
    }
    return headersFor(rules, pathname);
  };
}

/**
 * The path and query exactly as the request wrote them: WHATWG URL parsing would resolve `..` and
 * `%2e%2e` before safePathname() could refuse them.
 */
function rawTarget(requestUrl: string | undefined): { pathname: string; search: string } {
  const target = requestUrl ?? "/";
  if (!target.startsWith("/")) {
    const url = URL.canParse(target) ? new URL(target) : new URL("http://localhost/");
    return { pathname: url.pathname, search: url.search };
  }
  const query = target.indexOf("?");
  return query < 0 ? { pathname: target, search: "" } : { pathname: target.slice(0, query), search: target.slice(query) };
}

function serveAsset(root: string, headersOf: (pathname: string) => Map<string, string>, request: http.IncomingMessage, response: http.ServerResponse): void {
  const url = rawTarget(request.url);
  const pathname = safePathname(url.pathname);
  if (!pathname) {
    response.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Bad request: that path is not allowed.\n");
    return;
  }
  const found = new Map<string, Stats>();
  const answer = resolveAsset(pathname, (file) => {
    const stats = fileInside(root, file);
    if (stats) found.set(file, stats);
    return stats !== undefined;
  });
  const headers: Record<string, string> = {};
  if ("redirect" in answer) {
    headers.location = encodeURI(answer.redirect) + url.search;
    for (const [name, value] of headersOf(pathname)) headers[name] = value;
    response.writeHead(307, headers).end();
    return;
  }
  const stats = answer.file ? found.get(answer.file) : undefined;
  if (!answer.file || !stats) {
    response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
    return;
  }
  const etag = `"${stats.ino.toString(36)}-${stats.size.toString(36)}-${Math.trunc(stats.mtimeMs).toString(36)}"`;
  const type = contentType(answer.file);
  if (type) headers["content-type"] = type;
  headers.etag = etag;
  headers["cache-control"] = CACHE_CONTROL;
  for (const [name, value] of headersOf(pathname)) headers[name] = value;
  const notModified = answer.status === 200 && [etag, `W/${etag}`].includes(request.headers["if-none-match"] ?? "");
  if (notModified || request.method === "HEAD") {
    if (!notModified) headers["content-length"] = String(stats.size);
    response.writeHead(notModified ? 304 : answer.status, headers).end();
    return;
  }
  headers["content-length"] = String(stats.size);
  // A page (most files) in one synchronous read and write: answered in the same turn of the event
  // loop, before the build that shares this process (npm start) runs its next step.
  if (stats.size <= SMALL_FILE) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(root, answer.file));
    } catch {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    headers["content-length"] = String(bytes.length);
    response.writeHead(answer.status, headers).end(bytes);
    return;
  }
  response.writeHead(answer.status, headers);
  createReadStream(path.join(root, answer.file)).pipe(response);
}

/** The request as it came (method, path, every header, the body streamed) to the Worker; its answer streamed back. */
function proxyToWorker(worker: URL, request: http.IncomingMessage, response: http.ServerResponse): void {
  const upstream = http.request({ host: worker.hostname, port: worker.port, method: request.method, path: request.url, headers: request.headers }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
    answer.pipe(response);
  });
  upstream.on("error", (error) => {
    if (response.headersSent) return void response.destroy(error);
    response
      .writeHead(502, { "content-type": "text/plain; charset=utf-8" })
      .end(`The local Worker (wrangler dev) did not answer: ${error.message}. See npm start's messages.\n`);
  });
  request.pipe(upstream);
}

export function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const root = realpathSync(options.folder);
  const runsWorker = workerFirstMatcher(options.workerFirst);
  const headersOf = headersReader(root);
  const worker = new URL(options.workerUrl);
  const server = http.createServer((request, response) => {
    const { pathname } = rawTarget(request.url);
    if (runsWorker(request.method ?? "GET", safePathname(pathname) ?? pathname)) proxyToWorker(worker, request, response);
    else serveAsset(root, headersOf, request, response);
  });
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
