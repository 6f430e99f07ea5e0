/**
 * Skein as its own hub, the subscription side (lib/websub/hub-routes.ts) inside workerd with the real
 * Worker app, D1 and Rate Limiting bindings: a loopback subscriber is asked to confirm its intent
 * (hub.challenge) before anything is stored; leases are granted within bounds; unsubscribing deletes;
 * every bad request is a 4xx that makes no D1 call at all; refusals of the rate limit write nothing.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_SUBSCRIPTIONS } from "../../lib/websub/hub-routes.ts";
import { DEFAULT_LEASE_SECONDS, MAX_LEASE_SECONDS, MIN_LEASE_SECONDS } from "../../lib/websub/protocol.ts";
import { FIXED_NOW, meteredEnv, problemOf, send, testApp } from "../worker/support/worker.ts";
import { CALLBACK_PREFIX, OWN_HUB, received, rows, script, server, unique, websubSiteConfig } from "./support.ts";

const FEED = "https://ada.example/feed.xml";
const ATOM = "https://ada.example/atom.xml";
const FORM = "application/x-www-form-urlencoded";
const config = websubSiteConfig({
  hubs: [OWN_HUB],
  self_hub: OWN_HUB,
  topics: [
    { url: FEED, content_type: "application/rss+xml", sha256: "a".repeat(64) },
    { url: ATOM, content_type: "application/atom+xml", sha256: "b".repeat(64) },
  ],
});
const app = testApp(config);

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

interface Stored {
  topic: string;
  callback: string;
  secret: string | null;
  lease_seconds: number;
  expires_ms: number;
}

async function subscriptions(callback: string): Promise<Stored[]> {
  return rows<Stored>("SELECT topic, callback, secret, lease_seconds, expires_ms FROM websub_subscriptions WHERE callback = ?1 ORDER BY topic", callback);
}

async function subscribe(fields: Record<string, string>, ip?: string) {
  const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
  const sent = await send(app, "/api/websub/hub", form(fields), { contentType: FORM, env: metered, ...(ip ? { ip } : {}) });
  await sent.settled();
  return { response: sent.response, usage };
}

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM websub_subscriptions"), env.DB.prepare("DELETE FROM websub_hub_counts")]);
});

describe("subscribing to our own hub", () => {
  it("202, then the callback confirms the challenge, then the subscription is stored with its lease and secret", async () => {
    const name = unique("sub");
    const callback = `${server}/sub/${name}?user=7&x=a%20b`;
    const { response, usage } = await subscribe({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": callback, "hub.secret": "shh-123" });
    expect(response.status).toBe(202);
    const [verification] = await received(name);
    expect(verification!.method).toBe("GET");
    // The callback's own query is kept; ours is added (§5.3).
    expect(verification!.query).toMatchObject({
      user: "7",
      x: "a b",
      "hub.mode": "subscribe",
      "hub.topic": FEED,
      "hub.lease_seconds": String(DEFAULT_LEASE_SECONDS),
    });
    expect(verification!.query["hub.challenge"]).toMatch(/^[0-9a-f]{32}$/);
    expect(await subscriptions(callback)).toEqual([
      { topic: FEED, callback, secret: "shh-123", lease_seconds: DEFAULT_LEASE_SECONDS, expires_ms: FIXED_NOW + DEFAULT_LEASE_SECONDS * 1000 },
    ]);
    // Two D1 calls: the hub's bounds read (hub-limits.ts), then the insert: its row (a WITHOUT ROWID
    // table, nothing in the due index yet) and five counts (all, its network, its host, the day's two).
    expect(usage).toMatchObject({ calls: 2, rowsWritten: 6 });

    // A renewal (same topic and callback) updates the lease and secret, and adds no row.
    await subscribe({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": callback, "hub.lease_seconds": "7200", "hub.secret": "new" });
    expect(await subscriptions(callback)).toMatchObject([{ secret: "new", lease_seconds: 7200, expires_ms: FIXED_NOW + 7_200_000 }]);
  });

  it("leases are brought within bounds; no secret means unsigned deliveries", async () => {
    const short = `${server}/sub/${unique("sub")}`;
    const long = `${server}/sub/${unique("sub")}`;
    await subscribe({ "hub.mode": "subscribe", "hub.topic": ATOM, "hub.callback": short, "hub.lease_seconds": "10" });
    await subscribe({ "hub.mode": "subscribe", "hub.topic": ATOM, "hub.callback": long, "hub.lease_seconds": "99999999" });
    expect((await subscriptions(short))[0]).toMatchObject({ lease_seconds: MIN_LEASE_SECONDS, secret: null });
    expect((await subscriptions(long))[0]).toMatchObject({ lease_seconds: MAX_LEASE_SECONDS });
  });

  it("a callback that does not echo the challenge, answers 404, or cannot be reached is not subscribed", async () => {
    for (const answer of ["wrong", "404", "500"]) {
      const name = unique("sub");
      await script(name, [answer]);
      const callback = `${server}/sub/${name}`;
      const { response, usage } = await subscribe({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": callback });
      expect(response.status).toBe(202);
      expect(await received(name)).toHaveLength(1);
      expect(await subscriptions(callback)).toEqual([]);
      // The bounds read, nothing written.
      expect(usage).toMatchObject({ calls: 1, rowsWritten: 0 });
    }
    const { usage } = await subscribe({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": "http://127.0.0.1:9/nobody" });
    expect(usage).toMatchObject({ calls: 1, rowsWritten: 0 });
    expect(await subscriptions("http://127.0.0.1:9/nobody")).toEqual([]);
  });

  it("unsubscribing is verified too, then deletes; an unconfirmed unsubscribe deletes nothing", async () => {
    const name = unique("sub");
    const callback = `${server}/sub/${name}`;
    await subscribe({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": callback });
    await subscribe({ "hub.mode": "subscribe", "hub.topic": ATOM, "hub.callback": callback });
    expect(await subscriptions(callback)).toHaveLength(2);

    await script(name, ["404"]);
    expect((await subscribe({ "hub.mode": "unsubscribe", "hub.topic": FEED, "hub.callback": callback })).response.status).toBe(202);
    expect(await subscriptions(callback)).toHaveLength(2);

    const { response } = await subscribe({ "hub.mode": "unsubscribe", "hub.topic": FEED, "hub.callback": callback });
    expect(response.status).toBe(202);
    const log = await received(name);
    expect(log.at(-1)!.query["hub.mode"]).toBe("unsubscribe");
    expect(log.at(-1)!.query["hub.lease_seconds"]).toBeUndefined();
    expect((await subscriptions(callback)).map((s) => s.topic)).toEqual([ATOM]);
  });

  it(`the hub keeps at most ${MAX_SUBSCRIPTIONS} subscriptions: the next is refused with 503 and its reason, not 202; renewals still pass`, async () => {
    // Filler subscriptions stored yesterday, each from its own network to its own host.
    await env.DB.prepare(
      `INSERT INTO websub_subscriptions (topic, callback, lease_seconds, expires_ms, created_ms, network, callback_host)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       SELECT ?2, 'https://filler' || i || '.example/', 3600, ?3, ?4, 'ip:filler-' || i, 'filler' || i || '.example' FROM n`,
    )
      .bind(MAX_SUBSCRIPTIONS - 1, FEED, FIXED_NOW + 3_600_000, FIXED_NOW - 2 * 86_400_000)
      .run();
    const last = `${server}/sub/${unique("sub")}`;
    const overName = unique("sub");
    const over = `${server}/sub/${overName}`;
    expect((await subscribe({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": last })).response.status).toBe(202);
    const { response, usage } = await subscribe({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": over });
    expect(response.status).toBe(503);
    expect((await problemOf(response)).detail).toBe(`this hub holds ${MAX_SUBSCRIPTIONS} subscriptions, the most it serves; try again once leases have ended`);
    expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
    // Refused before anything was fetched or written.
    expect(await received(overName)).toEqual([]);
    expect(usage).toMatchObject({ calls: 1, rowsWritten: 0 });
    expect(await subscriptions(last)).toHaveLength(1);
    expect(await subscriptions(over)).toEqual([]);
    expect((await subscribe({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": last, "hub.lease_seconds": "7200" })).response.status).toBe(202);
    expect((await subscriptions(last))[0]!.lease_seconds).toBe(7200);
  });
});

describe("bad requests: 4xx, nothing stored, no D1 call", () => {
  const callback = `${server}/sub/bad-requests`;
  const good = { "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": callback };
  const cases: [string, string, { contentType?: string | null; body?: string }, number, RegExp][] = [
    ["JSON instead of a form", "", { contentType: "application/json", body: JSON.stringify(good) }, 415, /x-www-form-urlencoded/],
    ["no Content-Type", "", { contentType: null, body: form(good) }, 415, /x-www-form-urlencoded/],
    ["a body over 8 KiB", "", { body: `${form(good)}&pad=${"x".repeat(9000)}` }, 413, /larger than 8192/],
    ["no hub.mode", form({ "hub.topic": FEED, "hub.callback": callback }), {}, 400, /hub\.mode/],
    ["hub.mode=publish", form({ ...good, "hub.mode": "publish" }), {}, 400, /hub\.mode: must be subscribe or unsubscribe \(this hub learns of new posts/],
    ["a topic of another site", form({ ...good, "hub.topic": "https://elsewhere.example/feed.xml" }), {}, 400, /not a feed of this site/],
    ["an archive page as topic", form({ ...good, "hub.topic": "https://ada.example/feed/1.xml" }), {}, 400, /not a feed of this site/],
    ["no callback", form({ "hub.mode": "subscribe", "hub.topic": FEED }), {}, 400, /hub\.callback/],
    ["a callback that is no URL", form({ ...good, "hub.callback": "callback please" }), {}, 400, /hub\.callback/],
    ["an ftp callback", form({ ...good, "hub.callback": "ftp://example.org/x" }), {}, 400, /hub\.callback/],
    ["a callback on a private network", form({ ...good, "hub.callback": "http://10.0.0.7/cb" }), {}, 400, /hub\.callback/],
    ["a callback with credentials", form({ ...good, "hub.callback": "https://user:pw@example.org/cb" }), {}, 400, /hub\.callback/],
    ["a lease that is no integer", form({ ...good, "hub.lease_seconds": "ten" }), {}, 400, /hub\.lease_seconds/],
    ["a secret of 200 bytes", form({ ...good, "hub.secret": "é".repeat(100) }), {}, 400, /less than 200 bytes/],
  ];
  for (const [label, body, options, status, detail] of cases) {
    it(`${label}: ${status}`, async () => {
      const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
      const sent = await send(app, "/api/websub/hub", options.body ?? body, {
        contentType: options.contentType === undefined ? FORM : options.contentType,
        env: metered,
      });
      await sent.settled();
      expect(sent.response.status).toBe(status);
      expect((await problemOf(sent.response)).detail).toMatch(detail);
      expect(usage.calls).toBe(0);
    });
  }

  it("a callback on loopback is refused unless loopback fetches are allowed (npm start)", async () => {
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "false" });
    const sent = await send(app, "/api/websub/hub", form(good), { contentType: FORM, env: metered });
    expect(sent.response.status).toBe(400);
    expect(usage.calls).toBe(0);
    expect(await received("bad-requests")).toEqual([]);
  });

  it("other methods: 405; a site whose profile does not list `self` has no hub at all: 404", async () => {
    const get = await app.request("/api/websub/hub", {}, meteredEnv().env);
    expect(get.status).toBe(405);
    const noHub = testApp(websubSiteConfig({ hubs: ["https://hub.example/"], topics: config.websub!.topics }));
    const sent = await send(noHub, "/api/websub/hub", form(good), { contentType: FORM });
    expect(sent.response.status).toBe(404);
    expect(await rows("SELECT * FROM websub_subscriptions")).toEqual([]);
  });

  it("the Rate Limiting binding refuses a flood from one network with 429 and no D1 call", async () => {
    const { env: limited, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" }, true);
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      const sent = await send(app, "/api/websub/hub", form({ ...good, "hub.topic": "https://elsewhere.example/x" }), {
        contentType: FORM,
        env: limited,
        ip: "198.51.100.23",
      });
      statuses.push(sent.response.status);
      if (sent.response.status === 429) expect(sent.response.headers.get("Retry-After")).toBe("60");
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(statuses.slice(10)).toEqual(Array(4).fill(429));
    expect(usage.calls).toBe(0);
    // Another network is not affected.
    const other = await send(app, "/api/websub/hub", form({ ...good, "hub.topic": "https://elsewhere.example/x" }), {
      contentType: FORM,
      env: limited,
      ip: "198.51.100.99",
    });
    expect(other.response.status).toBe(400);
  });
});

describe("callback prefix in the config", () => {
  it("the build's prefix ends where a token is appended", () => {
    expect(CALLBACK_PREFIX.endsWith("/api/websub/callback/")).toBe(true);
  });
});
