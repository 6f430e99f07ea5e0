/**
 * Vitest globalSetup (Node) for the outbox tests: a loopback HTTP server on 127.0.0.1 that plays the
 * other sites Skein writes to, and our own deployed feed. Every feed is REAL: built by
 * lib/publish/site.ts (the same code that builds ours) from factory posts with fixed UTC dates. The
 * receivers' reply and message URLs point back here (functions_url), where every POST is recorded
 * and answered as the test scripted. See test/outbox/sites.ts for who is who.
 *
 *   /t/<type>-<lane>/feed.xml, /follows.xml, /blocks.xml, /feed/<k>.xml   a receiver's files
 *   /t/<type>-<lane>/                                                     its profile page (links the feed)
 *   POST /t/<type>-<lane>/api/message, /api/posts/<id>/reply              recorded; answered 201,
 *                                                                         or the next scripted status
 *   /own/full/feed.xml, /own/paged/feed.xml, /own/late/<key>/feed.xml     our own head feed
 *   GET /control/script/<name>?statuses=500,201   the next answers of <name>'s POSTs
 *   GET /control/log/<name>                       <name>'s POSTs so far: [{path, body}] as JSON
 *   GET /control/publish/<key>                    /own/late/<key>/ now shows post 5
 *
 * The port goes to the tests with provide("outboxServerPort") / inject("outboxServerPort").
 */
import http from "node:http";
import type { Socket } from "node:net";
import type { TestProject } from "vitest/node";
import { buildSiteFiles, listYaml, type PostSpec, postFile, profileYaml } from "../../../lib/harness/factories.ts";
import {
  DEEP_POSTS,
  LANES,
  ME,
  OWN_POSTS,
  RECEIVER_POSTS,
  RECEIVER_TYPES,
  type ReceiverType,
  receiverName,
  receiverUserId,
  receiverUsername,
} from "../../outbox/sites.ts";

const BASE = Date.UTC(2026, 1, 20, 9, 0, 0);
const hours = (n: number) => BASE + n * 3_600_000;
const LIMITS = (maxItems: number) => ({ maxItems, maxBytes: 500_000, headerReserveBytes: 16_384 });

function posts(count: number, owner: string): PostSpec[] {
  return Array.from({ length: count }, (_, i) => ({ id: i, date: hours(i), body: `Post ${i} of ${owner}.` }));
}

function receiverFiles(base: string, type: ReceiverType, name: string): Map<string, string> {
  const url = `${base}/t/${name}`;
  const us = { user_id: ME.user_id, username: ME.username, user_link: `${base}/own/full/feed.xml` };
  const someoneElse = { user_id: "00000000-0000-4000-8000-00000000e15e", username: "someone", user_link: "https://someone.example/feed.xml" };
  const profile: Record<string, unknown> = {
    username: receiverUsername(name),
    user_id: receiverUserId(name),
    url,
    accept: RECEIVER_TYPES[type].accept,
    functions_url: type === "dead" ? "http://127.0.0.1:9" : url,
  };
  if (type === "blocker") profile.public_blocks = true;
  if (type === "moved") profile.relocate = `${base}/t/${name.replace("moved-", "newhome-")}/feed.xml`;
  const follows = type === "friend" ? [someoneElse, us] : [someoneElse];
  const files = buildSiteFiles(
    {
      profile: profileYaml(profile),
      follows: listYaml(follows),
      blocks: listYaml(type === "blocker" ? [us] : []),
      posts: posts(type === "deep" ? DEEP_POSTS : RECEIVER_POSTS, name).map(postFile),
    },
    { feedLimits: LIMITS(type === "deep" ? 2 : 500) },
  );
  return new Map([...files].map(([permalink, xml]) => [`/t/${name}${permalink}`, xml]));
}

function ownFiles(base: string, variant: string, count: number, maxItems = 500): Map<string, string> {
  const url = `${base}/own/${variant}`;
  const files = buildSiteFiles(
    { profile: profileYaml({ username: ME.username, user_id: ME.user_id, url }), posts: posts(count, ME.username).map(postFile) },
    { feedLimits: LIMITS(maxItems) },
  );
  return new Map([...files].map(([permalink, xml]) => [`/own/${variant}${permalink}`, xml]));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>();
  const scripts = new Map<string, number[]>();
  const logs = new Map<string, { path: string; body: unknown }[]>();
  const published = new Set<string>();
  let files = new Map<string, string>();
  let before = "";
  let after = "";

  const send = (res: http.ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { "Content-Type": type });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    let m: RegExpExecArray | null;
    if (req.method === "POST" && (m = /^\/t\/([\w-]+)\/api\/(message|posts\/\d+\/reply)$/.exec(path))) {
      const name = m[1]!;
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          body = Buffer.concat(chunks).toString("utf8");
        }
        const log = logs.get(name) ?? [];
        log.push({ path, body });
        logs.set(name, log);
        const status = scripts.get(name)?.shift() ?? 201;
        if (status >= 400) return send(res, status, "application/problem+json", JSON.stringify({ status, detail: `scripted ${status}` }));
        res.writeHead(status);
        res.end();
      });
      return;
    }
    if ((m = /^\/control\/script\/([\w-]+)$/.exec(path))) {
      scripts.set(m[1]!, (url.searchParams.get("statuses") ?? "").split(",").filter(Boolean).map(Number));
      res.writeHead(204);
      return res.end();
    }
    if ((m = /^\/control\/log\/([\w-]+)$/.exec(path))) return send(res, 200, "application/json", JSON.stringify(logs.get(m[1]!) ?? []));
    if ((m = /^\/control\/publish\/([\w-]+)$/.exec(path))) {
      published.add(m[1]!);
      res.writeHead(204);
      return res.end();
    }
    if ((m = /^\/own\/late\/([\w-]+)\/feed\.xml$/.exec(path))) {
      return send(res, 200, "application/rss+xml; charset=utf-8", published.has(m[1]!) ? after : before);
    }
    if ((m = /^\/t\/([\w-]+)\/$/.exec(path)) && files.has(`/t/${m[1]}/feed.xml`)) {
      // A profile page: what a person would paste; its RSS link leads to the feed (a relative href).
      const html = `<!doctype html><html><head><title>${m[1]}</title><link rel="stylesheet" href="/s.css"><link rel='alternate' type='application/rss+xml' href='feed.xml'></head><body>hi</body></html>`;
      return send(res, 200, "text/html; charset=utf-8", html);
    }
    const file = files.get(path);
    if (file !== undefined) return send(res, 200, "application/rss+xml; charset=utf-8", file);
    send(res, 404, "text/plain", "not found");
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the outbox server has no port");
  const base = `http://127.0.0.1:${address.port}`;

  files = new Map([...ownFiles(base, "full", OWN_POSTS), ...ownFiles(base, "paged", OWN_POSTS, 2)]);
  for (const type of Object.keys(RECEIVER_TYPES) as ReceiverType[]) {
    for (const lane of LANES) for (const [path, xml] of receiverFiles(base, type, receiverName(type, lane))) files.set(path, xml);
  }
  // The late feed is our own site before and after its post 5 went live (the same URLs as /own/full/).
  before = ownFiles(base, "full", OWN_POSTS - 1).get("/own/full/feed.xml")!;
  after = files.get("/own/full/feed.xml")!;

  project.provide("outboxServerPort", address.port);
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
