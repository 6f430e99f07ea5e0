/**
 * The timeline as a WebSub subscriber (lib/timeline/websub-*.ts) inside workerd with the real Worker
 * app, D1 and Rate Limiting bindings. A followed feed on the loopback server declares a loopback hub;
 * the job subscribes there (the hub records the request: topic, callback, secret, lease), and the
 * test then does what that hub does next, against Skein's callback: verify intent (echoed only for
 * what we asked), push the feed signed with the secret it was given (stored at once), push forged
 * deliveries (discarded: 202, nothing stored, no D1 write). Leases are renewed before they end and a
 * lapsed one is subscribed again; unfollowing unsubscribes; hub-fed feeds are polled only as a backup.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { seededRandom } from "../../lib/harness/seeded-random.ts";
import type { FollowedAccount, SiteConfig } from "../../lib/shared/site-config.ts";
import { normalizeUserLink } from "../../lib/shared/urls.ts";
import { createTimelinePollJob } from "../../lib/timeline/poll-job.ts";
import { readFollows } from "../../lib/timeline/queries.ts";
import { loadSubscriberState, type WebSubFollowRow } from "../../lib/timeline/websub-store.ts";
import {
  createSubscribeJob,
  HUB_FED_POLL_MINUTES,
  MAX_ATTEMPTS,
  RECHECK_MS,
  RENEW_BEFORE_MS,
  VERIFY_WAIT_MS,
} from "../../lib/timeline/websub-subscribe-job.ts";
import {
  CALLBACK_PREFIX,
  FIXED_NOW,
  formOf,
  HOUR,
  hmacHex,
  loopbackEnv,
  MINUTE,
  received,
  rows,
  runJob,
  script,
  server,
  setFeed,
  unique,
  websubSiteConfig,
} from "../websub/support.ts";
import { meteredEnv, send, testApp } from "../worker/support/worker.ts";

let counter = 0;
function account(name: string) {
  counter += 1;
  const hex = (counter * 104729).toString(16).padStart(12, "0");
  return { user_id: `5ab50000-0000-4000-8000-${hex}`, username: `${name}${counter}`.slice(0, 25) };
}

function followed(who: { user_id: string; username: string }, link: string): FollowedAccount {
  return { user_id: who.user_id, username: who.username, user_link: link, link: normalizeUserLink(link)! };
}

function configFollowing(follows: FollowedAccount[]): SiteConfig {
  return websubSiteConfig({}, { follows });
}

interface WsRow {
  user_id: string;
  token: string;
  secret: string;
  hub: string | null;
  topic: string | null;
  state: string;
  lease_expires_ms: number | null;
  requested_ms: number | null;
  attempts: number;
  pushes: number;
  last_error: string | null;
}

async function wsRow(userId: string): Promise<WsRow | undefined> {
  return (await rows<WsRow>("SELECT * FROM websub_follows WHERE user_id = ?1", userId))[0];
}

async function guids(userId: string): Promise<string[]> {
  return (await rows<{ guid: string }>("SELECT guid FROM timeline_items WHERE user_id = ?1 ORDER BY CAST(guid AS INTEGER)", userId)).map((r) => r.guid);
}

/** A followed site on the loopback server whose feed declares a loopback hub; subscribed, not yet verified. */
async function hubbedFollow(posts = 3, start?: number) {
  const who = account("hubbed");
  const name = unique("site");
  const hub = unique("hub");
  const feed = await setFeed(name, { posts, hub, user: who.user_id, username: who.username, ...(start !== undefined ? { start } : {}) });
  const config = configFollowing([followed(who, feed)]);
  return { who, name, hub, feed, config };
}

const app = (config: SiteConfig, now = FIXED_NOW) => testApp(config, { now: () => now });

// Each test follows only its own accounts: earlier tests' follows would be "unfollowed" in its runs.
beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM websub_follows"), env.DB.prepare("DELETE FROM timeline_follows")]);
});

async function verify(config: SiteConfig, token: string, query: Record<string, string>, envOverride = loopbackEnv(), now = FIXED_NOW) {
  const sent = await send(app(config, now), `/api/websub/callback/${token}?${new URLSearchParams(query)}`, undefined, {
    method: "GET",
    contentType: null,
    env: envOverride,
  });
  return sent.response;
}

async function push(config: SiteConfig, token: string, body: Uint8Array, signature: string | null, envOverride = loopbackEnv()) {
  const headers: Record<string, string> = {};
  if (signature !== null) headers["X-Hub-Signature"] = signature;
  const sent = await send(app(config), `/api/websub/callback/${token}`, body, { contentType: "application/rss+xml", headers, env: envOverride });
  return sent.response;
}

async function feedBytes(url: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

/** Subscribe (job), then verify as the hub would: the subscription is active with a lease. */
async function activeFollow(posts = 3, lease = 86_400, start?: number) {
  const follow = await hubbedFollow(posts, start);
  await runJob(createSubscribeJob(), { config: follow.config, now: FIXED_NOW });
  const request = formOf((await received(follow.hub))[0]!);
  const token = request["hub.callback"]!.slice(CALLBACK_PREFIX.length);
  const answer = await verify(follow.config, token, {
    "hub.mode": "subscribe",
    "hub.topic": request["hub.topic"]!,
    "hub.challenge": "c-1",
    "hub.lease_seconds": String(lease),
  });
  expect(answer.status).toBe(200);
  return { ...follow, token, secret: request["hub.secret"]!, topic: request["hub.topic"]! };
}

describe("subscribing to the hubs of followed feeds", () => {
  it("a feed that declares a hub: the job subscribes with our callback, a fresh secret and a lease; a feed without one: nothing asked", async () => {
    const follow = await hubbedFollow();
    const plainWho = account("plain");
    const plainFeed = await setFeed(unique("site"), { posts: 2, user: plainWho.user_id, username: plainWho.username });
    const config = configFollowing([...follow.config.follows, followed(plainWho, plainFeed)]);
    const report = await runJob(createSubscribeJob(), { config, now: FIXED_NOW });
    expect(report.summary).toBe("2 feeds looked at for a hub (1 with one), 1 subscription requested");
    const [request] = await received(follow.hub);
    const fields = formOf(request!);
    expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const row = (await wsRow(follow.who.user_id))!;
    expect(fields).toEqual({
      "hub.mode": "subscribe",
      "hub.topic": follow.feed,
      "hub.callback": `${CALLBACK_PREFIX}${row.token}`,
      "hub.secret": row.secret,
      "hub.lease_seconds": "864000",
    });
    expect(row.token).toMatch(/^[0-9a-f]{32}$/);
    expect(row.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(row).toMatchObject({ hub: `${server}/hub/${follow.hub}`, topic: follow.feed, state: "subscribing", requested_ms: FIXED_NOW });
    expect(await wsRow(plainWho.user_id)).toMatchObject({ state: "none", hub: null });
    // Nothing new to do in the next run.
    expect((await runJob(createSubscribeJob(), { config, now: FIXED_NOW + 5 * MINUTE })).summary).toBe("nothing to do (2 followed feeds)");
  });

  it("a followed feed that moved (the poller polls it elsewhere) is looked at where it moved, not at follows.yaml's URL", async () => {
    const follow = await hubbedFollow();
    const oldUrl = `${server}/control/gone/${unique("old")}/feed.xml`;
    const config = configFollowing([followed(follow.who, oldUrl)]);
    // The poller's row: follows.yaml still names the old URL; the feed moved to the hubbed one.
    await env.DB.prepare("INSERT INTO timeline_follows (user_id, username, user_link, feed_url, moved_to, phase, added_ms) VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5)")
      .bind(follow.who.user_id, follow.who.username, oldUrl, follow.feed, FIXED_NOW)
      .run();
    const report = await runJob(createSubscribeJob(), { config, now: FIXED_NOW });
    expect(report.summary).toBe("1 feed looked at for a hub (1 with one), 1 subscription requested");
    expect(formOf((await received(follow.hub))[0]!)["hub.topic"]).toBe(follow.feed);
  });

  it("verification: the challenge is echoed only for what we asked (our token, our topic, the mode our row is in)", async () => {
    const follow = await hubbedFollow();
    await runJob(createSubscribeJob(), { config: follow.config, now: FIXED_NOW });
    const request = formOf((await received(follow.hub))[0]!);
    const token = request["hub.callback"]!.slice(CALLBACK_PREFIX.length);
    const topic = request["hub.topic"]!;
    const ask = (query: Record<string, string>, t = token) => verify(follow.config, t, query);

    expect(
      (await ask({ "hub.mode": "subscribe", "hub.topic": "https://elsewhere.example/feed.xml", "hub.challenge": "x", "hub.lease_seconds": "60" })).status,
    ).toBe(404);
    expect((await ask({ "hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "x" }, "0".repeat(32))).status).toBe(404);
    expect((await ask({ "hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "x" }, "not-a-token")).status).toBe(404);
    expect((await ask({ "hub.mode": "unsubscribe", "hub.topic": topic, "hub.challenge": "x" })).status).toBe(404);
    expect((await ask({ "hub.mode": "subscribe", "hub.topic": topic })).status).toBe(400);
    expect((await ask({ "hub.mode": "publish", "hub.topic": topic, "hub.challenge": "x" })).status).toBe(400);
    expect((await wsRow(follow.who.user_id))!.state).toBe("subscribing");

    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
    const answer = await verify(
      follow.config,
      token,
      { "hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "the-challenge", "hub.lease_seconds": "7200" },
      metered,
    );
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("the-challenge");
    expect(usage).toMatchObject({ calls: 2, rowsWritten: 1 });
    expect(await wsRow(follow.who.user_id)).toMatchObject({ state: "active", lease_expires_ms: FIXED_NOW + 7_200_000 });
  });

  it("a signed push is stored at once with the timeline's own functions; forged ones are discarded with 202 and no D1 write", async () => {
    const follow = await activeFollow(3);
    // The poller's first poll adds the account to the timeline (posts 0-2).
    await runJob(createTimelinePollJob(), { config: follow.config, now: FIXED_NOW, all: true });
    expect(await guids(follow.who.user_id)).toEqual(["0", "1", "2"]);

    // Two new posts; the hub pushes the feed as it is now, signed with the secret we gave it.
    await setFeed(follow.name, { posts: 5, hub: follow.hub, user: follow.who.user_id, username: follow.who.username });
    const body = await feedBytes(follow.feed);

    for (const signature of [
      null,
      "sha256=",
      `sha256=${await hmacHex("another secret", body)}`,
      `sha256=${(await hmacHex(follow.secret, body)).replace(/^./, (c) => (c === "0" ? "1" : "0"))}`,
      `md5=${"0".repeat(32)}`,
    ]) {
      const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
      const answer = await push(follow.config, follow.token, body, signature, metered);
      expect(answer.status, String(signature)).toBe(202);
      expect(usage.rowsWritten).toBe(0);
      expect(usage.calls).toBe(1);
    }
    // Altered on the way: the right signature of other bytes.
    const altered = new TextEncoder().encode(new TextDecoder().decode(body).replace("Post 4", "Post 4 (altered)"));
    expect((await push(follow.config, follow.token, altered, `sha256=${await hmacHex(follow.secret, body)}`)).status).toBe(202);
    expect(await guids(follow.who.user_id)).toEqual(["0", "1", "2"]);

    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
    const answer = await push(follow.config, follow.token, body, `sha256=${await hmacHex(follow.secret, body)}`, metered);
    expect(answer.status).toBe(204);
    expect(await guids(follow.who.user_id)).toEqual(["0", "1", "2", "3", "4"]);
    // One read (the subscription), one batch: 2 items x 3 rows, the follow's marker, the push count.
    expect(usage.calls).toBe(2);
    expect(usage.rowsWritten).toBe(2 * 3 + 1 + 1);
    const stored = await rows<{ username: string; html: string; link: string }>(
      "SELECT username, html, link FROM timeline_items WHERE user_id = ?1 AND guid = '4'",
      follow.who.user_id,
    );
    expect(stored).toEqual([
      { username: follow.who.username, html: `<p>Post 4 of ${follow.who.username}.</p>`, link: follow.feed.replace("feed.xml", "posts/4/") },
    ]);
    expect(await wsRow(follow.who.user_id)).toMatchObject({ pushes: 1 });
    const marker = JSON.parse((await rows<{ seen: string }>("SELECT seen FROM timeline_follows WHERE user_id = ?1", follow.who.user_id))[0]!.seen) as {
      max: number;
    };
    expect(marker.max).toBe(4);

    // The same push again (a hub retrying): nothing stored twice. sha1 signatures are accepted too (§8).
    const sha1 = `sha1=${await hmacHex(follow.secret, body, "SHA-1")}`;
    expect((await push(follow.config, follow.token, body, sha1)).status).toBe(204);
    expect(await guids(follow.who.user_id)).toEqual(["0", "1", "2", "3", "4"]);
  });

  it("a push that does not reach a stored item stores its items but leaves the poller's marker (no gap can be skipped)", async () => {
    const follow = await activeFollow(2);
    await runJob(createTimelinePollJob(), { config: follow.config, now: FIXED_NOW, all: true });
    // A hub that sends only the newest entry: a one-item feed of post 6 (posts 2-5 were never pushed).
    await setFeed(follow.name, { posts: 7, hub: follow.hub, user: follow.who.user_id, username: follow.who.username });
    const full = new TextDecoder().decode(await feedBytes(follow.feed));
    const onlyNewest = full.replace(/(<item[\s\S]*?<\/item>)\s*(<item[\s\S]*<\/item>)/, "$1");
    expect(onlyNewest.match(/<item/g)).toHaveLength(1);
    const bytes = new TextEncoder().encode(onlyNewest);
    expect((await push(follow.config, follow.token, bytes, `sha256=${await hmacHex(follow.secret, bytes)}`)).status).toBe(204);
    expect(await guids(follow.who.user_id)).toEqual(["0", "1", "6"]);
    const marker = JSON.parse((await rows<{ seen: string }>("SELECT seen FROM timeline_follows WHERE user_id = ?1", follow.who.user_id))[0]!.seen) as {
      max: number;
    };
    expect(marker.max).toBe(1);
    // The backup poll fills the gap.
    await runJob(createTimelinePollJob(), { config: follow.config, now: FIXED_NOW + MINUTE, all: true });
    expect(await guids(follow.who.user_id)).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
  });

  it("a push for a token we do not know (or unsubscribed) is 410 Gone; the callback is rate limited without D1 writes", async () => {
    const config = configFollowing([]);
    const body = new TextEncoder().encode("<rss/>");
    expect((await push(config, "f".repeat(32), body, "sha256=00")).status).toBe(410);
    expect((await push(config, "nope", body, "sha256=00")).status).toBe(404);
    const { env: limited, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" }, true);
    const statuses: number[] = [];
    for (let i = 0; i < 125; i++) {
      const sent = await send(app(config), `/api/websub/callback/${"e".repeat(32)}?hub.mode=subscribe&hub.topic=x&hub.challenge=y`, undefined, {
        method: "GET",
        contentType: null,
        env: limited,
        ip: "203.0.113.250",
      });
      statuses.push(sent.response.status);
    }
    expect(statuses.filter((s) => s === 404)).toHaveLength(120);
    expect(statuses.slice(120)).toEqual(Array(5).fill(429));
    expect(usage.calls).toBe(120);
    expect(usage.rowsWritten).toBe(0);
  });

  it("a hub that never verifies: the request is sent again after an hour, a few times, then left for a day", async () => {
    const follow = await hubbedFollow();
    await runJob(createSubscribeJob(), { config: follow.config, now: FIXED_NOW });
    let now = FIXED_NOW;
    for (let i = 0; i < 12; i++) {
      now += VERIFY_WAIT_MS;
      await runJob(createSubscribeJob(), { config: follow.config, now });
    }
    expect(await received(follow.hub)).toHaveLength(MAX_ATTEMPTS);
    expect(await wsRow(follow.who.user_id)).toMatchObject({ state: "failed" });
    expect((await wsRow(follow.who.user_id))!.last_error).toMatch(/never verified/);
  });

  it("a hub that refuses (4xx) or denies (§5.2): failed, looked at again in a day", async () => {
    const refused = await hubbedFollow();
    await script(refused.hub, [403]);
    const report = await runJob(createSubscribeJob(), { config: refused.config, now: FIXED_NOW });
    expect(report.failures[0]!.reason).toMatch(/HTTP 403/);
    expect(await wsRow(refused.who.user_id)).toMatchObject({ state: "failed" });

    const denied = await activeFollow();
    const answer = await verify(denied.config, denied.token, { "hub.mode": "denied", "hub.topic": denied.topic, "hub.reason": "not today" });
    expect(answer.status).toBe(204);
    expect(await wsRow(denied.who.user_id)).toMatchObject({ state: "failed", last_error: "the hub denied the subscription: not today" });
    // A push after the denial is refused: 410.
    const body = await feedBytes(denied.feed);
    expect((await push(denied.config, denied.token, body, `sha256=${await hmacHex(denied.secret, body)}`)).status).toBe(410);
  });
});

describe("leases", () => {
  it("renewed before they end: the same callback and secret, verified again, the lease extended", async () => {
    const follow = await activeFollow(3, 2 * 86_400);
    const expires = FIXED_NOW + 2 * 86_400_000;
    // A day and a half later the lease ends within a day: renew.
    const later = FIXED_NOW + 36 * HOUR;
    const report = await runJob(createSubscribeJob(), { config: follow.config, now: later });
    expect(report.summary).toBe("1 lease renewed");
    const requests = (await received(follow.hub)).map(formOf);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toEqual(requests[0]);
    expect(await wsRow(follow.who.user_id)).toMatchObject({ state: "active", lease_expires_ms: expires, requested_ms: later });
    // Not asked again while the renewal waits for its verification.
    expect((await runJob(createSubscribeJob(), { config: follow.config, now: later + 5 * MINUTE })).summary).toBe("nothing to do (1 followed feed)");
    const answer = await verify(
      follow.config,
      follow.token,
      { "hub.mode": "subscribe", "hub.topic": follow.topic, "hub.challenge": "again", "hub.lease_seconds": "172800" },
      loopbackEnv(),
      later + 10 * MINUTE,
    );
    expect(await answer.text()).toBe("again");
    expect(await wsRow(follow.who.user_id)).toMatchObject({ state: "active", lease_expires_ms: later + 10 * MINUTE + 172_800_000 });
    // The next renewal is a day and a half away again.
    expect((await runJob(createSubscribeJob(), { config: follow.config, now: later + 20 * MINUTE })).summary).toBe("nothing to do (1 followed feed)");
  });

  it("a lease that ran out unrenewed (the hub was down for the renewal): subscribed again from scratch", async () => {
    const follow = await activeFollow(3, 3600);
    await script(follow.hub, [503]);
    // Renewal due (the lease ends within half of itself): the hub is down.
    await runJob(createSubscribeJob(), { config: follow.config, now: FIXED_NOW + 40 * MINUTE });
    expect((await wsRow(follow.who.user_id))!.state).toBe("active");
    // Expired: subscribing again.
    const report = await runJob(createSubscribeJob(), { config: follow.config, now: FIXED_NOW + 2 * HOUR });
    expect(report.summary).toBe("1 subscription requested");
    expect(await wsRow(follow.who.user_id)).toMatchObject({ state: "subscribing", lease_expires_ms: null });
    expect(await received(follow.hub)).toHaveLength(3);
  });

  it("unfollowing unsubscribes (verified, then forgotten); a late push is 410 Gone", async () => {
    const follow = await activeFollow();
    const none = configFollowing([]);
    const report = await runJob(createSubscribeJob(), { config: none, now: FIXED_NOW + 5 * MINUTE });
    expect(report.summary).toBe("1 unsubscribed");
    const request = formOf((await received(follow.hub)).at(-1)!);
    expect(request).toEqual({ "hub.mode": "unsubscribe", "hub.topic": follow.topic, "hub.callback": `${CALLBACK_PREFIX}${follow.token}` });
    // Only an unsubscribe is confirmed now.
    expect(
      (await verify(none, follow.token, { "hub.mode": "subscribe", "hub.topic": follow.topic, "hub.challenge": "x", "hub.lease_seconds": "60" })).status,
    ).toBe(404);
    const answer = await verify(none, follow.token, { "hub.mode": "unsubscribe", "hub.topic": follow.topic, "hub.challenge": "bye" });
    expect(await answer.text()).toBe("bye");
    expect(await wsRow(follow.who.user_id)).toBeUndefined();
    const body = await feedBytes(follow.feed);
    expect((await push(none, follow.token, body, `sha256=${await hmacHex(follow.secret, body)}`)).status).toBe(410);
  });
});

describe("polling continues as a backup", () => {
  it("a hub-fed feed is polled every few hours, a feed of the same pace without a hub every 5 minutes", async () => {
    const recent = FIXED_NOW - 3 * HOUR;
    const fed = await activeFollow(3, 10 * 86_400, recent);
    const plainWho = account("pace");
    const plainName = unique("site");
    const plainFeed = await setFeed(plainName, { posts: 3, user: plainWho.user_id, username: plainWho.username, start: recent });
    const config = configFollowing([...fed.config.follows, followed(plainWho, plainFeed)]);
    // First polls (new follows are due at once), then an hour of runs, one a minute.
    await runJob(createTimelinePollJob(), { config, now: FIXED_NOW });
    const fedBefore = (await received(`feed-${fed.name}`)).length;
    const plainBefore = (await received(`feed-${plainName}`)).length;
    for (let minute = 1; minute <= 60; minute++) await runJob(createTimelinePollJob(), { config, now: FIXED_NOW + minute * MINUTE });
    const fedPolls = (await received(`feed-${fed.name}`)).length - fedBefore;
    const plainPolls = (await received(`feed-${plainName}`)).length - plainBefore;
    // The newest post is 1-3 hours old: 10-minute slots without a hub; 240-minute slots with one.
    expect(plainPolls).toBe(6);
    expect(fedPolls).toBeLessThanOrEqual(1);
    // npm run timeline -- status and the owner's pages say the same: 240 minutes for the hub-fed feed.
    const status = await readFollows(env.DB, config, FIXED_NOW + 60 * MINUTE);
    const every = new Map(status.follows.map((follow) => [follow.user_id, follow.poll_every_minutes]));
    expect(every.get(plainWho.user_id)).toBe(10);
    expect(every.get(fed.config.follows[0]!.user_id)).toBe(HUB_FED_POLL_MINUTES);
  });
});

describe("the quiet read (most runs)", () => {
  /** The job's own tests (websub-subscribe-job.ts), without `all`: would it do anything with this row? */
  function acts(row: WebSubFollowRow, followed: boolean, now: number): boolean {
    if (!followed) return true;
    const retryDue = row.next_attempt_ms !== null && row.next_attempt_ms <= now;
    if (row.state === "none" || row.state === "failed") return row.checked_ms + RECHECK_MS <= now || retryDue;
    if (row.state === "subscribing") {
      const unverified = row.requested_ms === null || row.requested_ms + VERIFY_WAIT_MS <= now;
      return unverified && (row.next_attempt_ms === null || retryDue);
    }
    if (row.state === "active") {
      if (row.lease_expires_ms !== null && row.lease_expires_ms <= now) return true;
      if (row.lease_expires_ms === null) return true;
      if (row.next_attempt_ms !== null && row.next_attempt_ms > now) return false;
      const total = row.verified_ms !== null ? row.lease_expires_ms - row.verified_ms : Number.POSITIVE_INFINITY;
      return row.lease_expires_ms - now <= Math.min(RENEW_BEFORE_MS, total / 2);
    }
    return false;
  }

  it("reads back every row the job would act on, and few others; a followed account without a row makes it read them all", async () => {
    const next = seededRandom(11).next;
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
    const now = FIXED_NOW;
    const around = () =>
      pick([
        null,
        now - 3 * 24 * HOUR,
        now - RECHECK_MS,
        now - RECHECK_MS + 1,
        now - HOUR,
        now - 1,
        now,
        now + 1,
        now + HOUR,
        now + RENEW_BEFORE_MS,
        now + 3 * 24 * HOUR,
      ]);
    const all: WebSubFollowRow[] = Array.from({ length: 200 }, (_, i) => ({
      user_id: `9e1e0000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      token: `t${i}`,
      secret: `s${i}`,
      hub: next() < 0.5 ? null : "http://127.0.0.1:9/hub",
      topic: null,
      state: pick(["none", "subscribing", "active", "unsubscribing", "failed"] as const),
      lease_expires_ms: around(),
      verified_ms: around(),
      requested_ms: around(),
      checked_ms: around() ?? now - HOUR,
      next_attempt_ms: around(),
      attempts: Math.floor(next() * 6),
      last_error: next() < 0.3 ? "error" : null,
      pushes: Math.floor(next() * 3),
      pushed_ms: around(),
    }));
    await env.DB.batch(
      all.map((row) =>
        env.DB.prepare(
          `INSERT INTO websub_follows (user_id, token, secret, hub, topic, state, lease_expires_ms, verified_ms, requested_ms, checked_ms, next_attempt_ms, attempts, last_error, pushes, pushed_ms)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)`,
        ).bind(...Object.values(row)),
      ),
    );
    const followed = all.filter(() => next() < 0.85).map((row) => row.user_id);
    const read = (ids: string[]) =>
      loadSubscriberState(env.DB, {
        followedJson: JSON.stringify(ids),
        followedCount: ids.length,
        nowMs: now,
        recheckMs: RECHECK_MS,
        renewBeforeMs: RENEW_BEFORE_MS,
      });
    const quiet = await read(followed);
    expect(quiet.complete).toBe(false);
    const back = new Map(quiet.rows.map((row) => [row.user_id, row]));
    const needed = all.filter((row) => acts(row, followed.includes(row.user_id), now));
    expect(needed.length).toBeGreaterThan(20);
    for (const row of needed) expect(back.get(row.user_id), row.user_id).toEqual(row);
    // Rows come back whole and as stored; most quiet rows stay in D1.
    for (const row of quiet.rows) expect(row).toEqual(all.find((stored) => stored.user_id === row.user_id));
    expect(quiet.rows.length).toBeLessThan(all.length);
    // A followed account without a row (a new follow): every row is read, as before.
    const full = await read([...followed, "9e1e0000-0000-4000-8000-ffffffffffff"]);
    expect(full.complete).toBe(true);
    expect(full.rows).toHaveLength(all.length);
  });
});
