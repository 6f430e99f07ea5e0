/**
 * Vitest globalSetup (Node) for the workers project: a loopback HTTP server on 127.0.0.1 that the
 * reply verifier, running inside workerd, reads feeds from. The feeds are REAL: whole sites built
 * by lib/publish/site.ts (the same code that builds ours) from factory posts with fixed UTC dates, served
 * at http://127.0.0.1:<port>/<site>/... Plus the ways a feed can go wrong:
 *
 *   /<site>/feed.xml, /<site>/feed/<k>.xml   bob, paged (six pages), impostor (see support/people.ts)
 *   /hops/<n>/feed.xml                       n redirects, then bob's feed
 *   /loop/a.xml <-> /loop/b.xml              a redirect loop
 *   /huge-chunked.xml, /huge-declared.xml    1.5 MB, without / with Content-Length
 *   /status/<code>                           that status code
 *   /slow-body.xml                           headers and half a feed, then nothing
 *   /slow-headers.xml                        no answer at all
 *   /garbage.xml, /html                      random bytes; an HTML page
 *   /flaky/<key>/feed.xml                    503 until GET /control/up/<key>, then bob's feed
 *   /endless/<key>/<n>.xml                   a redirect to page n, whose next_node is n + 1, for ever;
 *                                            GET /control/count/<key> tells how many requests it got
 *
 * The port goes to the tests with provide("feedServerPort") / inject("feedServerPort").
 */
import http from "node:http";
import type { TestProject } from "vitest/node";
import { buildSiteFiles, type PostSpec, postFile, profileYaml, seededRandom } from "../../../lib/harness/factories.ts";
import { listenOnLoopback } from "./loopback.ts";
import { BOB_STATUS, feedServer, OWNER, SITES } from "./people.ts";

const BASE = Date.UTC(2026, 1, 1, 9, 0, 0);
const hours = (n: number) => BASE + n * 3_600_000;

function bobPosts(): PostSpec[] {
  const replyTo = (status: number) => ({ user_id: OWNER.user_id, user_link: OWNER.feed_url, status_id: status, username: OWNER.username });
  return [
    { id: Number(BOB_STATUS.plain), date: hours(1), body: "Fresh bread this morning." },
    { id: Number(BOB_STATUS.replyToPost3), date: hours(2), body: "Agreed, a feed you own beats a platform you rent.", replyTo: replyTo(3) },
    { id: Number(BOB_STATUS.mentionByName), date: hours(3), body: "Reading what @ada wrote about looms." },
    { id: Number(BOB_STATUS.mentionByPermalink), date: hours(4), body: "See [this post](https://ada.example/posts/4/) about engines." },
    { id: Number(BOB_STATUS.replyToPost2), date: hours(5), body: "Nice one.", replyTo: replyTo(2) },
    {
      id: Number(BOB_STATUS.replyToOther),
      date: hours(6),
      body: "@adam you are right.",
      replyTo: { user_id: "00000000-0000-4000-8000-0000000ada0", user_link: "https://adam.example/feed.xml", status_id: 3 },
    },
    {
      id: Number(BOB_STATUS.replyByLink),
      date: hours(7),
      body: "Replying by link only.",
      replyTo: { user_id: "not-ada", user_link: "http://ADA.example/feed.xml/", status_id: 3 },
    },
  ];
}

function pagedPosts(): PostSpec[] {
  // Twelve posts, guids 0-11, two per page: the head holds 10-11, /feed/1.xml holds 0-1.
  return Array.from({ length: 12 }, (_, i) => ({
    id: i,
    date: hours(10 + i),
    body: i === 0 || i === 4 ? `Reply number ${i}.` : `Post number ${i}.`,
    ...(i === 0 || i === 4 ? { replyTo: { user_id: OWNER.user_id, user_link: OWNER.feed_url, status_id: 3 } } : {}),
  }));
}

function site(base: string, name: keyof typeof SITES, posts: PostSpec[], maxItems = 500): Map<string, string> {
  const identity = SITES[name];
  const files = buildSiteFiles(
    { profile: profileYaml({ username: identity.username, user_id: identity.user_id, url: `${base}/${name}` }), posts: posts.map(postFile) },
    { urlOverride: `${base}/${name}`, feedLimits: { maxItems, maxBytes: 500_000, headerReserveBytes: 16_384 } },
  );
  return new Map([...files].map(([permalink, xml]) => [`/${name}${permalink}`, xml]));
}

const HUGE_BYTES = 1_500_000;

function hugeFeed(): Buffer {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>huge</title>`;
  const item = `<item><guid>x</guid><description>${"lorem ipsum ".repeat(80)}</description></item>`;
  let body = head;
  while (body.length < HUGE_BYTES) body += item;
  return Buffer.from(`${body}</channel></rss>`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const flakyUp = new Set<string>();
  const endlessCounts = new Map<string, number>();
  let files = new Map<string, string>();
  const huge = hugeFeed();
  const garbage = Buffer.from(
    Array.from(
      { length: 4096 },
      (() => {
        const random = seededRandom(7);
        return () => random.int(0, 255);
      })(),
    ),
  );

  const sendXml = (res: http.ServerResponse, xml: string) => {
    res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" });
    res.end(xml);
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const redirect = (to: string) => {
      res.writeHead(302, { Location: to });
      res.end();
    };
    const feed = files.get(path);
    if (feed !== undefined) return sendXml(res, feed);

    let m: RegExpExecArray | null;
    if ((m = /^\/hops\/(\d+)\/feed\.xml$/.exec(path))) {
      const n = Number(m[1]);
      return n === 0 ? sendXml(res, files.get("/bob/feed.xml")!) : redirect(`/hops/${n - 1}/feed.xml`);
    }
    if (path === "/loop/a.xml") return redirect("/loop/b.xml");
    if (path === "/loop/b.xml") return redirect(`${feedServer(port)}/loop/a.xml`);
    if (path === "/huge-declared.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml", "Content-Length": String(huge.length) });
      return res.end(huge);
    }
    if (path === "/huge-chunked.xml") {
      // No Content-Length: the reader has to count while streaming.
      res.writeHead(200, { "Content-Type": "application/rss+xml" });
      for (let i = 0; i < huge.length; i += 64 * 1024) res.write(huge.subarray(i, i + 64 * 1024));
      return res.end();
    }
    if ((m = /^\/status\/(\d{3})$/.exec(path))) {
      res.writeHead(Number(m[1]), { "Content-Type": "text/plain" });
      return res.end(`status ${m[1]}`);
    }
    if (path === "/slow-body.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml" });
      res.write(files.get("/bob/feed.xml")!.slice(0, 300));
      return; // never ends; the socket is destroyed at teardown
    }
    if (path === "/slow-headers.xml") return; // never answers
    if (path === "/garbage.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml" });
      return res.end(garbage);
    }
    if (path === "/html") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end("<!doctype html><html><head><title>Not a feed</title></head><body><p>Hello</p></body></html>");
    }
    if ((m = /^\/flaky\/([\w-]+)\/feed\.xml$/.exec(path))) {
      if (!flakyUp.has(m[1]!)) {
        res.writeHead(503, { "Content-Type": "text/plain", "Retry-After": "1" });
        return res.end("try later");
      }
      return sendXml(res, files.get("/bob/feed.xml")!);
    }
    if ((m = /^\/endless\/([\w-]+)\/(\d+)(\.xml|\/page\.xml)$/.exec(path))) {
      const [, key, n, kind] = m as unknown as [string, string, string, string];
      endlessCounts.set(key, (endlessCounts.get(key) ?? 0) + 1);
      if (kind === ".xml") return redirect(`/endless/${key}/${n}/page.xml`);
      const next = `${feedServer(port)}/endless/${key}/${Number(n) + 1}.xml`;
      return sendXml(
        res,
        `<?xml version="1.0"?><rss version="2.0" xmlns:microblog="http://openmicroblog.com/"><channel><title>endless</title>` +
          `<microblog:user_id>${SITES.bob.user_id}</microblog:user_id><microblog:next_node>${next}</microblog:next_node>` +
          `<item><guid>e${n}</guid><description>page ${n}</description></item></channel></rss>`,
      );
    }
    if ((m = /^\/control\/count\/([\w-]+)$/.exec(path))) {
      res.writeHead(200, { "Content-Type": "text/plain" });
      return res.end(String(endlessCounts.get(m[1]!) ?? 0));
    }
    if ((m = /^\/control\/up\/([\w-]+)$/.exec(path))) {
      flakyUp.add(m[1]!);
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found");
  });
  const address = await listenOnLoopback(server, "the feed server");
  const port = address.port;

  const base = feedServer(port);
  files = new Map([
    ...site(base, "bob", bobPosts()),
    ...site(base, "paged", pagedPosts(), 2),
    ...site(base, "impostor", [{ id: 0, date: hours(1), body: "Not who you think." }]),
    // Bob's site's stylesheet, beside his feed: what a Worker without ASSETS reads for its owner pages.
    ["/bob/assets/style.css", "/* bob's site */ body { color: #123456; }"],
  ]);

  project.provide("feedServerPort", port);
  return address.close;
}
