/**
 * The bounds of our own hub (lib/websub/hub-limits.ts, migrations/0010) inside workerd with the real
 * Worker app and D1: what one client network and one callback host may hold, what one network and the
 * hub may store a UTC day. Each refusal is a 429 or 503 with its reason (WebSub §5.1.2), made before
 * the callback is asked anything, and writes no D1 row; a subscription that loses a race for the last
 * place is denied to its callback (§5.2).
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { Budget } from "../../lib/shared/budget.ts";
import { secondsToNextUtcDay } from "../../lib/shared/dates.ts";
import { createDeliverJob } from "../../lib/websub/deliver-job.ts";
import { DEFAULT_HUB_LIMITS, utcDay } from "../../lib/websub/hub-limits.ts";
import { VERIFY_LIMITS, verifyIntent } from "../../lib/websub/hub-routes.ts";
import { clientNetworkKey } from "../../lib/worker-kit/rate-limit.ts";
import { FIXED_NOW, loopbackOnlyFetch, meteredEnv, problemOf, send, testApp } from "../worker/support/worker.ts";
import { OWN_HUB, received, rows, runJob, server, unique, websubSiteConfig } from "./support.ts";

const FEED = "https://ada.example/feed.xml";
const FORM = "application/x-www-form-urlencoded";
const app = testApp(
  websubSiteConfig({ hubs: [OWN_HUB], self_hub: OWN_HUB, topics: [{ url: FEED, content_type: "application/rss+xml", sha256: "a".repeat(64) }] }),
);
const DAY_MS = 86_400_000;
const TODAY = utcDay(FIXED_NOW);

let networks = 0;
const ipOf = () => `198.51.100.${++networks}`;

async function subscribe(callback: string, ip: string, extra: Record<string, string> = {}) {
  const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
  const body = new URLSearchParams({ "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": callback, ...extra }).toString();
  const sent = await send(app, "/api/websub/hub", body, { contentType: FORM, env: metered, ip });
  await sent.settled();
  return { response: sent.response, usage };
}

/** `count` subscriptions stored yesterday, as the hub would have stored them. */
async function fill(count: number, network: (i: number) => string, host: (i: number) => string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await env.DB.prepare(
      "INSERT INTO websub_subscriptions (topic, callback, lease_seconds, expires_ms, created_ms, network, callback_host) VALUES (?1, ?2, 3600, ?3, ?4, ?5, ?6)",
    )
      .bind(FEED, `https://${host(i)}/cb/${i}`, FIXED_NOW + 3_600_000, FIXED_NOW - DAY_MS, network(i), host(i))
      .run();
  }
}

const held = async (callback: string) => (await rows("SELECT callback FROM websub_subscriptions WHERE callback = ?1", callback)).length;
const count = async (key: string) => (await rows<{ n: number }>("SELECT n FROM websub_hub_counts WHERE key = ?1", key))[0]?.n ?? 0;

/** A refusal: its status and reason, no question to the callback, no row written. */
async function expectRefused(name: string, answer: Awaited<ReturnType<typeof subscribe>>, status: number, detail: RegExp) {
  expect(answer.response.status).toBe(status);
  expect((await problemOf(answer.response)).detail).toMatch(detail);
  expect(await received(name)).toEqual([]);
  expect(answer.usage).toMatchObject({ calls: 1, rowsWritten: 0 });
}

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM websub_subscriptions"), env.DB.prepare("DELETE FROM websub_hub_counts")]);
});

describe("what one network and one callback host may hold", () => {
  it(`one client network holds at most ${DEFAULT_HUB_LIMITS.perNetwork}; its renewals still pass; other networks are not affected`, async () => {
    const ip = ipOf();
    await fill(
      DEFAULT_HUB_LIMITS.perNetwork - 1,
      () => clientNetworkKey(ip),
      (i) => `elsewhere${i}.example`,
    );
    const lastPlace = `${server}/sub/${unique("sub")}`;
    expect((await subscribe(lastPlace, ip)).response.status).toBe(202);
    expect(await held(lastPlace)).toBe(1);

    const name = unique("sub");
    await expectRefused(
      name,
      await subscribe(`${server}/sub/${name}`, ip),
      429,
      new RegExp(`your network holds ${DEFAULT_HUB_LIMITS.perNetwork} subscriptions`),
    );
    // IPv6 neighbours in the same /64 are the same network: not a way around it (the binding's key).
    expect(clientNetworkKey("2001:db8:0:1::1")).toBe(clientNetworkKey("2001:db8:0:1::2"));

    const renewal = await subscribe(lastPlace, ip, { "hub.lease_seconds": "7200" });
    expect(renewal.response.status).toBe(202);
    expect((await rows<{ lease_seconds: number }>("SELECT lease_seconds FROM websub_subscriptions WHERE callback = ?1", lastPlace))[0]!.lease_seconds).toBe(
      7200,
    );
    // A renewal writes its row and the day's two counts.
    expect(renewal.usage.rowsWritten).toBe(3);

    const other = `${server}/sub/${unique("sub")}`;
    expect((await subscribe(other, ipOf())).response.status).toBe(202);
    expect(await held(other)).toBe(1);
  });

  it(`callbacks on one host hold at most ${DEFAULT_HUB_LIMITS.perCallbackHost}, whatever networks ask`, async () => {
    await fill(
      DEFAULT_HUB_LIMITS.perCallbackHost - 1,
      (i) => `ip:filler-${i}`,
      () => "127.0.0.1",
    );
    const lastPlace = `${server}/sub/${unique("sub")}`;
    expect((await subscribe(lastPlace, ipOf())).response.status).toBe(202);
    const name = unique("sub");
    await expectRefused(
      name,
      await subscribe(`${server}/sub/${name}`, ipOf()),
      429,
      new RegExp(`callbacks on this host hold ${DEFAULT_HUB_LIMITS.perCallbackHost} subscriptions`),
    );
  });

  it("the counts follow every way a subscription ends: unsubscribed, and removed by the lease sweep", async () => {
    const ip = ipOf();
    const callback = `${server}/sub/${unique("sub")}`;
    await subscribe(callback, ip);
    expect([await count("all"), await count(`network:${clientNetworkKey(ip)}`), await count("host:127.0.0.1")]).toEqual([1, 1, 1]);
    const { env: metered } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
    const body = new URLSearchParams({ "hub.mode": "unsubscribe", "hub.topic": FEED, "hub.callback": callback }).toString();
    await (await send(app, "/api/websub/hub", body, { contentType: FORM, env: metered, ip })).settled();
    expect(await held(callback)).toBe(0);
    expect([await count("all"), await count(`network:${clientNetworkKey(ip)}`), await count("host:127.0.0.1")]).toEqual([0, 0, 0]);
    // The day's count stays: unsubscribing and subscribing again is not a way around the day's bound.
    expect(await count(`day:${TODAY}:network:${clientNetworkKey(ip)}`)).toBe(1);
  });
});

describe("what may be stored in a UTC day", () => {
  it(`one network: ${DEFAULT_HUB_LIMITS.storedPerNetworkPerDay} subscriptions stored or renewed, then 429 until 00:00 UTC`, async () => {
    const ip = ipOf();
    const callback = `${server}/sub/${unique("sub")}`;
    expect((await subscribe(callback, ip)).response.status).toBe(202);
    await env.DB.prepare("UPDATE websub_hub_counts SET n = ?2 WHERE key = ?1")
      .bind(`day:${TODAY}:network:${clientNetworkKey(ip)}`, DEFAULT_HUB_LIMITS.storedPerNetworkPerDay)
      .run();
    const name = unique("sub");
    const refused = await subscribe(`${server}/sub/${name}`, ip);
    await expectRefused(name, refused, 429, /your network has had 50 subscriptions stored or renewed here today/);
    expect(refused.response.headers.get("Retry-After")).toBe(String(secondsToNextUtcDay(FIXED_NOW)));
    // Renewals count too: the same subscription again and again is no way around it.
    const renewal = await subscribe(callback, ip, { "hub.lease_seconds": "7200" });
    expect(renewal.response.status).toBe(429);
    expect(renewal.usage.rowsWritten).toBe(0);
  });

  it(`the whole hub: ${DEFAULT_HUB_LIMITS.storedPerDay} a day, then 503 until 00:00 UTC`, async () => {
    await env.DB.prepare("INSERT INTO websub_hub_counts (key, n) VALUES (?1, ?2)").bind(`day:${TODAY}:all`, DEFAULT_HUB_LIMITS.storedPerDay).run();
    const name = unique("sub");
    const refused = await subscribe(`${server}/sub/${name}`, ipOf());
    await expectRefused(name, refused, 503, /this hub has stored or renewed 500 subscriptions today/);
    expect(refused.response.headers.get("Retry-After")).toBe(String(secondsToNextUtcDay(FIXED_NOW)));
  });

  it("the hourly sweep forgets past days' counts", async () => {
    await env.DB.prepare("INSERT INTO websub_hub_counts (key, n) VALUES (?1, 7), (?2, 9)")
      .bind(`day:${utcDay(FIXED_NOW - DAY_MS)}:all`, `day:${TODAY}:all`)
      .run();
    const config = websubSiteConfig({
      hubs: [OWN_HUB],
      self_hub: OWN_HUB,
      topics: [{ url: FEED, content_type: "application/rss+xml", sha256: "a".repeat(64) }],
    });
    await runJob(createDeliverJob(), { config, now: Date.UTC(2026, 2, 1, 13, 0, 0) });
    expect((await rows<{ key: string }>("SELECT key FROM websub_hub_counts WHERE key LIKE 'day:%'")).map((r) => r.key)).toEqual([`day:${TODAY}:all`]);
  });
});

describe("a race for the last place", () => {
  it("the subscription verified after the hub filled up is not stored, and its callback is told so (§5.2 hub.mode=denied)", async () => {
    // The hub filled up while this one was being verified (the counts are what the hub goes by).
    await env.DB.prepare("INSERT INTO websub_hub_counts (key, n) VALUES ('all', ?1)").bind(DEFAULT_HUB_LIMITS.subscriptions).run();
    const name = unique("sub");
    const callback = `${server}/sub/${name}`;
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
    const verification = await verifyIntent(
      metered.DB,
      { "hub.mode": "subscribe", "hub.topic": FEED, "hub.callback": callback },
      { fetch: loopbackOnlyFetch, allowLoopback: true, now: () => FIXED_NOW, budget: new Budget(VERIFY_LIMITS, () => FIXED_NOW), network: "ip:203.0.113.9" },
    );
    expect(verification).toMatchObject({ outcome: "denied" });
    expect(await held(callback)).toBe(0);
    expect(usage.rowsWritten).toBe(0);
    const [verify, denied] = await received(name);
    expect(verify!.query["hub.mode"]).toBe("subscribe");
    expect(denied!.query).toMatchObject({ "hub.mode": "denied", "hub.topic": FEED });
    expect(denied!.query["hub.reason"]).toMatch(/limits were reached/);
  });
});
