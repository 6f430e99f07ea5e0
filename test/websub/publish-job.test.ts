/**
 * The WebSub publisher (lib/websub/publish-job.ts) inside workerd with a real local D1: a loopback
 * hub receives `hub.mode=publish&hub.url=<topic>` once per deploy and topic, only once the new page
 * is live (its served bytes hash to what the build wrote), with retries and backoff on 5xx, none on
 * 4xx, and our own hub gets its deliveries queued instead of a ping. Rows written are D1's own count.
 */

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createPublishJob } from "../../lib/websub/publish-job.ts";
import {
  FIXED_NOW,
  formOf,
  MINUTE,
  meteredJob,
  OWN_HUB,
  received,
  rows,
  runJob,
  script,
  servedTopic,
  server,
  setFeed,
  storeSubscription,
  unique,
  websubSiteConfig,
} from "./support.ts";

async function site(posts: number) {
  const name = unique("pub");
  const feed = await setFeed(name, { posts });
  const atom = feed.replace(/feed\.xml$/, "atom.xml");
  return { name, feed, atom, topics: async () => [await servedTopic(feed), await servedTopic(atom, "application/atom+xml")] };
}

// One site per test: the pings of earlier tests would be "hubs no longer listed" (and be deleted, costing rows).
beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM websub_pings"), env.DB.prepare("DELETE FROM websub_subscriptions")]);
});

describe("pinging the profile's hubs after a deploy", () => {
  it("without hubs the job does nothing, not even a D1 call", async () => {
    const { report, usage } = await meteredJob(createPublishJob(), { config: websubSiteConfig({ hubs: [] }), now: FIXED_NOW });
    expect(report.summary).toBe("no hubs in the profile");
    expect(usage.calls).toBe(0);
  });

  it("each hub gets one publish ping per topic; the next runs ping nobody until a deploy changes a page", async () => {
    const s = await site(3);
    const hub = unique("hub");
    const hubUrl = `${server}/hub/${hub}`;
    const config = websubSiteConfig({ hubs: [hubUrl], topics: await s.topics() });
    const first = await meteredJob(createPublishJob(), { config, now: FIXED_NOW });
    expect(first.report.summary).toBe("2 pings sent");
    const pings = await received(hub);
    const byUrl = (a: Record<string, string>, b: Record<string, string>) => (a["hub.url"]! < b["hub.url"]! ? -1 : 1);
    expect(pings.map(formOf).sort(byUrl)).toEqual(
      [
        { "hub.mode": "publish", "hub.url": s.feed },
        { "hub.mode": "publish", "hub.url": s.atom },
      ].sort(byUrl),
    );
    for (const ping of pings) expect(ping.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    // Reading both pages (2 subrequests each here: the static assets have no such file, then the
    // network), 2 pings; 2 D1 calls (read, one batch): 1 row per (hub, topic).
    expect(first.report.fetches).toBe(6);
    expect(first.usage.calls).toBe(2);
    expect(first.usage.rowsWritten).toBe(2);

    const second = await meteredJob(createPublishJob(), { config, now: FIXED_NOW + MINUTE });
    expect(second.report.summary).toMatch(/^nothing new to ping/);
    expect(second.usage).toMatchObject({ calls: 1, rowsWritten: 0 });
    expect(second.report.fetches).toBe(0);
    expect(await received(hub)).toHaveLength(2);

    // A deploy: one more post, so both head pages change.
    await setFeed(s.name, { posts: 4 });
    const deployed = websubSiteConfig({ hubs: [hubUrl], topics: await s.topics() });
    expect((await runJob(createPublishJob(), { config: deployed, now: FIXED_NOW + 2 * MINUTE })).summary).toBe("2 pings sent");
    expect(await received(hub)).toHaveLength(4);
    expect((await runJob(createPublishJob(), { config: deployed, now: FIXED_NOW + 3 * MINUTE })).summary).toMatch(/^nothing new/);
    const stored = await rows<{ state: string; attempts: number; http_status: number }>(
      "SELECT state, attempts, http_status FROM websub_pings WHERE hub = ?1",
      hubUrl,
    );
    expect(stored).toEqual([
      { state: "sent", attempts: 1, http_status: 202 },
      { state: "sent", attempts: 1, http_status: 202 },
    ]);
  });

  it("waits until the new page is live (its served bytes hash to the build's), then pings; gives up after the wait", async () => {
    const s = await site(5);
    const built = await s.topics();
    await setFeed(s.name, { posts: 4 }); // the host still serves the previous deploy
    const hub = unique("hub");
    const config = websubSiteConfig({ hubs: [`${server}/hub/${hub}`], topics: built });
    const waiting = await meteredJob(createPublishJob(), { config, now: FIXED_NOW });
    expect(waiting.report.summary).toBe("2 waiting for the deploy to go live");
    expect(waiting.usage.rowsWritten).toBe(2);
    const again = await meteredJob(createPublishJob(), { config, now: FIXED_NOW + MINUTE });
    expect(again.report.summary).toBe("2 waiting for the deploy to go live");
    expect(again.usage.rowsWritten).toBe(0);
    expect(await received(hub)).toEqual([]);

    await setFeed(s.name, { posts: 5 }); // live now
    expect((await runJob(createPublishJob(), { config, now: FIXED_NOW + 2 * MINUTE })).summary).toBe("2 pings sent");
    expect(await received(hub)).toHaveLength(2);

    // A page that never goes live: given up after the wait, and never pinged.
    const t = await site(2);
    const neverBuilt = (await t.topics()).map((topic) => ({ ...topic, sha256: "0".repeat(64) }));
    const other = unique("hub");
    const stuck = websubSiteConfig({ hubs: [`${server}/hub/${other}`], topics: neverBuilt });
    await runJob(createPublishJob({ liveWaitMs: 10 * MINUTE }), { config: stuck, now: FIXED_NOW });
    const late = await runJob(createPublishJob({ liveWaitMs: 10 * MINUTE }), { config: stuck, now: FIXED_NOW + 11 * MINUTE });
    expect(late.summary).toBe("2 failed");
    expect(late.failures[0]!.reason).toMatch(/not live yet.*gave up waiting/);
    expect((await runJob(createPublishJob({ liveWaitMs: 10 * MINUTE }), { config: stuck, now: FIXED_NOW + 12 * MINUTE })).summary).toMatch(/^nothing new/);
    expect(await received(other)).toEqual([]);
  });

  it("a hub answering 5xx is retried with backoff; a 4xx is final; a private address is never fetched", async () => {
    const s = await site(2);
    const [feedTopic] = await s.topics();
    const flaky = unique("hub");
    const refusing = unique("hub");
    await script(flaky, [503, 500, 202]);
    await script(refusing, [400]);
    const config = websubSiteConfig({ hubs: [`${server}/hub/${flaky}`, `${server}/hub/${refusing}`, "https://10.1.2.3/hub"], topics: [feedTopic!] });
    const first = await runJob(createPublishJob(), { config, now: FIXED_NOW });
    expect(first.summary).toBe("1 to retry, 2 failed");
    expect(first.failures.map((f) => f.reason).join("\n")).toMatch(/HTTP 503 \(retried in 1 min\)/);
    expect(first.failures.map((f) => f.reason).join("\n")).toMatch(/HTTP 400; not retried/);
    expect(first.failures.map((f) => f.reason).join("\n")).toMatch(/10\.1\.2\.3/);
    // Not due yet 30 s later; due after 1 minute (503 again: 2 minutes next); then sent.
    expect((await runJob(createPublishJob(), { config, now: FIXED_NOW + 30_000 })).summary).toMatch(/^nothing new/);
    expect((await runJob(createPublishJob(), { config, now: FIXED_NOW + MINUTE })).summary).toBe("1 to retry");
    expect((await runJob(createPublishJob(), { config, now: FIXED_NOW + 2 * MINUTE })).summary).toMatch(/^nothing new/);
    expect((await runJob(createPublishJob(), { config, now: FIXED_NOW + 3 * MINUTE })).summary).toBe("1 ping sent");
    expect(await received(flaky)).toHaveLength(3);
    expect(await received(refusing)).toHaveLength(1);
    const states = await rows<{ hub: string; state: string; attempts: number }>(
      "SELECT hub, state, attempts FROM websub_pings WHERE topic = ?1 ORDER BY hub",
      feedTopic!.url,
    );
    expect(states).toEqual([
      { hub: `${server}/hub/${flaky}`, state: "sent", attempts: 3 },
      { hub: `${server}/hub/${refusing}`, state: "failed", attempts: 1 },
      { hub: "https://10.1.2.3/hub", state: "failed", attempts: 1 },
    ]);
  });

  it("retries stop after maxAttempts", async () => {
    const s = await site(2);
    const [feedTopic] = await s.topics();
    const down = unique("hub");
    await script(down, [500, 500, 500]);
    const config = websubSiteConfig({ hubs: [`${server}/hub/${down}`], topics: [feedTopic!] });
    const job = () => createPublishJob({ maxAttempts: 3 });
    await runJob(job(), { config, now: FIXED_NOW });
    await runJob(job(), { config, now: FIXED_NOW + MINUTE });
    const last = await runJob(job(), { config, now: FIXED_NOW + 3 * MINUTE });
    expect(last.summary).toBe("1 failed");
    expect(last.failures[0]!.reason).toMatch(/gave up after 3 attempts/);
    expect((await runJob(job(), { config, now: FIXED_NOW + 60 * MINUTE })).summary).toMatch(/^nothing new/);
    expect(await received(down)).toHaveLength(3);
  });

  it("our own hub (`self`): no ping over HTTP, the topic's subscribers get a delivery queued", async () => {
    const s = await site(3);
    const topics = await s.topics();
    const callback = `${server}/sub/${unique("sub")}`;
    await storeSubscription(env.DB, { topic: s.feed, callback, secret: "s3cret", lease_seconds: 86_400, now: FIXED_NOW - MINUTE });
    const config = websubSiteConfig({ hubs: [OWN_HUB], self_hub: OWN_HUB, topics });
    const { report, usage } = await meteredJob(createPublishJob(), { config, now: FIXED_NOW });
    expect(report.summary).toBe("2 topics queued for our own hub's subscribers");
    // The two pages read (assets, then network), nothing else fetched (OWN_HUB is not on loopback: a fetch would have failed).
    expect(report.fetches).toBe(4);
    expect(usage.calls).toBe(2);
    const queued = await rows<{ pending_sha256: string; next_attempt_ms: number }>(
      "SELECT pending_sha256, next_attempt_ms FROM websub_subscriptions WHERE callback = ?1",
      callback,
    );
    expect(queued).toEqual([{ pending_sha256: topics[0]!.sha256, next_attempt_ms: FIXED_NOW }]);
  });

  it("a hub taken out of the profile is forgotten", async () => {
    const s = await site(2);
    const [feedTopic] = await s.topics();
    const a = `${server}/hub/${unique("hub")}`;
    const b = `${server}/hub/${unique("hub")}`;
    await runJob(createPublishJob(), { config: websubSiteConfig({ hubs: [a, b], topics: [feedTopic!] }), now: FIXED_NOW });
    await runJob(createPublishJob(), { config: websubSiteConfig({ hubs: [b], topics: [feedTopic!] }), now: FIXED_NOW + MINUTE });
    expect(await rows("SELECT hub FROM websub_pings WHERE hub = ?1", a)).toEqual([]);
    expect(await rows("SELECT hub FROM websub_pings WHERE hub = ?1", b)).toHaveLength(1);
  });
});
