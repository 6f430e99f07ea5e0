/**
 * Vitest globalSetup (Node) for the timeline tests: a loopback HTTP server whose feeds CHANGE while
 * the tests run, the way followed accounts post between two polls. Every site is a real Skein site
 * built by lib/publish/site.ts (the code that builds ours) from posts the test describes, served at
 * http://127.0.0.1:<port>/tl/s/<key>/feed.xml (and its archive pages /feed/<k>.xml), with an ETag
 * and a Last-Modified per version, answering 304 to a matching If-None-Match / If-Modified-Since.
 *
 *   PUT  /tl/control/<key>        (JSON SiteSpec) set a site's posts and options; answers its feed URL
 *   GET  /tl/control/<key>/log    what the site was asked (path, validators sent, status), as JSON
 *   /tl/moved/<key>/feed.xml      301 to the site's feed;   /tl/temp/<key>/feed.xml   302 to it
 *   /tl/malformed.xml             a feed cut off in the middle of an item
 *   /tl/huge.xml                  2 MB of feed (over the 1 MB a fetch may read)
 *   /tl/slow.xml                  headers never come
 *   /tl/html                      an HTML page
 *   /tl/endless/<user_id>/<n>.xml a hostile feed: 30 items of guids never served before on every page,
 *                                 each page's next_node the next one, without end
 *   /tl/once/<key>/feed.xml       the site's feed, but a connection's second request is dropped unread
 *                                 (the socket closed): what a client meets when it reuses a kept-alive
 *                                 connection the server has closed (Python's http.server, HTTP/1.0)
 *
 * A site can be served re-encoded (UTF-16 LE or BE with a BOM, or ISO-8859-1 declared in the XML),
 * without validators (`validators: false`), with a <microblog:relocate> (`relocate`), or be hand-written
 * XML (`raw`, in `encoding` when given) for the feeds other software writes (oldest first, guids that are not integers). The port goes
 * to the tests with provide("timelineFeedServerPort").
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { Socket } from "node:net";
import type { TestProject } from "vitest/node";
import { buildSiteFiles, type PostSpec, postFile, profileYaml } from "../../../lib/harness/factories.ts";
import { listenOnLoopback } from "./loopback.ts";

/** A post as a test describes it (JSON over the control endpoint). */
export interface PostDescription {
  id: number;
  /** Epoch ms. */
  date: number;
  body?: string;
  replyTo?: { user_id: string; user_link: string; status_id: string | number; username?: string };
  repost?: { user_id: string; user_link: string; status_id: string | number; username?: string; pubdate: number; text: string };
}

export interface SiteSpec {
  user_id: string;
  username: string;
  full_name?: string;
  /** Posts listed one by one ... */
  posts?: PostDescription[];
  /** ... or `count` plain posts with guids 0..count-1, an hour apart from `start` (epoch ms). */
  count?: number;
  start?: number;
  /** Items per page (the spec's 500 unless a test wants small pages). */
  maxItems?: number;
  relocate?: string;
  /** "bom-latin1": a UTF-8 byte order mark in front of Latin-1 bytes (an editor's mistake), served as charset=utf-8. */
  encoding?: "utf-8" | "utf-16le" | "utf-16be" | "latin1" | "bom-latin1";
  /** false: no ETag / Last-Modified, and never a 304. */
  validators?: boolean;
  /** Hand-written files (path -> XML text, served as UTF-8) instead of a built site: feeds our builder would never write. */
  raw?: Record<string, string>;
}

interface Site {
  files: Map<string, Buffer>;
  contentType: string;
  version: number;
  validators: boolean;
  log: { path: string; if_none_match: string | null; if_modified_since: string | null; status: number }[];
}

const HOUR = 3_600_000;

function encode(xml: string, encoding: SiteSpec["encoding"]): Buffer {
  if (encoding === "utf-16le" || encoding === "utf-16be") {
    const text = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"');
    const le = Buffer.from(`\ufeff${text}`, "utf16le");
    if (encoding === "utf-16le") return le;
    for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
    return le;
  }
  if (encoding === "bom-latin1") return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml, "latin1")]);
  if (encoding === "latin1") return Buffer.from(xml.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), "latin1");
  return Buffer.from(xml, "utf8");
}

function buildSite(base: string, key: string, spec: SiteSpec): Map<string, Buffer> {
  const url = `${base}/tl/s/${key}`;
  const start = spec.start ?? Date.UTC(2026, 1, 1, 0, 0, 0);
  const posts: PostSpec[] = spec.posts
    ? spec.posts.map((post) => {
        const built: PostSpec = { id: post.id, date: post.date, body: post.body ?? "" };
        if (post.replyTo) built.replyTo = post.replyTo;
        if (post.repost) built.repost = post.repost;
        return built;
      })
    : Array.from({ length: spec.count ?? 0 }, (_, i) => ({ id: i, date: start + i * HOUR, body: `Post number ${i} of ${spec.username}.` }));
  const profile: Record<string, unknown> = { username: spec.username, user_id: spec.user_id, url };
  if (spec.full_name) profile.full_name = spec.full_name;
  if (spec.relocate) profile.relocate = spec.relocate;
  const files = buildSiteFiles(
    { profile: profileYaml(profile), posts: posts.map((post, i) => postFile({ ...post, name: `p${String(i).padStart(6, "0")}.md` })) },
    { urlOverride: url, feedLimits: { maxItems: spec.maxItems ?? 500, maxBytes: 500_000, headerReserveBytes: 16_384 } },
  );
  return new Map([...files].map(([permalink, xml]) => [permalink, encode(xml, spec.encoding)]));
}

function hugeFeed(): Buffer {
  const item = `<item><guid>h</guid><description>${"lorem ipsum ".repeat(80)}</description></item>`;
  let body = `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>huge</title>`;
  while (body.length < 2_000_000) body += item;
  return Buffer.from(`${body}</channel></rss>`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sites = new Map<string, Site>();
  const huge = hugeFeed();
  let base = "";

  const served = new WeakMap<Socket, number>();
  let endlessPages = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    let m: RegExpExecArray | null;

    if ((m = /^\/tl\/control\/([\w-]+)$/.exec(path)) && req.method === "PUT") {
      const key = m[1]!;
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        try {
          const spec = JSON.parse(Buffer.concat(chunks).toString("utf8")) as SiteSpec;
          const previous = sites.get(key);
          const contentType =
            spec.encoding === "latin1"
              ? "application/rss+xml"
              : spec.encoding?.startsWith("utf-16")
                ? "application/rss+xml"
                : "application/rss+xml; charset=utf-8";
          sites.set(key, {
            files: spec.raw ? new Map(Object.entries(spec.raw).map(([file, xml]) => [file, encode(xml, spec.encoding)])) : buildSite(base, key, spec),
            contentType,
            version: (previous?.version ?? 0) + 1,
            validators: spec.validators ?? true,
            log: previous?.log ?? [],
          });
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ feed: `${base}/tl/s/${key}/feed.xml` }));
        } catch (error) {
          res.writeHead(400, { "Content-Type": "text/plain" });
          res.end(String(error));
        }
      });
      return;
    }
    if ((m = /^\/tl\/control\/([\w-]+)\/log$/.exec(path))) {
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify(sites.get(m[1]!)?.log ?? []));
    }
    if ((m = /^\/tl\/s\/([\w-]+)(\/.*)$/.exec(path))) {
      const site = sites.get(m[1]!);
      const file = site?.files.get(m[2]!);
      const ifNoneMatch = req.headers["if-none-match"] ?? null;
      const ifModifiedSince = req.headers["if-modified-since"] ?? null;
      const answer = (status: number, headers: Record<string, string>, body?: Buffer) => {
        site?.log.push({ path: m![2]!, if_none_match: ifNoneMatch, if_modified_since: ifModifiedSince, status });
        res.writeHead(status, headers);
        res.end(body);
      };
      if (!site || !file) return answer(404, { "Content-Type": "text/plain" }, Buffer.from("not found"));
      const headers: Record<string, string> = { "Content-Type": site.contentType };
      if (site.validators) {
        const etag = `"${createHash("sha1").update(file).digest("hex").slice(0, 16)}"`;
        const lastModified = new Date(Date.UTC(2026, 0, 1) + site.version * 60_000).toUTCString();
        Object.assign(headers, { ETag: etag, "Last-Modified": lastModified });
        const fresh = ifNoneMatch !== null ? ifNoneMatch === etag : ifModifiedSince !== null && ifModifiedSince === lastModified;
        if (fresh) return answer(304, { ETag: etag, "Last-Modified": lastModified });
      }
      return answer(200, headers, file);
    }
    if ((m = /^\/tl\/endless\/([\w-]+)\/(\d+)\.xml$/.exec(path))) {
      endlessPages += 1;
      const [userId, n] = [m[1]!, Number(m[2])];
      const items = Array.from(
        { length: 30 },
        (_, i) =>
          `<item><guid>e${endlessPages}-${n}-${i}</guid><pubDate>Sun, 01 Mar 2026 11:00:00 +0000</pubDate><description>spam ${endlessPages}-${i}</description></item>`,
      );
      res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" });
      return res.end(
        `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:microblog="http://openmicroblog.com/"><channel><title>endless</title><microblog:user_id>${userId}</microblog:user_id><microblog:username>endless</microblog:username><microblog:next_node>${base}/tl/endless/${userId}/${n + 1}.xml</microblog:next_node>${items.join("")}</channel></rss>`,
      );
    }
    if ((m = /^\/tl\/once\/([\w-]+)(\/.*)$/.exec(path))) {
      const site = sites.get(m[1]!);
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      if (count > 1) {
        site?.log.push({ path: m[2]!, if_none_match: null, if_modified_since: null, status: 0 });
        return req.socket.destroy();
      }
      const file = site?.files.get(m[2]!);
      site?.log.push({ path: m[2]!, if_none_match: null, if_modified_since: null, status: file ? 200 : 404 });
      res.writeHead(file ? 200 : 404, { "Content-Type": site?.contentType ?? "text/plain" });
      return res.end(file ?? "not found");
    }
    if ((m = /^\/tl\/(moved|temp)\/([\w-]+)\/feed\.xml$/.exec(path))) {
      res.writeHead(m[1] === "moved" ? 301 : 302, { Location: `${base}/tl/s/${m[2]}/feed.xml` });
      return res.end();
    }
    if (path === "/tl/malformed.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml" });
      return res.end(
        '<?xml version="1.0"?><rss version="2.0" xmlns:microblog="http://openmicroblog.com/"><channel><microblog:user_id>x</microblog:user_id><item><guid>1</guid><description>cut here',
      );
    }
    if (path === "/tl/huge.xml") {
      res.writeHead(200, { "Content-Type": "application/rss+xml" });
      return res.end(huge);
    }
    if (path === "/tl/slow.xml") return; // never answers; the socket is destroyed at teardown
    if (path === "/tl/html") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end("<!doctype html><title>Not a feed</title><p>Hello</p>");
    }
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found");
  });
  const address = await listenOnLoopback(server, "the timeline feed server");
  base = `http://127.0.0.1:${address.port}`;
  project.provide("timelineFeedServerPort", address.port);
  return address.close;
}
