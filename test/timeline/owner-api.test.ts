// The owner's timeline API: bearer token, newest first with a cursor, ?user= / ?mentions=1 / ?limit=,
// every input validated (400 problems that cost no D1 write), other people's HTML sanitized on the way
// out, and each followed feed's state.
import { beforeAll, describe, expect, it } from "vitest";
import type { ListPage, TimelineFollows, TimelineItem } from "../../lib/shared/api-types.ts";
import { OWNER } from "../worker/support/people.ts";
import { meteredEnv, owner, problemOf, testApp } from "../worker/support/worker.ts";
import { account, configFollowing, FIXED_NOW, followed, HOUR, MINUTE, plainPosts, poll, resetPoller, server, serveSite } from "./support.ts";

const alice = account("alice");
const bruno = account("bruno");
const gone = account("gone");
const broken = account("broken");
const fresh = account("fresh");
const mover = account("mover");
let moverNewFeed = "";
let config: ReturnType<typeof configFollowing>;
const POLLED_AT = FIXED_NOW - 10 * MINUTE;

const HOSTILE_HTML = `<p onclick="steal()">Hi <b>there</b> <script>alert(1)</script><a href="javascript:alert(2)">js</a> <a href="https://ok.example/x">ok</a> <img src="https://img.example/a.png" alt="cat"></p>`;

beforeAll(async () => {
  await resetPoller();
  const aliceFeed = await serveSite(alice.key, {
    ...alice,
    full_name: "Alice A.",
    posts: [
      ...plainPosts(0, 6, FIXED_NOW - 2 * HOUR),
      { id: 6, date: FIXED_NOW - 30 * MINUTE, body: "Hello @ada, this is for you." },
      { id: 7, date: FIXED_NOW - 20 * MINUTE, body: "Reply.", replyTo: { user_id: OWNER.user_id, user_link: OWNER.feed_url, status_id: 2 } },
    ],
  });
  const brunoFeed = await serveSite(bruno.key, {
    ...bruno,
    raw: {
      "/feed.xml": `<?xml version="1.0"?><rss version="2.0" xmlns:microblog="http://openmicroblog.com/"><channel><microblog:user_id>${bruno.user_id}</microblog:user_id>
<item><guid>0</guid><pubDate>${new Date(FIXED_NOW - 15 * MINUTE).toUTCString()}</pubDate><link>https://bruno.example/posts/0/</link><description><![CDATA[${HOSTILE_HTML}]]></description></item></channel></rss>`,
    },
  });
  moverNewFeed = await serveSite(`${mover.key}-new`, { ...mover, posts: plainPosts(0, 1, FIXED_NOW - 3 * HOUR) });
  const moverOldFeed = await serveSite(mover.key, { ...mover, relocate: moverNewFeed, posts: [] });
  const goneFeed = await serveSite(gone.key, { ...gone, posts: plainPosts(0, 1, FIXED_NOW - 5 * HOUR) });
  const goneConfig = configFollowing([followed(gone, goneFeed)]);
  await poll({ config: goneConfig, now: POLLED_AT - MINUTE });
  config = configFollowing([
    followed(alice, aliceFeed),
    followed(bruno, brunoFeed),
    followed(broken, `${server}/tl/malformed.xml`),
    followed(fresh, `${server}/tl/s/nobody/feed.xml`),
    followed(mover, moverOldFeed),
  ]);
  // Everyone but `fresh` is polled (fresh is added to follows.yaml after the run).
  await poll({ config: configFollowing(config.follows.filter((follow) => follow.user_id !== fresh.user_id)), now: POLLED_AT });
});

async function timeline(path: string): Promise<ListPage<TimelineItem>> {
  const response = await owner(testApp(config), path);
  expect(response.status).toBe(200);
  return (await response.json()) as ListPage<TimelineItem>;
}

describe("authorization", () => {
  it("needs the owner token", async () => {
    for (const path of ["/api/timeline", "/api/timeline/follows"]) {
      expect((await owner(testApp(config), path, {}, null)).status).toBe(401);
      const wrong = await owner(testApp(config), path, {}, "not-the-token");
      expect(wrong.status).toBe(401);
      expect((await problemOf(wrong)).detail).toBe("the owner token does not match");
    }
  });
});

describe("GET /api/timeline", () => {
  it("lists posts newest first with the API's fields; other people's HTML comes sanitized, and as plain text", async () => {
    const page = await timeline("/api/timeline?limit=4");
    expect(page.items.map((item) => `${item.username}:${item.guid}`)).toEqual([
      `${bruno.username}:0`,
      `${alice.username}:7`,
      `${alice.username}:6`,
      `${alice.username}:5`,
    ]);
    const [hostile, reply] = page.items;
    expect(hostile).toEqual({
      id: expect.any(Number),
      user_id: bruno.user_id,
      username: bruno.username,
      name: null,
      user_link: `${server}/tl/s/${bruno.key}/feed.xml`,
      guid: "0",
      date: "2026-03-01T11:45:30Z",
      received_at: "2026-03-01T11:50:30Z",
      html: '<p>Hi <b>there</b> <a>js</a> <a href="https://ok.example/x" rel="nofollow ugc noopener noreferrer">ok</a> <a href="https://img.example/a.png" rel="nofollow ugc noopener noreferrer">image: cat</a></p>',
      text: "Hi there js ok image: cat",
      link: "https://bruno.example/posts/0/",
      mention: false,
    });
    expect(reply).toMatchObject({
      name: "Alice A.",
      mention: true,
      in_reply_to: { user_id: OWNER.user_id, status_id: "2", user_link: OWNER.feed_url },
      link: `${server}/tl/s/${alice.key}/posts/7/`,
    });
    expect(reply).not.toHaveProperty("repost");
    expect(page.next_cursor).toEqual(expect.any(String));
  });

  it("pages with the cursor through every item exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ListPage<TimelineItem> = await timeline(`/api/timeline?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.items.map((item) => `${item.user_id}/${item.guid}`));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toHaveLength(11);
    expect(new Set(seen).size).toBe(11);
    const all = await timeline("/api/timeline");
    expect(all.items.map((item) => `${item.user_id}/${item.guid}`)).toEqual(seen);
    expect(all.next_cursor).toBeNull();
  });

  it("?user= takes a username (with or without @), a user_id, or an account no longer followed", async () => {
    for (const user of [alice.username, `@${alice.username}`, alice.user_id, alice.username.toUpperCase()]) {
      const page = await timeline(`/api/timeline?user=${encodeURIComponent(user)}`);
      expect(page.items.map((item) => item.guid)).toEqual(["7", "6", "5", "4", "3", "2", "1", "0"]);
    }
    expect((await timeline(`/api/timeline?user=${gone.username}`)).items.map((item) => item.user_id)).toEqual([gone.user_id]);
    expect((await timeline("/api/timeline?user=nobody")).items).toEqual([]);
  });

  it("?mentions=1 lists only posts that mention the owner", async () => {
    const page = await timeline("/api/timeline?mentions=1");
    expect(page.items.map((item) => item.guid)).toEqual(["7", "6"]);
    expect(page.items.every((item) => item.mention)).toBe(true);
    expect((await timeline("/api/timeline?mentions=0")).items).toHaveLength(11);
  });

  it("answers bad input with a 400 problem, and writes nothing", async () => {
    const cases: [string, string][] = [
      ["limit=0", "limit: must be an integer from 1 to 100"],
      ["limit=101", "limit: must be an integer from 1 to 100"],
      ["limit=ten", "limit: must be an integer from 1 to 100"],
      ["mentions=maybe", "mentions: must be 1 or 0"],
      ["user=%3Cscript%3E", "user: must be a user_id or a username"],
      ["cursor=not-a-cursor", "cursor: not a cursor of the timeline; use next_cursor from the previous page"],
      [`cursor=${"x".repeat(65)}`, "cursor: is not a cursor of the timeline"],
    ];
    for (const [query, detail] of cases) {
      const { env, usage } = meteredEnv();
      const response = await owner(testApp(config), `/api/timeline?${query}`, {}, undefined, env);
      expect(response.status, query).toBe(400);
      expect((await problemOf(response)).detail).toBe(detail);
      expect(usage.rowsWritten).toBe(0);
    }
  });

  it("other methods are 405 with Allow", async () => {
    for (const path of ["/api/timeline", "/api/timeline/follows"]) {
      const response = await owner(testApp(config), path, { method: "POST" });
      expect(response.status).toBe(405);
      expect(response.headers.get("Allow")).toBe("GET, OPTIONS");
    }
  });
});

describe("GET /api/timeline/follows", () => {
  it("gives each followed feed's state, last and next poll, last error and item count", async () => {
    const response = await owner(testApp(config), "/api/timeline/follows");
    expect(response.status).toBe(200);
    const body = (await response.json()) as TimelineFollows;
    expect(body.last_run_at).toBe("2026-03-01T11:50:00Z");
    const byName = Object.fromEntries(body.follows.map((follow) => [follow.username, follow]));
    expect(Object.keys(byName)).toEqual([alice.username, bruno.username, broken.username, fresh.username, mover.username]);
    expect(byName[alice.username]).toEqual({
      user_id: alice.user_id,
      username: alice.username,
      name: "Alice A.",
      user_link: `${server}/tl/s/${alice.key}/feed.xml`,
      feed_url: `${server}/tl/s/${alice.key}/feed.xml`,
      state: "ok",
      moved_to: null,
      last_poll_at: "2026-03-01T11:50:30Z",
      last_error: null,
      failures: 0,
      next_poll_at: expect.stringMatching(/^2026-03-01T12:0[0-5]:00Z$/),
      poll_every_minutes: 5,
      newest_post_at: "2026-03-01T11:40:30Z",
      items: 8,
    });
    expect(byName[broken.username]).toMatchObject({
      state: "failing",
      failures: 1,
      last_error: expect.stringMatching(/is not a readable RSS feed/),
      // Its backoff (5 minutes after the failed poll) is over: polled at the next run.
      next_poll_at: null,
      items: 0,
    });
    expect(byName[fresh.username]).toMatchObject({ state: "new", last_poll_at: null, next_poll_at: null, items: 0 });
    expect(byName[mover.username]).toMatchObject({
      state: "moved",
      user_link: `${server}/tl/s/${mover.key}/feed.xml`,
      feed_url: moverNewFeed,
      moved_to: moverNewFeed,
      items: 1,
    });
  });
});
