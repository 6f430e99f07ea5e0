/**
 * Micropub in workerd with the real local D1 (lib/micropub/): the spec's request examples (W3C
 * Micropub §3.3, §4.1: form-encoded and JSON) create posts through the real write path -- a commit
 * in a real git repository behind a loopback Forgejo-shaped forge (test/worker/support/
 * forge-server-write.ts, a repository of Micropub's own) -- with tokens from the real IndieAuth
 * store (lib/indieauth/tokens.ts). Every error of §3.8 is answered with its status and writes no D1
 * row (D1's own meta) and calls no forge.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { issueAccessToken } from "../../lib/indieauth/tokens.ts";
import type { Db } from "../../lib/shared/d1.ts";
import { FOLLOWED, OWNER } from "../worker/support/people.ts";
import { FIXED_NOW, meteredEnv, testApp, testConfig, testEnv } from "../worker/support/worker.ts";
import { WRITE_FORGE_TOKEN } from "../worker/support/write-forge.ts";

const forgeUrl = () => `http://127.0.0.1:${inject("micropubForgePort")}`;
const control = (path: string) => `http://127.0.0.1:${inject("micropubControlPort")}${path}`;
const storeEnv = () => ({ FETCH_ALLOW_LOOPBACK: "true", CONTENT_STORE: `forgejo:${forgeUrl()}/ada/site@main`, CONTENT_STORE_TOKEN: WRITE_FORGE_TOKEN });

interface RepoState {
  log: { sha: string; author: string; subject: string; files: string[] }[];
  files: Record<string, string>;
}
const repo = async () => (await (await fetch(control("/control/repo"))).json()) as RepoState;
const forgeRequests = async () => ((await (await fetch(control("/control/requests"))).json()) as unknown[]).length;
const db = env.DB as unknown as Db;

const config = testConfig({ owner: { ...OWNER, feed_url: "http://127.0.0.1:0/own/feed.xml" } });
const app = testApp(config);
const APP = "https://app.example/";
const tokens = { create: "", queryOnly: "", otherSite: "", noScope: "" };

/** Their item in our timeline (fern, whom we follow): what in-reply-to and repost-of name. */
const THEIR_LINK = "https://fern.example/posts/7/";
const FERN_FEED = "http://127.0.0.1:1/fern/feed.xml";

beforeAll(async () => {
  config.owner.feed_url = control("/own/feed.xml");
  const issue = async (scope: string[], me: string = OWNER.profile_url) =>
    (await issueAccessToken(db, { client_id: APP, scope, me }, FIXED_NOW - 60_000)).token;
  tokens.create = await issue(["create", "profile"]);
  tokens.queryOnly = await issue(["profile"]);
  tokens.otherSite = await issue(["create"], "https://someone-else.example/");
  tokens.noScope = await issue([]);
  await env.DB.prepare(
    `INSERT INTO timeline_items (user_id, username, name, user_link, guid, published_ms, received_ms, html, link, mention)
     VALUES (?1, 'fern', 'Fern', ?2, '7', ?3, ?3, '<p>Ferns &amp; <b>moss</b> &lt;script&gt;</p>', ?4, 0)`,
  )
    .bind(FOLLOWED.user_id, FERN_FEED, Date.UTC(2026, 1, 27, 8, 0, 0), THEIR_LINK)
    .run();
  // A token's last-used time is written once an hour: this first use takes it out of the counts below.
  for (const token of Object.values(tokens)) await get("/api/micropub?q=config", token);
});

function form(body: string, token: string | null = "CREATE", extraHeaders: Record<string, string> = {}) {
  const headers: Record<string, string> = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "CF-Connecting-IP": "203.0.113.9",
    ...extraHeaders,
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  return { method: "POST", headers, body };
}
function json(body: unknown, token: string | null = "CREATE") {
  const headers: Record<string, string> = { "Content-Type": "application/json", "CF-Connecting-IP": "203.0.113.9" };
  if (token) headers.Authorization = `Bearer ${token}`;
  return { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) };
}
/** The tokens are issued in beforeAll: requests name them by their scope until sent. */
const TOKEN_NAMES: Record<string, () => string> = { CREATE: () => tokens.create, QUERY: () => tokens.queryOnly, OTHER: () => tokens.otherSite };

async function post(init: RequestInit, withRateLimits = false) {
  const headers = new Headers(init.headers);
  const named = /^Bearer (CREATE|QUERY|OTHER)$/.exec(headers.get("Authorization") ?? "")?.[1];
  if (named) headers.set("Authorization", `Bearer ${TOKEN_NAMES[named]!()}`);
  init = { ...init, headers };
  const metered = meteredEnv(storeEnv(), withRateLimits);
  const response = await app.request("/api/micropub", init, metered.env);
  return { response, rowsWritten: metered.usage.rowsWritten };
}
async function get(path: string, token: string | null) {
  return app.request(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} }, testEnv(storeEnv()));
}
/** The committed file behind a 202's Location. */
async function fileOf(response: Response): Promise<{ path: string; content: string; subject: string; postId: number }> {
  const location = response.headers.get("Location")!;
  const postId = Number(/\/posts\/(\d+)\/$/.exec(location)![1]);
  const state = await repo();
  const path = Object.keys(state.files).find((name) => state.files[name]!.includes(`\nid: ${postId}\n`))!;
  return { path, content: state.files[path]!, subject: state.log[0]!.subject, postId };
}

describe("create (§3.3): the spec's examples through the real write path", () => {
  it("example 27, form-encoded: 202, Location the post's permalink, one commit by the owner, 2 rows", async () => {
    const { response, rowsWritten } = await post(form("h=entry&content=Hello+World"));
    expect(response.status).toBe(202);
    expect(response.headers.get("Location")).toBe("https://ada.example/posts/10/");
    const file = await fileOf(response);
    expect(file.path).toBe("posts/2026-03-01-hello-world.md");
    expect(file.content).toBe("---\ndate: 2026-03-01T12:00:30Z\nid: 10\n---\nHello World\n");
    const state = await repo();
    expect(state.log[0]).toMatchObject({ author: "Ada Owner <ada@ada.example>", subject: "Post 10: Hello World", files: [file.path] });
    expect(rowsWritten).toBe(2);
  });

  it("example 26 and 1, form-encoded: category[] and mp-syndicate-to are ignored (§3.3.5), the text kept; mp-slug names the file", async () => {
    const body =
      "h=entry&content=My+favorite+of+the+%23quantifiedself+trackers%2C+finally+released+their+official+API" +
      "&category[]=quantifiedself&category[]=api&mp-syndicate-to=https://myfavoritesocialnetwork.example/aaronpk&mp-slug=Tracker+API!";
    const { response } = await post(form(body));
    expect(response.status).toBe(202);
    const file = await fileOf(response);
    expect(file.path).toBe("posts/2026-03-01-tracker-api.md");
    expect(file.content).toContain("\n---\nMy favorite of the #quantifiedself trackers, finally released their official API\n");
    expect(file.content).not.toMatch(/quantifiedself\napi|category|syndicate/);
  });

  it("example 4, JSON: content, category, a photo by URL (§3.3.1) as an image", async () => {
    const { response } = await post(
      json({
        type: ["h-entry"],
        properties: { content: ["hello world"], category: ["foo", "bar"], photo: [{ value: "https://photos.example.com/globe.gif", alt: "Spinning [globe]" }] },
      }),
    );
    expect(response.status).toBe(202);
    const { content } = await fileOf(response);
    expect(content).toContain("\n---\nhello world\n\n![Spinning \\[globe\\]](<https://photos.example.com/globe.gif>)\n");
  });

  it("example 30, JSON with HTML content: cut to what a post may hold, one raw HTML block, its text still text in the built feed", async () => {
    const html =
      'Now that I\'ve been <a href="https://aaronparecki.com/events">creating a list of events</a> on my site<script>alert(1)</script>' +
      '<p onclick="x()">*not em* &lt;b&gt;bold?&lt;/b&gt; <a href="javascript:alert(1)">js</a></p>\n\n<pre>line 1\n\nline 3</pre>';
    const { response } = await post(
      json({ type: ["h-entry"], properties: { name: ["Itching: h-event to iCal converter"], content: [{ html }], category: ["indieweb"] } }),
    );
    expect(response.status).toBe(202);
    const { content, postId } = await fileOf(response);
    expect(content).not.toMatch(/script|onclick|javascript/);
    expect(content).toContain(
      '<div>\n<h1>Itching: h-event to iCal converter</h1>\nNow that I\'ve been <a href="https://aaronparecki.com/events">creating a list of events</a>',
    );
    expect(content).toContain("<pre>line 1&#10;&#10;line 3</pre>\n</div>\n");
    // The deploy's build (the real one, lib/publish) reads the file: the block is passed through, its text stays text.
    const feed = await (await fetch(control("/own/feed.xml"))).text();
    expect(feed).toContain(`<guid isPermaLink="false">${postId}</guid>`);
    expect(feed).toContain("<p>*not em* &lt;b&gt;bold?&lt;/b&gt; <a>js</a></p>\n<pre>line 1&#10;&#10;line 3</pre>\n</div>");
    expect(feed).not.toMatch(/<em>not em|<b>bold|<script/);
  });

  it("example 29, a reply to a web page we do not follow: in_reply_to (a plain-URL reply)", async () => {
    const body = "h=entry&content=%40BarnabyWalters+My+favorite+for+that+use+case+is+Redis.&in-reply-to=https://waterpigs.example/notes/4S0LMw/";
    const { response } = await post(form(body));
    expect(response.status).toBe(202);
    const file = await fileOf(response);
    expect(file.content).toContain('\nin_reply_to: "https://waterpigs.example/notes/4S0LMw/"\n');
    expect(file.subject).toMatch(/^Reply \d+ to https:\/\/waterpigs\.example\/notes\/4S0LMw\//);
  });

  it("a reply to an item of our timeline (its page, either spelling) becomes reply_to, as the owner's Reply button writes it", async () => {
    const { response } = await post(json({ type: ["h-entry"], properties: { content: ["Agreed!"], "in-reply-to": ["https://fern.example/posts/7"] } }));
    expect(response.status).toBe(202);
    const { content, subject } = await fileOf(response);
    expect(content).toContain(
      `reply_to:\n  user_id: "${FOLLOWED.user_id}"\n  username: "fern"\n  user_link: "${FERN_FEED}"\n  status_id: "7"\n  link: "${THEIR_LINK}"\n`,
    );
    expect(subject).toMatch(/^Reply \d+ to @fern: Agreed!/);
    // The other name the command line takes for their item: <the feed it was read from>#<guid>.
    const byFeed = await post(form(`h=entry&content=Again&in-reply-to=${encodeURIComponent(`${FERN_FEED}#7`)}`));
    expect(byFeed.response.status).toBe(202);
    expect((await fileOf(byFeed.response)).content).toContain(`reply_to:\n  user_id: "${FOLLOWED.user_id}"\n`);
  });

  it("repost-of an item of our timeline: a repost quoting their words as text; of anything else: invalid_request", async () => {
    const { response } = await post(form(`h=entry&repost-of=${encodeURIComponent(THEIR_LINK)}`));
    expect(response.status).toBe(202);
    const { content } = await fileOf(response);
    expect(content).toContain('  text: "Ferns & moss <script>"\n');
    expect(content).toContain("repost:\n");
    const unknown = await post(form("h=entry&repost-of=https://nobody.example/1"));
    expect(unknown.response.status).toBe(400);
    expect(await unknown.response.json()).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("repost-of") });
  });

  it("the token as the form's access_token (§5.1) works as the header does", async () => {
    const { response } = await post(form(`h=entry&content=From+the+form&access_token=${tokens.create}`, null));
    expect(response.status).toBe(202);
  });
});

describe("errors (§3.8): each with its status, none writing a row or calling the forge", () => {
  const cases: [string, RequestInit, number, string][] = [
    ["no token", form("h=entry&content=hi", null), 401, "unauthorized"],
    ["an unknown token", form("h=entry&content=hi", "f".repeat(64)), 401, "unauthorized"],
    ["a token without create", form("h=entry&content=hi", "QUERY"), 401, "insufficient_scope"],
    ["a token of another site", form("h=entry&content=hi", "OTHER"), 403, "forbidden"],
    ["the token twice (header and body)", form("h=entry&content=hi&access_token=x"), 400, "invalid_request"],
    ["action=delete", form("action=delete&url=https://ada.example/posts/1/"), 400, "invalid_request"],
    ["a JSON update", json({ action: "update", url: "https://ada.example/posts/1/", replace: { content: ["x"] } }), 400, "invalid_request"],
    ["h=event", form("h=event&name=Party"), 400, "invalid_request"],
    ["nothing to post (a like)", form("h=entry&like-of=https://fern.example/posts/7/"), 400, "invalid_request"],
    ["JSON values not lists", json({ type: ["h-entry"], properties: { content: "hello" } }), 400, "invalid_request"],
    ["malformed JSON", json("{'type': ['h-entry']}"), 400, "invalid_request"],
    ["two in-reply-to", form("h=entry&content=x&in-reply-to[]=https://a.example/&in-reply-to[]=https://b.example/"), 400, "invalid_request"],
    ["in-reply-to not a URL", form("h=entry&content=x&in-reply-to=javascript:alert(1)"), 400, "invalid_request"],
    ["a text too long", form(`h=entry&content=${"x".repeat(10_001)}`), 400, "invalid_request"],
    ["text/plain", { ...form("hi"), headers: { "Content-Type": "text/plain", Authorization: "Bearer x" } }, 415, "invalid_request"],
    ["a body over 128 KiB", form(`h=entry&content=${"x".repeat(140_000)}`), 413, "invalid_request"],
  ];

  it.each(cases)("%s", async (_name, init, status, error) => {
    const before = [await forgeRequests(), (await repo()).log.length];
    const { response, rowsWritten } = await post(init);
    expect(response.status).toBe(status);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe(error);
    expect(body.error_description.length).toBeGreaterThan(10);
    if (status === 401) expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
    if (error === "insufficient_scope") expect(body).toMatchObject({ scope: "create" });
    expect(rowsWritten).toBe(0);
    expect([await forgeRequests(), (await repo()).log.length]).toEqual(before);
  });

  it("a file in a multipart body: invalid_request (no media endpoint), nothing written", async () => {
    const data = new FormData();
    data.set("h", "entry");
    data.set("content", "photo!");
    data.set("photo", new File([new Uint8Array([137, 80, 78, 71])], "a.png", { type: "image/png" }));
    const { response, rowsWritten } = await post({ method: "POST", headers: { Authorization: `Bearer ${tokens.create}` }, body: data });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description: string }).error_description).toContain("no media endpoint");
    expect(rowsWritten).toBe(0);
  });

  it("failed attempts from one network are limited by the Rate Limiting binding: 429, still no row", async () => {
    const statuses: number[] = [];
    let written = 0;
    for (let i = 0; i < 12; i++) {
      const { response, rowsWritten } = await post(form("h=entry&content=hi", "e".repeat(64), { "CF-Connecting-IP": "198.51.100.77" }), true);
      statuses.push(response.status);
      written += rowsWritten;
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(written).toBe(0);
  });

  it("a site whose writing is not set up: 503, nothing written", async () => {
    const request = form("h=entry&content=hi", tokens.create);
    const response = await app.request("/api/micropub", request, testEnv());
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "temporarily_unavailable" });
  });
});

describe("queries (§3.7)", () => {
  it("q=config: no media endpoint, no syndication targets, the post types and queries, and what is ignored", async () => {
    const response = await get("/api/micropub?q=config", tokens.queryOnly);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body["media-endpoint"]).toBeUndefined();
    expect(body).toMatchObject({ "syndicate-to": [], q: ["config", "source", "syndicate-to"] });
    expect(body["post-types"]).toEqual([
      { type: "note", name: "Note" },
      { type: "reply", name: "Reply" },
      { type: "repost", name: "Repost" },
    ]);
    expect(JSON.stringify(body)).toContain("category");
    expect(await (await get("/api/micropub?q=syndicate-to", tokens.queryOnly)).json()).toEqual({ "syndicate-to": [] });
  });

  it("q=source: a post written here, all properties or those asked; HTML content as {html}; another URL: example 25's invalid_request", async () => {
    const created = await post(json({ type: ["h-entry"], properties: { content: [{ html: "<b>Hello</b> <i>World</i>" }] } }));
    const url = created.response.headers.get("Location")!;
    const all = (await (await get(`/api/micropub?q=source&url=${encodeURIComponent(url)}`, tokens.queryOnly)).json()) as {
      type: string[];
      properties: Record<string, unknown[]>;
    };
    expect(all.type).toEqual(["h-entry"]);
    expect(all.properties.content).toEqual([{ html: "<b>Hello</b> <i>World</i>" }]);
    expect(all.properties.url).toEqual([url]);
    const some = await get(`/api/micropub?q=source&properties[]=content&url=${encodeURIComponent("https://ada.example/posts/10/")}`, tokens.queryOnly);
    expect(await some.json()).toEqual({ properties: { content: ["Hello World"] } });
    const missing = await get("/api/micropub?q=source&url=https://ada.example/posts/404/", tokens.queryOnly);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: "invalid_request" });
  });

  it("refusals: no q, an unknown q, no token, a token without any scope (§5.4)", async () => {
    expect((await get("/api/micropub", tokens.queryOnly)).status).toBe(400);
    expect((await get("/api/micropub?q=everything", tokens.queryOnly)).status).toBe(400);
    expect((await get("/api/micropub?q=config", null)).status).toBe(401);
    const noScope = await get("/api/micropub?q=config", tokens.noScope);
    expect(noScope.status).toBe(401);
    expect(await noScope.json()).toMatchObject({ error: "insufficient_scope" });
  });
});
