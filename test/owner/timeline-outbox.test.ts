// The owner's timeline and outbox pages inside workerd with the real local D1: the same store
// functions and query rules as the owner API (the page lists what GET /api/timeline lists), the
// walls on every new route (no data without a session, cross-site posts refused, strict CSP and
// no-store), bad input answered 400 with nothing stored, other people's HTML inert, Retry, and
// messages written and answered through the outbox's sendMessage to real loopback receivers
// (test/worker/support/feed-server-outbox.ts). Browser behaviour: test/e2e/owner-timeline-outbox.test.ts.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { ListPage, OutboxItem, TimelineItem } from "../../lib/shared/api-types.ts";
import type { Db } from "../../lib/shared/d1.ts";
import { normalizeUserLink } from "../../lib/shared/urls.ts";
import type { NewTimelineItem } from "../../lib/timeline/items.ts";
import { insertFollowStatement, insertItemsStatement } from "../../lib/timeline/store.ts";
import type { WorkerEnv } from "../../lib/worker-kit/env.ts";
import { ME } from "../outbox/sites.ts";
import { clearOutbox, outboxConfig, outboxEnv, outboxItems, ownFeed, type Receiver, receivedBy, receiver } from "../outbox/support.ts";
import { followedAccount, meteredEnv, OWNER_TOKEN, owner, send, testApp } from "../worker/support/worker.ts";

const ORIGIN = "http://owner.test";
const NOW = Date.UTC(2026, 3, 10, 12, 0, 0);
const HOUR = 3_600_000;

/** Receivers of this file's messages (lanes s and t of types no other file uses there). */
const FRIEND = receiver("friend", "s");
const ANSWERED = receiver("friend", "t");
const DEAD = receiver("dead", "s");
const CLOSED = receiver("closed", "s");

/** Followed accounts whose posts are put in the timeline by the store's own insert. */
const TARA = { user_id: "7a7a0000-0000-4000-8000-00000000007a", username: "tara", user_link: "https://tara.example/feed.xml" };
const ULI = { user_id: "0b110000-0000-4000-8000-0000000000b1", username: "uli", user_link: "https://uli.example/feed.xml" };
const EVE = { user_id: "e0e00000-0000-4000-8000-0000000000e0", username: "eve", user_link: "https://eve.example/feed.xml" };

const config = outboxConfig(undefined, ownFeed("full"), {
  follows: [TARA, ULI, EVE, FRIEND].map((person) => followedAccount({ user_id: person.user_id, username: person.username, user_link: person.user_link })),
});
const app = testApp(config, { now: () => NOW });
const bindings = (): WorkerEnv => outboxEnv();

const XSS = `<script>alert(1)</script><img src=x onerror=alert(1)>"><svg onload=alert(1)></svg><a href="javascript:alert(2)">js</a><a href="data:text/html,<script>alert(3)</script>">data</a><iframe src="https://evil.example/"></iframe><p onclick="alert(4)" style="x">styled</p>`;

beforeEach(async () => {
  await clearOutbox();
  await env.DB.batch([
    env.DB.prepare("DELETE FROM timeline_items"),
    env.DB.prepare("DELETE FROM timeline_follows"),
    env.DB.prepare("DELETE FROM owner_sessions"),
  ]);
});

function page(path: string, init: RequestInit = {}, target: WorkerEnv = bindings()): Promise<Response> {
  return Promise.resolve(app.request(`${ORIGIN}${path}`, { redirect: "manual", ...init }, target));
}

function form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}, target?: WorkerEnv): Promise<Response> {
  return page(
    path,
    {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, ...headers },
      body: new URLSearchParams(fields).toString(),
    },
    target,
  );
}

async function signIn(): Promise<string> {
  const response = await form("/owner/sign-in", { token: OWNER_TOKEN });
  expect(response.status).toBe(303);
  return response.headers.get("Set-Cookie")!.split(";")[0]!;
}

async function html(path: string, cookie: string, status = 200): Promise<string> {
  const response = await page(path, { headers: { Cookie: cookie } });
  expect(response.status).toBe(status);
  return response.text();
}

interface Post {
  guid: string;
  hoursAgo: number;
  html?: string;
  mention?: boolean;
  in_reply_to?: NewTimelineItem["in_reply_to"];
  repost?: NewTimelineItem["repost"];
}

/** Put posts in the timeline with the poller's own statements. */
async function timelinePosts(person: typeof TARA, posts: Post[]): Promise<void> {
  const items: NewTimelineItem[] = posts.map((post) => ({
    guid: post.guid,
    published_ms: NOW - post.hoursAgo * HOUR,
    html: post.html ?? `<p>Post ${post.guid} of ${person.username}.</p>`,
    link: `${person.user_link.replace("feed.xml", "posts/")}${post.guid}/`,
    in_reply_to: post.in_reply_to ?? null,
    repost: post.repost ?? null,
    mention: post.mention ?? false,
  }));
  const db: Db = env.DB;
  await db.batch([
    insertFollowStatement(db, { ...person, phase: 0, added_ms: NOW - 100 * HOUR }),
    insertItemsStatement(db, { ...person, name: null }, items, NOW - HOUR),
  ]);
}

/** Outbox rows in the states the page shows (ids 1-4). */
async function outboxRows(): Promise<void> {
  const rows: [string, string, number | null, string | null, string | null, string | null][] = [
    // kind, state, post_id, body, next_attempt_at, last_error
    ["message", "sent", null, "a sent message", null, null],
    ["message", "failed", null, "a failed message", null, "their server answered HTTP 400: bad request"],
    ["reply", "refused", 3, null, null, "their server answered HTTP 403"],
    ["mention", "queued", 4, null, "2026-04-10T12:10:00Z", "their server answered HTTP 503; tried again later"],
  ];
  await env.DB.batch(
    rows.map(([kind, state, postId, body, next, error], i) =>
      env.DB.prepare(
        `INSERT INTO outbox (id, kind, post_id, status_id, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, state, attempts,
           http_status, next_attempt_at, last_error, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'tara', ?6, ?7, ?8, ?9, 2, ?10, ?11, ?12, '2026-04-10T11:00:00Z', '2026-04-10T11:00:00Z')`,
      ).bind(
        i + 1,
        kind,
        postId,
        kind === "reply" ? "9" : kind === "mention" ? "" : null,
        TARA.user_id,
        TARA.user_link,
        normalizeUserLink(TARA.user_link)!,
        body,
        state,
        state === "sent" ? 201 : state === "refused" ? 403 : state === "failed" ? 400 : 503,
        next,
        error,
      ),
    ),
  );
}

/** Active markup a browser would run, read with workerd's own HTML parser. */
async function activeContent(text: string): Promise<string[]> {
  const found: string[] = [];
  const rewriter = new HTMLRewriter().on("*", {
    element(element) {
      if (["script", "img", "svg", "iframe", "object", "embed", "style"].includes(element.tagName)) found.push(`<${element.tagName}>`);
      for (const [name = "", value = ""] of element.attributes) {
        if (name.startsWith("on") || name === "style") found.push(`${element.tagName}[${name}]`);
        if ((name === "href" || name === "src" || name === "action") && /^\s*(javascript|data|vbscript):/i.test(value))
          found.push(`${element.tagName}[${name}=${value}]`);
      }
    },
  });
  await rewriter.transform(new Response(text)).text();
  return found;
}

/** The ids of the posts a timeline page shows, in order. */
function postIds(text: string): number[] {
  return [...text.matchAll(/<li id="post-(\d+)"/g)].map((m) => Number(m[1]));
}

const outboxCount = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM outbox").first<{ n: number }>())?.n ?? 0;

describe("without a session", () => {
  it.each(["/owner/timeline", "/owner/timeline/follows", "/owner/outbox", "/owner/outbox/write"])(
    "GET %s redirects to sign-in and shows no data",
    async (path) => {
      await timelinePosts(TARA, [{ guid: "1", hoursAgo: 1, html: "<p>a private timeline post</p>" }]);
      await outboxRows();
      const response = await page(path);
      expect(response.status).toBe(303);
      expect(response.headers.get("Location")).toBe("/owner/sign-in");
      const body = await response.text();
      expect(body).not.toContain("private timeline post");
      expect(body).not.toContain("a failed message");
    },
  );

  it("POSTs (retry, write, answer) are a 401 page that changes and sends nothing", async () => {
    await outboxRows();
    const before = await outboxItems();
    const reached = (await receivedBy(FRIEND)).length;
    expect((await form("/owner/outbox/2/retry", { return_to: "/owner/outbox" })).status).toBe(401);
    expect((await form("/owner/outbox/write", { recipient: FRIEND.user_link, message: "hi" })).status).toBe(401);
    expect((await form("/owner/inbox/conversations/abc/answer", { message: "hi" })).status).toBe(401);
    expect(await outboxItems()).toEqual(before);
    expect(await receivedBy(FRIEND)).toHaveLength(reached);
  });
});

describe("the walls on the new pages", () => {
  it.each([
    ["/owner/timeline", 200],
    ["/owner/timeline/follows", 200],
    ["/owner/outbox", 200],
    ["/owner/outbox/write", 200],
    ["/owner/timeline?limit=0", 400],
    ["/owner/outbox?state=lost", 400],
  ])("%s carries a strict CSP, no-store and no-referrer", async (path, status) => {
    const cookie = await signIn();
    const response = await page(path, { headers: { Cookie: cookie } });
    expect(response.status).toBe(status);
    const csp = response.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
  });

  it("cross-site posts with a valid session cookie are refused: no retry, no message sent", async () => {
    const cookie = await signIn();
    await outboxRows();
    const before = await outboxItems();
    const reached = (await receivedBy(FRIEND)).length;
    for (const headers of [{ Origin: "https://evil.example" }, { Origin: "null" }]) {
      expect((await form("/owner/outbox/2/retry", {}, { Cookie: cookie, ...headers })).status).toBe(403);
      expect((await form("/owner/outbox/write", { recipient: FRIEND.user_link, message: "pwned" }, { Cookie: cookie, ...headers })).status).toBe(403);
    }
    const noOrigin = await page("/owner/outbox/write", {
      method: "POST",
      headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site" },
      body: new URLSearchParams({ recipient: FRIEND.user_link, message: "pwned" }).toString(),
    });
    expect(noOrigin.status).toBe(403);
    expect(await outboxItems()).toEqual(before);
    expect(await receivedBy(FRIEND)).toHaveLength(reached);
  });

  it("the navigation has Timeline and Outbox", async () => {
    const cookie = await signIn();
    const overview = await html("/owner/", cookie);
    expect(overview).toContain('<a href="/owner/timeline">Timeline</a>');
    expect(overview).toContain('<a href="/owner/outbox">Outbox</a>');
    expect(await html("/owner/timeline", cookie)).toContain('<a href="/owner/timeline" aria-current="page">Timeline</a>');
  });
});

describe("the overview", () => {
  it("counts the timeline's posts of the last day and mentions of the last week, and the outbox's waiting and failed", async () => {
    const cookie = await signIn();
    await timelinePosts(TARA, [
      { guid: "1", hoursAgo: 1 },
      { guid: "2", hoursAgo: 5, mention: true },
      { guid: "3", hoursAgo: 30, mention: true },
      { guid: "4", hoursAgo: 24 * 8, mention: true },
    ]);
    await outboxRows();
    const text = (await html("/owner/", cookie)).replace(/<[^>]+>/g, "").replace(/\s+/g, " ");
    expect(text).toContain("2 posts in your timeline in the last 24 hours");
    expect(text).toContain("2 mentions of you in the last 7 days");
    expect(text).toContain("1 waiting to be sent in the outbox");
    expect(text).toContain("1 not sent (failed) in the outbox");
    expect(text).toContain("1 refused by the receiver in the outbox");
  });
});

describe("the timeline page", () => {
  beforeEach(async () => {
    await timelinePosts(TARA, [
      { guid: "1", hoursAgo: 6 },
      { guid: "2", hoursAgo: 4, mention: true, in_reply_to: { user_id: ME.user_id, user_link: ownFeed("full"), status_id: "2" } },
      { guid: "3", hoursAgo: 2, repost: { user_id: ULI.user_id, user_link: ULI.user_link, status_id: "5", pubdate: "2026-04-01T10:00:00Z" } },
    ]);
    await timelinePosts(ULI, [
      { guid: "5", hoursAgo: 5 },
      { guid: "6", hoursAgo: 1, mention: true, html: "<p>Hey @ada, <em>look</em></p>" },
    ]);
  });

  async function apiIds(query: string): Promise<number[]> {
    const response = await owner(app, `/api/timeline${query}`, {}, OWNER_TOKEN, bindings());
    return ((await response.json()) as ListPage<TimelineItem>).items.map((item) => item.id);
  }

  it("shows what GET /api/timeline lists, newest first, for every filter (one store, one set of rules)", async () => {
    const cookie = await signIn();
    for (const query of ["", "?user=@tara", "?user=uli", `?user=${TARA.user_id}`, "?mentions=1", "?user=@tara&mentions=1", "?limit=2"]) {
      const ids = postIds(await html(`/owner/timeline${query}`, cookie));
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual(await apiIds(query));
    }
    // The filter form's "everyone" sends user="" and no mentions box.
    expect(postIds(await html("/owner/timeline?user=", cookie))).toEqual(await apiIds(""));
  });

  it("pages with the API's cursor and keeps the filters on the next page", async () => {
    const cookie = await signIn();
    const first = await html("/owner/timeline?user=%40tara&limit=2", cookie);
    expect(postIds(first)).toHaveLength(2);
    const older = /<a href="(\/owner\/timeline\?[^"]+)">Older posts<\/a>/.exec(first)![1]!.replaceAll("&amp;", "&");
    const params = new URL(older, ORIGIN).searchParams;
    expect(params.get("user")).toBe("@tara");
    expect(params.get("limit")).toBe("2");
    const second = await html(older, cookie);
    expect(postIds(second)).toHaveLength(1);
    expect([...postIds(first), ...postIds(second)]).toEqual(await apiIds("?user=@tara"));
    expect(second).not.toContain("Older posts");
  });

  it("each post links to its original and says what it replies to or reposts", async () => {
    const cookie = await signIn();
    const text = await html("/owner/timeline", cookie);
    expect(text).toContain('href="https://tara.example/posts/2/"');
    expect(text).toContain("Replying to you");
    expect(text).toContain(`<a href="${config.owner.post_url_prefix}2/">your post #2</a>`);
    expect(text).toContain("Reposted from @uli (their post of 2026-04-01T10:00:00Z)");
    expect(text).toContain("mentions you");
    expect(text).toContain("<p>Hey @ada, <em>look</em></p>");
  });

  it("a post full of XSS payloads is inert: no script, handler, style, frame or javascript:/data: link; images become links", async () => {
    const cookie = await signIn();
    await timelinePosts(EVE, [{ guid: "66", hoursAgo: 0.5, html: `<p>evil ${XSS}<img src="https://img.example/cat.png" alt="a cat"></p>` }]);
    const text = await html("/owner/timeline?user=@eve", cookie);
    expect(text).toContain("evil ");
    expect(await activeContent(text)).toEqual([]);
    expect(text).toContain('<a href="https://img.example/cat.png" rel="nofollow ugc noopener noreferrer">image: a cat</a>');
    expect(text).not.toContain("evil.example");
  });

  it("bad input is a 400 page naming the problem; nothing is written", async () => {
    const cookie = await signIn();
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true", ASSETS: undefined });
    for (const query of ["?limit=0", "?limit=101", "?user=%3Cscript%3E", "?mentions=maybe", "?cursor=bm90LWEtY3Vyc29y"]) {
      const response = await page(`/owner/timeline${query}`, { headers: { Cookie: cookie } }, metered);
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text).toContain('class="owner-error" role="alert"');
      expect(postIds(text)).toEqual([]);
    }
    expect(usage.rowsWritten).toBe(0);
  });

  it("the follows view shows each followed feed's state as /api/timeline/follows gives it", async () => {
    const cookie = await signIn();
    await env.DB.prepare(
      "UPDATE timeline_follows SET failures = 2, last_error = 'https://uli.example/feed.xml answered HTTP 500', last_poll_ms = ?1 WHERE user_id = ?2",
    )
      .bind(NOW - HOUR, ULI.user_id)
      .run();
    const text = await html("/owner/timeline/follows", cookie);
    for (const name of ["@tara", "@uli", "@eve", `@${FRIEND.username}`]) expect(text).toContain(name);
    expect(text).toContain("failing");
    expect(text).toContain("https://uli.example/feed.xml answered HTTP 500 (2 failed reads in a row; each waits longer)");
    expect(text).toContain("3 posts stored");
    expect(text).toContain('href="/owner/outbox/write?to=%40tara"');
  });
});

describe("the outbox page", () => {
  beforeEach(outboxRows);

  it("lists every item newest first with state, tries, last answer, reason and next try; Retry only on refused and failed", async () => {
    const cookie = await signIn();
    const text = await html("/owner/outbox", cookie);
    expect([...text.matchAll(/<li id="item-(\d+)"/g)].map((m) => Number(m[1]))).toEqual([4, 3, 2, 1]);
    expect(text).toContain("their server answered HTTP 400: bad request");
    expect(text).toContain('2 tries · their last answer: HTTP 503 · next try: <time datetime="2026-04-10T12:10:00Z">2026-04-10 12:10 UTC</time>');
    expect(text).toContain("Mention notification to @tara (your post #4)");
    expect([...text.matchAll(/action="\/owner\/outbox\/(\d+)\/retry"/g)].map((m) => Number(m[1]))).toEqual([3, 2]);
  });

  it("filters by state and pages with the API's cursor", async () => {
    const cookie = await signIn();
    const failed = await html("/owner/outbox?state=failed", cookie);
    expect([...failed.matchAll(/<li id="item-(\d+)"/g)].map((m) => m[1])).toEqual(["2"]);
    expect(failed).toContain('<option value="failed" selected="">');
    const first = await html("/owner/outbox?limit=3", cookie);
    const older = /<a href="(\/owner\/outbox\?[^"]+)">Older items<\/a>/.exec(first)![1]!.replaceAll("&amp;", "&");
    const second = await html(older, cookie);
    expect([...second.matchAll(/<li id="item-(\d+)"/g)].map((m) => m[1])).toEqual(["1"]);
    // The filter form's "everything" sends state="".
    expect([...(await html("/owner/outbox?state=", cookie)).matchAll(/<li id="item-(\d+)"/g)]).toHaveLength(4);
  });

  it("Retry puts a failed item back in the queue with requeue (as POST /api/outbox/:id/retry) and comes back to it", async () => {
    const cookie = await signIn();
    const response = await form("/owner/outbox/2/retry", { return_to: "/owner/outbox" }, { Cookie: cookie });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/owner/outbox?notice=retried#item-2");
    const item = (await outboxItems()).find((row) => row.id === 2)!;
    expect(item).toMatchObject({ state: "queued", attempts: 0, next_attempt_at: "2026-04-10T12:00:00Z" });
    expect(item.last_error).toBe("queued again by the owner; last time: their server answered HTTP 400: bad request");
    expect(await html("/owner/outbox?notice=retried", cookie)).toContain("It is queued again.");
  });

  it("Retry of something sent is a 409 page, of nothing a 404, of a bad id a 404; nothing changes", async () => {
    const cookie = await signIn();
    const before = await outboxItems();
    expect((await form("/owner/outbox/1/retry", {}, { Cookie: cookie })).status).toBe(409);
    expect((await form("/owner/outbox/99/retry", {}, { Cookie: cookie })).status).toBe(404);
    expect((await form("/owner/outbox/abc/retry", {}, { Cookie: cookie })).status).toBe(404);
    expect((await form("/owner/outbox/2/retry", { return_to: "x".repeat(2001) }, { Cookie: cookie })).status).toBe(400);
    expect(await outboxItems()).toEqual(before);
  });

  it("bad filters are 400 pages that say why, in the owner's layout; the send form's too-long link too", async () => {
    const cookie = await signIn();
    for (const query of ["?state=lost", "?limit=0", "?cursor=bm9wZQ"])
      expect((await page(`/owner/outbox${query}`, { headers: { Cookie: cookie } })).status).toBe(400);
    const state = await html("/owner/outbox?state=lost", cookie, 400);
    expect(state).toContain("That is not a view of the outbox: state:");
    expect(state).toContain("<title>Outbox");
    expect(await html("/owner/timeline?limit=0", cookie, 400)).toContain("That is not a view of the timeline: limit:");
    expect(await html(`/owner/outbox/write?to=${"x".repeat(2049)}`, cookie, 400)).toContain("That link is too long.");
    const foreign = await form("/owner/outbox/2/retry", { return_to: "x".repeat(2001) }, { Cookie: cookie });
    expect(await foreign.text()).toContain("That form was not one of these pages");
  });
});

describe("writing a message", () => {
  it("to a feed URL: sent now through sendMessage, then the conversation shows it (POST-redirect-GET)", async () => {
    const cookie = await signIn();
    const response = await form("/owner/outbox/write", { recipient: FRIEND.user_link, message: "Hello from the pages\r\nsecond line" }, { Cookie: cookie });
    expect(response.status).toBe(303);
    const location = response.headers.get("Location")!;
    expect(location).toMatch(/^\/owner\/inbox\/conversations\/[A-Za-z0-9_-]+\?notice=sent$/);
    // The browser's CRLF goes out as the CLI's LF.
    expect((await receivedBy(FRIEND)).map((r) => r.body.message)).toEqual(["Hello from the pages\nsecond line"]);
    const conversation = await html(location, cookie);
    expect(conversation).toContain("Your message was sent.");
    expect(conversation).toContain("Hello from the pages\nsecond line");
    expect(conversation).toContain("You wrote");
  });

  it("to @username of a followed account", async () => {
    const cookie = await signIn();
    const response = await form("/owner/outbox/write", { recipient: `@${FRIEND.username}`, message: "By name" }, { Cookie: cookie });
    expect(response.status).toBe(303);
    expect((await receivedBy(FRIEND)).map((r) => r.body.message)).toContain("By name");
  });

  it("their server unreachable: queued, and the outbox shows when it is tried next", async () => {
    const cookie = await signIn();
    const response = await form("/owner/outbox/write", { recipient: DEAD.user_link, message: "Are you there?" }, { Cookie: cookie });
    expect(response.status).toBe(303);
    const [item] = await outboxItems();
    expect(item).toMatchObject({ state: "queued", message: "Are you there?" });
    expect(response.headers.get("Location")).toBe(`/owner/outbox?notice=queued#item-${item!.id}`);
    const text = await html("/owner/outbox?notice=queued", cookie);
    expect(text).toContain("Your message could not be sent yet; it waits in the outbox and is retried.");
    expect(text).toContain(`next try: <time datetime="${item!.next_attempt_at}">`);
  });

  it("not sent (accept off): the form again with why, the typed text kept, nothing stored", async () => {
    const cookie = await signIn();
    const response = await form("/owner/outbox/write", { recipient: CLOSED.user_link, message: "Keep <this> text" }, { Cookie: cookie });
    expect(response.status).toBe(422);
    const text = await response.text();
    expect(text).toContain(`Not sent: @${CLOSED.username} takes no private messages: their feed has no message URL; nothing was sent`);
    expect(text).toContain("Keep &lt;this&gt; text</textarea>");
    expect(text).toContain(`value="${CLOSED.user_link}"`);
    expect(await outboxCount()).toBe(0);
  });

  it("bad input is a 400 form with the text kept, before anything is fetched or written", async () => {
    const cookie = await signIn();
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true", ASSETS: undefined });
    // The receiver's record is shared by this file's tests: nothing new may reach it.
    const reachedBefore = (await receivedBy(FRIEND)).length;
    const cases: [Record<string, string>, string][] = [
      [{ recipient: "bob", message: "typed words" }, "recipient: must be a feed URL, a profile URL"],
      [{ recipient: FRIEND.user_link, message: "   " }, "message: must not be empty"],
      [{ recipient: FRIEND.user_link, message: "x".repeat(5001) }, "message: must be at most 5000 characters"],
      [{ message: "typed words" }, "recipient: is required"],
    ];
    for (const [fields, why] of cases) {
      const response = await form("/owner/outbox/write", fields, { Cookie: cookie }, metered);
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(text).toContain(why);
      if (fields.message === "typed words") expect(text).toContain("typed words</textarea>");
    }
    expect(usage.rowsWritten).toBe(0);
    expect(await receivedBy(FRIEND)).toHaveLength(reachedBefore);
    expect(await outboxCount()).toBe(0);
  });
});

describe("answering a conversation", () => {
  async function receivedFrom(person: Receiver, text: string): Promise<string> {
    const { response } = await send(
      app,
      "/api/message",
      { user_id: person.user_id, username: person.username, user_link: person.user_link, message: text, date: "Fri, 10 Apr 2026 11:00:00 +0000" },
      { env: bindings() },
    );
    expect(response.status).toBe(201);
    const cookie = await signIn();
    const inbox = await html("/owner/inbox", cookie);
    return /href="(\/owner\/inbox\/conversations\/[A-Za-z0-9_-]+)"/.exec(inbox)![1]!;
  }

  it("sends to the sender of the newest received message and shows both sides", async () => {
    const link = await receivedFrom(ANSWERED, "Hi ada, how are you?");
    const cookie = await signIn();
    expect(await html(link, cookie)).toContain('<form class="owner-form" method="post" action="' + link + '/answer"');
    const response = await form(`${link}/answer`, { message: "Fine, thanks!" }, { Cookie: cookie });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe(`${link}?notice=sent`);
    expect((await receivedBy(ANSWERED)).map((r) => [r.body.message, r.body.user_id])).toEqual([["Fine, thanks!", ME.user_id]]);
    const conversation = await html(`${link}?notice=sent`, cookie);
    expect(conversation.indexOf("Hi ada, how are you?")).toBeLessThan(conversation.indexOf("Fine, thanks!"));
  });

  it("an empty answer is a 400 with nothing written; a conversation that does not exist is a 404", async () => {
    const link = await receivedFrom(ANSWERED, "Hello again");
    const cookie = await signIn();
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true", ASSETS: undefined });
    const empty = await form(`${link}/answer`, { message: " " }, { Cookie: cookie }, metered);
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("Not sent: message: must not be empty");
    expect(usage.rowsWritten).toBe(0);
    expect((await form("/owner/inbox/conversations/bm9ib2R5/answer", { message: "hi" }, { Cookie: cookie })).status).toBe(404);
    expect(await outboxCount()).toBe(0);
  });

  it("their server unreachable: queued, shown under the conversation as not delivered yet, with Retry once it fails", async () => {
    const link = await receivedFrom(DEAD, "Write back?");
    const cookie = await signIn();
    const response = await form(`${link}/answer`, { message: "Trying" }, { Cookie: cookie });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe(`${link}?notice=queued#undelivered`);
    const text = await html(`${link}?notice=queued`, cookie);
    expect(text).toContain("Not delivered yet");
    expect(text).toContain("Trying");
    expect(text).toMatch(/next try: <time/);
    const [item] = (await outboxItems()) as OutboxItem[];
    await env.DB.prepare("UPDATE outbox SET state = 'failed', next_attempt_at = NULL WHERE id = ?1").bind(item!.id).run();
    const failed = await html(link, cookie);
    expect(failed).toContain(`action="/owner/outbox/${item!.id}/retry"`);
    expect(failed).toContain(`Retry: message to @${DEAD.username}`);
  });
});
