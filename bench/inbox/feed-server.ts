/**
 * The repliers' side of the D1-cost phase: a loopback HTTP server whose feeds the Worker reads to
 * verify a reply notification (spec "Replies/Mentions": the sender's feed holds the truth). The feeds
 * are REAL, built by lib/publish (our own feed writer) through the test factories, each with one post
 * replying to one of the benchmarked site's posts:
 *
 *   /steady/feed.xml   always served: its reply is verified in the background after the 201
 *   /flaky/feed.xml    503 until setUp("flaky"): its reply is left `unreachable`, then the sweep
 *                      (POST /api/jobs/run) checks it again, once while still down, once when up
 *
 * The Worker fetches them because the benchmark's server runs with FETCH_ALLOW_LOOPBACK=true, as
 * under npm start.
 */
import http from "node:http";
import type { Socket } from "node:net";
import { buildSiteFiles, postFile, profileYaml } from "../../lib/harness/factories.ts";
import type { SiteConfig } from "../../lib/shared/site-config.ts";
import { HOST } from "./server.ts";

export type ReplierName = "steady" | "flaky";

export interface Replier {
  name: ReplierName;
  user_id: string;
  username: string;
  /** The feed URL (user_link) on this server. */
  user_link: string;
  /** The guid of the post that replies to ours. */
  status_id: string;
}

export interface ReplierFeeds {
  repliers: Record<ReplierName, Replier>;
  setUp(name: ReplierName, up: boolean): void;
  /** GETs of each replier's feed so far. */
  fetches(name: ReplierName): number;
  close(): Promise<void>;
}

const IDS: Record<ReplierName, string> = {
  steady: "00000000-0000-4000-8000-0000000be701",
  flaky: "00000000-0000-4000-8000-0000000be702",
};
const STATUS_ID = 7;
/** Fixed dates: the feeds are the same bytes on every run. */
const POSTED_AT = Date.UTC(2026, 2, 1, 12, 0, 0);

export async function startReplierFeeds(owner: SiteConfig["owner"], postId: number): Promise<ReplierFeeds> {
  const sockets = new Set<Socket>();
  const up: Record<ReplierName, boolean> = { steady: true, flaky: false };
  const counts: Record<ReplierName, number> = { steady: 0, flaky: 0 };
  const files = new Map<string, string>();

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    const name = /^\/(steady|flaky)\//.exec(pathname)?.[1] as ReplierName | undefined;
    if (name) counts[name] += 1;
    const feed = files.get(pathname);
    if (feed === undefined) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      return res.end("not found");
    }
    if (name && !up[name]) {
      res.writeHead(503, { "Content-Type": "text/plain", "Retry-After": "60" });
      return res.end("down for the benchmark");
    }
    res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" });
    res.end(feed);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the replier feed server has no port");
  const base = `http://${HOST}:${address.port}`;

  const repliers = {} as Record<ReplierName, Replier>;
  for (const name of ["steady", "flaky"] as const) {
    const username = `bench_${name}`;
    const siteUrl = `${base}/${name}`;
    const built = buildSiteFiles(
      {
        profile: profileYaml({ username, user_id: IDS[name], url: siteUrl }),
        posts: [
          postFile({
            id: STATUS_ID,
            date: POSTED_AT,
            body: `A reply to post ${postId}, for the inbox benchmark.`,
            replyTo: { user_id: owner.user_id, user_link: owner.feed_url, status_id: postId, username: owner.username },
          }),
        ],
      },
      { urlOverride: siteUrl },
    );
    for (const [permalink, xml] of built) files.set(`/${name}${permalink}`, xml);
    repliers[name] = { name, user_id: IDS[name], username, user_link: `${siteUrl}/feed.xml`, status_id: String(STATUS_ID) };
  }
  if (!files.has("/steady/feed.xml")) throw new Error("the replier feed server built no /steady/feed.xml");

  return {
    repliers,
    setUp: (name, value) => {
      up[name] = value;
    },
    fetches: (name) => counts[name],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
