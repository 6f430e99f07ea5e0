/**
 * The followed accounts of `npm run bench:timeline`: N real Skein sites (built by lib/publish/site.ts
 * through the test factories) on one loopback HTTP server, each at http://127.0.0.1:<port>/f<i>/feed.xml,
 * answering a matching If-None-Match with 304 as a static host does. A few of them post during the
 * simulated day: `advance(t)` publishes every post dated at or before t (the site is rebuilt, so its
 * ETag changes), the way a person's `git push` would.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildSiteFiles, type PostSpec, postFile, profileYaml, seededRandom } from "../../lib/harness/factories.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface Account {
  index: number;
  user_id: string;
  username: string;
  feedUrl: string;
  /** "chatty": posts every 30-90 minutes in the day; "daily": 1-3 times a day; "quiet": not this day. */
  kind: "chatty" | "daily" | "quiet";
}

interface Site {
  account: Account;
  published: PostSpec[];
  pending: PostSpec[];
  files: Map<string, { body: Buffer; etag: string }>;
}

export interface FeedServer {
  url: string;
  accounts: Account[];
  /** Publish the posts due by `t`; answers those published now (account, post date). */
  advance(t: number): { account: Account; date: number }[];
  /** Requests answered, by status. */
  counts(): Map<number, number>;
  close(): Promise<void>;
}

function build(site: Site, base: string): void {
  const url = `${base}/f${site.account.index}`;
  const built = buildSiteFiles(
    {
      profile: profileYaml({ username: site.account.username, user_id: site.account.user_id, url, full_name: `Account ${site.account.index}` }),
      posts: site.published.map((post, i) => postFile({ ...post, name: `p${String(i).padStart(5, "0")}.md` })),
    },
    { urlOverride: url },
  );
  site.files = new Map(
    [...built].map(([permalink, xml]) => {
      const body = Buffer.from(xml, "utf8");
      return [permalink, { body, etag: `"${createHash("sha1").update(body).digest("hex").slice(0, 16)}"` }];
    }),
  );
}

/**
 * `count` accounts; the first `chatty` post every 30-90 minutes from 08:00 to 22:00 of the day that
 * starts at `dayStart`, the next `daily` post 1-3 times that day, the rest last posted 10-40 days ago.
 */
export async function startFeedServer(options: {
  count: number;
  chatty: number;
  daily: number;
  dayStart: number;
  seed: number;
  /** Every answer waits this long (ms): a remote server's latency, which must not show as the Worker's CPU. */
  delayMs?: number;
}): Promise<FeedServer> {
  const random = seededRandom(options.seed);
  const counts = new Map<number, number>();
  const sites: Site[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const match = /^\/f(\d+)(\/.*)$/.exec(url.pathname);
    const file = match ? sites[Number(match[1])]?.files.get(match[2]!) : undefined;
    const answer = (status: number, headers: Record<string, string>, body?: Buffer) => {
      counts.set(status, (counts.get(status) ?? 0) + 1);
      const send = () => {
        res.writeHead(status, headers);
        res.end(body);
      };
      if (options.delayMs) setTimeout(send, options.delayMs);
      else send();
    };
    if (!file) return answer(404, { "Content-Type": "text/plain" }, Buffer.from("not found"));
    if (req.headers["if-none-match"] === file.etag) return answer(304, { ETag: file.etag });
    answer(200, { "Content-Type": "application/rss+xml; charset=utf-8", ETag: file.etag }, file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  for (let index = 0; index < options.count; index++) {
    const kind = index < options.chatty ? "chatty" : index < options.chatty + options.daily ? "daily" : "quiet";
    const account: Account = {
      index,
      user_id: `be4c0000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`,
      username: `account${index}`,
      feedUrl: `${base}/f${index}/feed.xml`,
      kind,
    };
    // History: 5 posts. Chatty accounts last posted the evening before, daily ones a day or two before,
    // quiet ones 10-40 days before: the adaptive schedule starts the day from what it has seen.
    const newest =
      kind === "chatty"
        ? options.dayStart - random.int(60, 240) * MINUTE
        : kind === "daily"
          ? options.dayStart - random.int(24, 48) * HOUR
          : options.dayStart - random.int(10, 40) * DAY;
    const spacing = kind === "quiet" ? 2 * DAY : kind === "daily" ? DAY : HOUR;
    const published: PostSpec[] = Array.from({ length: 5 }, (_, i) => ({
      id: i,
      date: newest - (4 - i) * spacing,
      body: `Old post ${i} of account ${index}.`,
    }));
    const pending: PostSpec[] = [];
    let id = published.length;
    if (kind === "chatty") {
      for (let t = options.dayStart + 8 * HOUR + random.int(0, 60) * MINUTE; t < options.dayStart + 22 * HOUR; t += random.int(30, 90) * MINUTE) {
        pending.push({ id: id++, date: t, body: `Chatty post ${id} of account ${index}.` });
      }
    } else if (kind === "daily") {
      const times = Array.from({ length: random.int(1, 3) }, () => options.dayStart + random.int(7 * 60, 23 * 60) * MINUTE).sort((a, b) => a - b);
      for (const t of times) pending.push({ id: id++, date: t, body: `Daily post ${id} of account ${index}.` });
    }
    const site: Site = { account, published, pending, files: new Map() };
    build(site, base);
    sites.push(site);
  }

  return {
    url: base,
    accounts: sites.map((site) => site.account),
    advance(t) {
      const now: { account: Account; date: number }[] = [];
      for (const site of sites) {
        let changed = false;
        while (site.pending.length && (site.pending[0]!.date as number) <= t) {
          const post = site.pending.shift()!;
          site.published.push(post);
          now.push({ account: site.account, date: post.date as number });
          changed = true;
        }
        if (changed) build(site, base);
      }
      return now;
    },
    counts: () => counts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
