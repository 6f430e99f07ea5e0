/**
 * Vitest globalSetup (Node) for the WebSub tests: one loopback HTTP server on 127.0.0.1 playing
 * every other party of WebSub -- hubs, subscribers and the sites whose feeds declare a hub. Feeds are
 * REAL: built by lib/publish/site.ts (the same code that builds ours) with fixed UTC dates.
 *
 *   /feeds/<name>/feed.xml, /feeds/<name>/atom.xml     a site's head pages, built from its state:
 *   GET /control/feed/<name>?posts=N&hub=<h>&user=<uuid>&username=<u>&start=<ms>
 *                                                       N posts (guids 0..N-1, hourly from `start`),
 *                                                       hubs: [<base>/hub/<h>] (none without `hub`),
 *                                                       that user_id and username
 *   POST /hub/<h>                                       a hub: records the form body and headers;
 *                                                       answers 202, or the next scripted status
 *   GET  /sub/<s>?hub.mode=...&hub.challenge=...        a subscriber verifying intent: echoes the
 *                                                       challenge (script "echo", the default), or
 *                                                       answers scripted "wrong" (another body) / a status
 *   POST /sub/<s>                                       a subscriber receiving content: records the
 *                                                       body (base64) and headers; 204 or the next status
 *   GET /control/script/<key>?statuses=500,202          the next answers of <key> (a hub or subscriber);
 *                                                       for a subscriber's GET: echo, wrong or a status
 *   GET /control/log/<key>                              what <key> received: [{method, query, headers, body}];
 *                                                       feed-<name>: the requests for a site's files
 *
 * The port goes to the tests with provide("websubServerPort") / inject("websubServerPort").
 */
import http from "node:http";
import type { TestProject } from "vitest/node";
import { buildSiteInMemory, type PostSpec, profileYaml } from "../../../lib/harness/factories.ts";
import { listenOnLoopback } from "./loopback.ts";

const BASE = Date.UTC(2026, 1, 25, 9, 0, 0);

export interface Received {
  method: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The body, base64 (exact bytes, for HMAC checks). */
  body: string;
}

interface FeedState {
  posts: number;
  start: number;
  hub?: string;
  user: string;
  username: string;
}

function build(base: string, name: string, state: FeedState): Map<string, string> {
  const url = `${base}/feeds/${name}`;
  const posts: PostSpec[] = Array.from({ length: state.posts }, (_, i) => ({
    id: i,
    date: state.start + i * 3_600_000,
    body: `Post ${i} of ${state.username}.`,
  }));
  const profile: Record<string, unknown> = { username: state.username, user_id: state.user, url };
  if (state.hub) profile.hubs = [`${base}/hub/${state.hub}`];
  const { model, xml } = buildSiteInMemory({ profile: profileYaml(profile), posts });
  const files = new Map<string, string>();
  for (const [permalink, text] of xml) files.set(permalink, text);
  for (const file of model.atomFiles) files.set(file.permalink, file.render());
  return files;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scripts = new Map<string, string[]>();
  const logs = new Map<string, Received[]>();
  const feeds = new Map<string, { key: string; files: Map<string, string> }>();
  const states = new Map<string, FeedState>();
  let base = "";

  const record = (key: string, req: http.IncomingMessage, query: URLSearchParams, body: Buffer) => {
    const entry: Received = {
      method: req.method ?? "GET",
      query: Object.fromEntries(query),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")])),
      body: body.toString("base64"),
    };
    logs.set(key, [...(logs.get(key) ?? []), entry]);
  };
  const next = (key: string): string | undefined => scripts.get(key)?.shift();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let m: RegExpExecArray | null;
      const reply = (status: number, text = "", type = "text/plain") => {
        res.writeHead(status, { "Content-Type": type });
        res.end(text);
      };
      if ((m = /^\/control\/script\/([\w-]+)$/.exec(path))) {
        scripts.set(m[1]!, (url.searchParams.get("statuses") ?? "").split(",").filter(Boolean));
        return reply(204);
      }
      if ((m = /^\/control\/log\/([\w-]+)$/.exec(path))) return reply(200, JSON.stringify(logs.get(m[1]!) ?? []), "application/json");
      if ((m = /^\/control\/feed\/([\w-]+)$/.exec(path))) {
        const q = url.searchParams;
        const state: FeedState = {
          posts: Number(q.get("posts") ?? "3"),
          start: Number(q.get("start") ?? String(BASE)),
          user: q.get("user") ?? "00000000-0000-4000-8000-00000000feed",
          username: q.get("username") ?? m[1]!.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 25),
        };
        if (q.get("hub")) state.hub = q.get("hub")!;
        states.set(m[1]!, state);
        return reply(204);
      }
      if ((m = /^\/feeds\/([\w-]+)(\/.*)$/.exec(path))) {
        record(`feed-${m[1]!}`, req, url.searchParams, Buffer.alloc(0));
        const state = states.get(m[1]!);
        if (!state) return reply(404, "no such site");
        const key = JSON.stringify(state);
        let built = feeds.get(m[1]!);
        if (!built || built.key !== key) {
          built = { key, files: build(base, m[1]!, state) };
          feeds.set(m[1]!, built);
        }
        const file = built.files.get(m[2]!);
        if (file === undefined) return reply(404, "not found");
        return reply(200, file, m[2]!.startsWith("/atom") ? "application/atom+xml; charset=utf-8" : "application/rss+xml; charset=utf-8");
      }
      if ((m = /^\/hub\/([\w-]+)$/.exec(path)) && req.method === "POST") {
        record(m[1]!, req, new URLSearchParams(body.toString("utf8")), body);
        const status = Number(next(m[1]!) ?? "202");
        return reply(status);
      }
      if ((m = /^\/sub\/([\w-]+)$/.exec(path))) {
        record(m[1]!, req, url.searchParams, body);
        const scripted = next(m[1]!);
        if (req.method === "GET") {
          if (scripted === undefined || scripted === "echo") return reply(200, url.searchParams.get("hub.challenge") ?? "");
          if (scripted === "wrong") return reply(200, "not the challenge");
          return reply(Number(scripted));
        }
        return reply(Number(scripted ?? "204"));
      }
      reply(404, "not found");
    });
  });
  const address = await listenOnLoopback(server, "the WebSub server");
  base = `http://127.0.0.1:${address.port}`;
  project.provide("websubServerPort", address.port);
  return address.close;
}
