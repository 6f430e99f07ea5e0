/**
 * A real HTTP server on 127.0.0.1 (port 0) serving feed pages from a map, for the validator's and the
 * importer's tests: what a stranger's site does, including redirects, errors, wrong encodings and
 * pages that never end. Every request is counted per path.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Stream this many bytes of filler after the body, without Content-Length. */
  endless?: number;
}

export type Route = string | Uint8Array | Answer | ((path: string) => Answer | undefined);

export interface FeedServer {
  base: string;
  /** path -> what it answers; change it between requests as a live site would. */
  routes: Map<string, Route>;
  /** Requests per path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

const RSS = "application/rss+xml; charset=utf-8";

export async function serveFeeds(initial: Record<string, Route> = {}): Promise<FeedServer> {
  const routes = new Map<string, Route>(Object.entries(initial));
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    let route = routes.get(path);
    if (typeof route === "function") route = route(path);
    if (route === undefined) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      return res.end("not found");
    }
    const answer: Answer = typeof route === "string" || route instanceof Uint8Array ? { body: route } : route;
    const headers: Record<string, string> = { "Content-Type": RSS, ...answer.headers };
    if (answer.endless) {
      res.writeHead(answer.status ?? 200, headers);
      if (answer.body) res.write(answer.body);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let left = answer.endless;
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("error", () => {});
      return pump();
    }
    res.writeHead(answer.status ?? 200, headers);
    res.end(answer.body ?? "");
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    routes,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
