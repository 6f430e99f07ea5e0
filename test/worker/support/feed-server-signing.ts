/**
 * Vitest globalSetup (Node) for the signing tests: a loopback server whose sites publish the signing
 * keys a test gives them, in REAL head feeds built by lib/publish/site.ts (the profile's
 * `signing_keys`, as `npm run init` / `npm run keys -- rotate` write them):
 *
 *   PUT /control/keys/<site>     body: JSON [{ "key": "...", "until"?: "..." }] -> the site's keys from now on
 *   GET /control/fetches/<site>  how many times /<site>/feed.xml was read (key fetches)
 *   GET /<site>/feed.xml         the site's head feed (any [a-z]+ site name; user_id derived from it)
 *
 * The port goes to the tests with provide("signingServerPort").
 */
import http from "node:http";
import type { TestProject } from "vitest/node";
import { buildSiteFiles, profileYaml } from "../../../lib/harness/factories.ts";
import { listenOnLoopback } from "./loopback.ts";

export const signingUserId = (site: string): string => `00000000-0000-4000-8000-${Buffer.from(site).toString("hex").slice(0, 12).padStart(12, "0")}`;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const keys = new Map<string, unknown[]>();
  const fetches = new Map<string, number>();
  let base = "";
  const feedOf = (site: string): string => {
    const url = `${base}/${site}`;
    const profile = profileYaml({ username: site, user_id: signingUserId(site), url, signing_keys: keys.get(site) ?? [] });
    const files = buildSiteFiles({ profile, posts: [] }, { urlOverride: url });
    return files.get("/feed.xml") as string;
  };
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    let m: RegExpExecArray | null;
    if (req.method === "PUT" && (m = /^\/control\/keys\/([a-z]+)$/.exec(path))) {
      let text = "";
      for await (const chunk of req) text += chunk;
      keys.set(m[1]!, JSON.parse(text) as unknown[]);
      res.writeHead(204);
      return res.end();
    }
    if ((m = /^\/control\/fetches\/([a-z]+)$/.exec(path))) {
      res.writeHead(200, { "Content-Type": "text/plain" });
      return res.end(String(fetches.get(m[1]!) ?? 0));
    }
    if ((m = /^\/([a-z]+)\/feed\.xml$/.exec(path))) {
      fetches.set(m[1]!, (fetches.get(m[1]!) ?? 0) + 1);
      res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" });
      return res.end(feedOf(m[1]!));
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found");
  });
  const address = await listenOnLoopback(server, "the signing server");
  base = `http://127.0.0.1:${address.port}`;
  project.provide("signingServerPort", address.port);
  return address.close;
}
