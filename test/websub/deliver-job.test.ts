/**
 * Skein as its own hub, content distribution (lib/websub/deliver-job.ts) inside workerd: loopback
 * subscribers receive the topic's page with its Content-Type, the Link header (§7) and
 * X-Hub-Signature: sha256=<HMAC> checked here with an independent HMAC; 410 ends a subscription,
 * failures are retried with backoff then given up; a crowd of subscribers is spread over runs within
 * the run's 45 subrequests and its CPU estimate, each served exactly once, oldest first; expired
 * leases get nothing and are removed.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { CLAIM_MS, createDeliverJob, DEFAULT_DELIVER_OPTIONS, type DeliverOptions, deliveriesPerRun } from "../../lib/websub/deliver-job.ts";
import { claimDeliveriesStatement, queueDeliveriesStatement } from "../../lib/websub/store.ts";
import {
  bodyBytes,
  FIXED_NOW,
  HOUR,
  hmacHex,
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
  sha256Of,
  storeSubscription,
  unique,
  websubSiteConfig,
} from "./support.ts";

beforeEach(async () => {
  await env.DB.prepare("DELETE FROM websub_subscriptions").run();
});

async function ownSite(posts = 4) {
  const name = unique("own");
  const feed = await setFeed(name, { posts });
  const topics = [await servedTopic(feed), await servedTopic(feed.replace(/feed\.xml$/, "atom.xml"), "application/atom+xml")];
  return { feed, topics, config: websubSiteConfig({ hubs: [OWN_HUB], self_hub: OWN_HUB, topics }) };
}

async function subscribed(topic: string, secret: string | null, lease = 86_400, now = FIXED_NOW - HOUR): Promise<{ name: string; callback: string }> {
  const name = unique("sub");
  const callback = `${server}/sub/${name}`;
  await storeSubscription(env.DB, { topic, callback, secret, lease_seconds: lease, now });
  return { name, callback };
}

async function queue(topic: { url: string; sha256: string }, now = FIXED_NOW): Promise<void> {
  await queueDeliveriesStatement(env.DB, topic.url, topic.sha256, now).run();
}

describe("delivering our new posts to subscribers", () => {
  it("the whole page, its Content-Type, Link rel=hub and rel=self, and X-Hub-Signature = HMAC-SHA256 of the body with their secret", async () => {
    const site = await ownSite();
    const [rss, atom] = site.topics;
    const signed = await subscribed(rss!.url, "their-secret");
    const unsigned = await subscribed(atom!.url, null);
    await queue(rss!);
    await queue(atom!);
    const { report, usage } = await meteredJob(createDeliverJob(), { config: site.config, now: FIXED_NOW });
    expect(report.summary).toBe("2 deliveries made");

    const page = new Uint8Array(await (await fetch(rss!.url)).arrayBuffer());
    const [delivery] = await received(signed.name);
    expect(delivery!.method).toBe("POST");
    expect(bodyBytes(delivery!)).toEqual(page);
    expect(delivery!.headers["content-type"]).toBe("application/rss+xml");
    expect(delivery!.headers.link).toBe(`<${OWN_HUB}>; rel="hub", <${rss!.url}>; rel="self"`);
    expect(delivery!.headers["x-hub-signature"]).toBe(`sha256=${await hmacHex("their-secret", bodyBytes(delivery!))}`);

    const [plain] = await received(unsigned.name);
    expect(plain!.headers["content-type"]).toBe("application/atom+xml");
    expect(plain!.headers["x-hub-signature"]).toBeUndefined();
    expect(await sha256Of(bodyBytes(plain!))).toBe(atom!.sha256);

    // D1: read what is due, claim the two, one batch for both outcomes; two pages read, two POSTs.
    expect(usage.calls).toBe(3);
    expect(report.fetches).toBe(2 * 2 + 2);
    const state = await rows<{ pending_sha256: string | null; delivered_sha256: string; last_status: number }>(
      "SELECT pending_sha256, delivered_sha256, last_status FROM websub_subscriptions WHERE callback = ?1",
      signed.callback,
    );
    expect(state).toEqual([{ pending_sha256: null, delivered_sha256: rss!.sha256, last_status: 204 }]);
    expect((await runJob(createDeliverJob(), { config: site.config, now: FIXED_NOW + MINUTE })).summary).toBe("no delivery due");

    // The same page queued again (a redeploy that changed nothing in it) delivers nothing twice.
    await queue(rss!, FIXED_NOW + 2 * MINUTE);
    expect((await runJob(createDeliverJob(), { config: site.config, now: FIXED_NOW + 2 * MINUTE })).summary).toBe("no delivery due");
    expect(await received(signed.name)).toHaveLength(1);
  });

  it("the page comes from the static assets when the Worker serves the site (the ASSETS binding)", async () => {
    const topic = { url: "https://ada.example/index.html", content_type: "text/html", sha256: "c".repeat(64) };
    const config = websubSiteConfig({ hubs: [OWN_HUB], self_hub: OWN_HUB, topics: [topic] });
    const sub = await subscribed(topic.url, "k");
    await queue(topic);
    const report = await runJob(createDeliverJob(), { config, now: FIXED_NOW });
    expect(report.summary).toBe("1 delivery made");
    expect(report.fetches).toBe(2);
    expect(new TextDecoder().decode(bodyBytes((await received(sub.name))[0]!))).toContain("Stands in for _site/");
  });

  it("a page from the static assets that is the build's is read and hashed once per isolate, not every run; one that is not, every run", async () => {
    const served = new Uint8Array(await (await env.ASSETS.fetch("https://bea.example/index.html")).arrayBuffer());
    const live = { url: "https://bea.example/index.html", content_type: "text/html", sha256: await sha256Of(served) };
    const stale = { url: "https://bea.example/index.html?stale", content_type: "text/html", sha256: "d".repeat(64) };
    const config = websubSiteConfig({ hubs: [OWN_HUB], self_hub: OWN_HUB, topics: [live, stale] });
    const subs = [await subscribed(live.url, "k1"), await subscribed(live.url, "k2"), await subscribed(stale.url, "k3"), await subscribed(stale.url, "k4")];
    await queue(live);
    await queue(stale);
    // One delivery a run (the oldest goes; nothing else fits a cap of 0 bytes).
    const first = await runJob(createDeliverJob({ bytesPerRun: 0 }), { config, now: FIXED_NOW });
    expect(first.summary).toBe("1 delivery made, 3 wait for the next run");
    const runs = [first];
    for (let run = 1; run < 4; run++) runs.push(await runJob(createDeliverJob({ bytesPerRun: 0 }), { config, now: FIXED_NOW + run * MINUTE }));
    expect(runs.map((r) => r.summary)).toEqual([
      "1 delivery made, 3 wait for the next run",
      "1 delivery made, 2 wait for the next run",
      "1 delivery made, 1 wait for the next run",
      "1 delivery made",
    ]);
    for (const sub of subs) expect(bodyBytes((await received(sub.name))[0]!)).toEqual(served);
    // Each run its POST; a page read only for the row delivered (not for the ones that wait), and the
    // live page only once: kept after its first read. The stale one is read each time.
    expect(runs.map((r) => r.fetches)).toEqual([2, 1, 2, 2]);
  });

  it("410 Gone ends the subscription; 5xx is retried with backoff, then delivered; retries are bounded", async () => {
    const site = await ownSite();
    const [rss] = site.topics;
    const gone = await subscribed(rss!.url, "a");
    const flaky = await subscribed(rss!.url, "b");
    const dead = await subscribed(rss!.url, "c");
    await script(gone.name, [410]);
    await script(flaky.name, [500, 503]);
    await script(dead.name, [500, 500, 500]);
    await queue(rss!);
    const job = () => createDeliverJob({ maxAttempts: 3 });
    const first = await runJob(job(), { config: site.config, now: FIXED_NOW });
    expect(first.summary).toBe("2 to retry, 1 subscription ended by the subscriber (410)");
    expect(await rows("SELECT * FROM websub_subscriptions WHERE callback = ?1", gone.callback)).toEqual([]);
    expect((await runJob(job(), { config: site.config, now: FIXED_NOW + 30_000 })).summary).toBe("no delivery due");
    expect((await runJob(job(), { config: site.config, now: FIXED_NOW + MINUTE })).summary).toBe("2 to retry");
    const last = await runJob(job(), { config: site.config, now: FIXED_NOW + 3 * MINUTE });
    expect(last.summary).toBe("1 delivery made, 1 given up");
    expect(last.failures[0]!.reason).toMatch(/HTTP 500 \(gave up after 3 attempts\)/);
    expect((await runJob(job(), { config: site.config, now: FIXED_NOW + HOUR })).summary).toBe("no delivery due");
    expect(await received(flaky.name)).toHaveLength(3);
    expect(await received(dead.name)).toHaveLength(3);
    // The given-up subscription stays: the next deploy delivers to it again.
    expect(await rows("SELECT callback FROM websub_subscriptions WHERE callback = ?1 AND pending_sha256 IS NULL", dead.callback)).toHaveLength(1);
  });

  it("60 subscribers: spread over runs by the run's caps within its subrequests, each delivered exactly once", async () => {
    const site = await ownSite();
    const [rss] = site.topics;
    const subs = [];
    for (let i = 0; i < 60; i++) subs.push(await subscribed(rss!.url, `secret-${i}`));
    await queue(rss!);
    const pageBytes = (await (await fetch(rss!.url)).arrayBuffer()).byteLength;
    const perRun = deliveriesPerRun(DEFAULT_DELIVER_OPTIONS, pageBytes);
    // The run's subrequests (45, less the due read, the page, the claim and the outcomes) do not stop it first.
    expect(perRun).toBeLessThan(45 - 4);
    expect(perRun).toBeLessThan(60);
    const runs: { fetches: number; calls: number; delivered: number }[] = [];
    for (let run = 0; run < 60; run++) {
      const { report, usage } = await meteredJob(createDeliverJob(), { config: site.config, now: FIXED_NOW + run * MINUTE });
      const delivered = Number(/^(\d+) deliver/.exec(report.summary)?.[1] ?? 0);
      runs.push({ fetches: report.fetches, calls: usage.calls, delivered });
      if (report.summary === "no delivery due") break;
    }
    for (const run of runs) expect(run.fetches + run.calls).toBeLessThanOrEqual(45);
    expect(runs.reduce((n, run) => n + run.delivered, 0)).toBe(60);
    // Every run makes as many as the rule allows, the last the rest.
    let left = 60;
    for (const run of runs.filter((r) => r.delivered > 0)) {
      expect(run.delivered).toBe(Math.min(left, perRun));
      left -= run.delivered;
    }
    for (const sub of subs) expect(await received(sub.name)).toHaveLength(1);
  });

  it.each([
    ["its bytes: two and a half pages' worth", (page: number): Partial<DeliverOptions> => ({ bytesPerRun: Math.floor(2.5 * page) }), "3 wait"],
    ["its count: two deliveries", (): Partial<DeliverOptions> => ({ deliveriesPerRun: 2 }), "1 wait"],
  ])("a run's cap on %s: two a run, the rest wait, oldest first", async (_, caps, waiting) => {
    const site = await ownSite(30);
    const [rss] = site.topics;
    const subs = [];
    for (let i = 0; i < 5; i++) subs.push(await subscribed(rss!.url, `k${i}`, 86_400, FIXED_NOW - HOUR + i));
    await queue(rss!);
    const pageBytes = (await (await fetch(rss!.url)).arrayBuffer()).byteLength;
    const options = { ...DEFAULT_DELIVER_OPTIONS, concurrency: 1, ...caps(pageBytes) };
    expect(deliveriesPerRun(options, pageBytes)).toBe(2);
    const job = () => createDeliverJob(options);
    expect((await runJob(job(), { config: site.config, now: FIXED_NOW })).summary).toBe(`2 deliveries made, ${waiting} for the next run`);
    expect((await runJob(job(), { config: site.config, now: FIXED_NOW + MINUTE })).summary).toBe("2 deliveries made, 1 wait for the next run");
    expect((await runJob(job(), { config: site.config, now: FIXED_NOW + 2 * MINUTE })).summary).toBe("1 delivery made");
    for (const sub of subs) expect(await received(sub.name)).toHaveLength(1);
    // Oldest first: the first two subscriptions were served by the first run.
    const deliveredAt = await rows<{ callback: string; delivered_ms: number }>(
      "SELECT callback, delivered_ms FROM websub_subscriptions WHERE topic = ?1",
      rss!.url,
    );
    const at = new Map(deliveredAt.map((row) => [row.callback, row.delivered_ms]));
    expect(subs.map((sub) => at.get(sub.callback))).toEqual([FIXED_NOW, FIXED_NOW, FIXED_NOW + MINUTE, FIXED_NOW + MINUTE, FIXED_NOW + 2 * MINUTE]);
  });

  it("the oldest due delivery goes even when alone it is over the run's byte cap (nobody waits forever)", async () => {
    const site = await ownSite(30);
    const [rss] = site.topics;
    const subs = [await subscribed(rss!.url, "a"), await subscribed(rss!.url, null)];
    await queue(rss!);
    const job = () => createDeliverJob({ bytesPerRun: 0 });
    expect((await runJob(job(), { config: site.config, now: FIXED_NOW })).summary).toBe("1 delivery made, 1 wait for the next run");
    expect((await runJob(job(), { config: site.config, now: FIXED_NOW + MINUTE })).summary).toBe("1 delivery made");
    for (const sub of subs) expect(await received(sub.name)).toHaveLength(1);
  });

  it("an expired lease gets no delivery, and the hourly sweep removes it", async () => {
    const site = await ownSite();
    const [rss] = site.topics;
    const expired = await subscribed(rss!.url, "x", 3600, FIXED_NOW - 2 * HOUR);
    const live = await subscribed(rss!.url, "y");
    await queue(rss!);
    const hour = Math.ceil((FIXED_NOW + MINUTE) / HOUR) * HOUR;
    // Five minutes past the hour: no sweep in this run.
    const report = await runJob(createDeliverJob(), { config: site.config, now: FIXED_NOW + 5 * MINUTE });
    expect(report.summary).toBe("1 delivery made");
    expect(await received(expired.name)).toEqual([]);
    expect(await received(live.name)).toHaveLength(1);
    expect((await runJob(createDeliverJob(), { config: site.config, now: hour })).summary).toBe("no delivery due; 1 expired subscription removed");
    expect(await rows("SELECT * FROM websub_subscriptions WHERE callback = ?1", expired.callback)).toEqual([]);
  });

  it("a run cut off after its claim (the CPU limit) does not resend at once: the deliveries come back after the claim, one attempt used", async () => {
    const site = await ownSite();
    const [rss] = site.topics;
    const sub = await subscribed(rss!.url, "k");
    await queue(rss!);
    await claimDeliveriesStatement(env.DB, [{ topic: rss!.url, callback: sub.callback }], FIXED_NOW + CLAIM_MS).run();
    expect((await runJob(createDeliverJob(), { config: site.config, now: FIXED_NOW + MINUTE })).summary).toBe("no delivery due");
    expect(await received(sub.name)).toEqual([]);
    expect((await runJob(createDeliverJob(), { config: site.config, now: FIXED_NOW + CLAIM_MS })).summary).toBe("1 delivery made");
    expect(await rows("SELECT attempts, pending_sha256 FROM websub_subscriptions WHERE callback = ?1", sub.callback)).toEqual([
      { attempts: 0, pending_sha256: null },
    ]);
  });

  it("a site that is not a hub runs nothing", async () => {
    const { report, usage } = await meteredJob(createDeliverJob(), { config: websubSiteConfig({ hubs: ["https://hub.example/"] }), now: FIXED_NOW });
    expect(report.summary).toMatch(/^not a hub/);
    expect(usage.calls).toBe(0);
  });
});
