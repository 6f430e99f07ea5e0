// A malformed, a huge, a slow and an unreachable feed next to healthy ones: the healthy ones are read
// in the same run, the broken ones fail with a reason the owner can act on and back off exponentially
// (bounded); `all` (npm run tick -- --all) polls them anyway. The same address guard and caps as reply
// verification: no private addresses unless loopback is allowed (npm start), 1 MB a fetch.
import { beforeEach, describe, expect, it } from "vitest";
import { backoffMinutes, MAX_BACKOFF_MINUTES } from "../../lib/timeline/schedule.ts";
import { testEnv } from "../worker/support/worker.ts";
import {
  account,
  configFollowing,
  FIXED_NOW,
  followed,
  followRow,
  HOUR,
  MINUTE,
  plainPosts,
  poll,
  resetPoller,
  server,
  serveSite,
  storedGuids,
} from "./support.ts";

beforeEach(resetPoller);

/** Short per-fetch timeout so the slow feed costs one second, not five. */
const options = { poll: { backfillItems: 50, maxWalkPages: 20, fetch: { timeoutMs: 1000 } } };

function brokenAccounts() {
  return {
    malformed: { who: account("malformed"), url: `${server}/tl/malformed.xml` },
    huge: { who: account("huge"), url: `${server}/tl/huge.xml` },
    slow: { who: account("slow"), url: `${server}/tl/slow.xml` },
    unreachable: { who: account("unreachable"), url: "http://127.0.0.1:1/feed.xml" },
    html: { who: account("html"), url: `${server}/tl/html` },
    missing: { who: account("missing"), url: `${server}/tl/s/nobody-here/feed.xml` },
  };
}

describe("broken feeds next to healthy ones", () => {
  it("do not stop the healthy ones: each fails with its own reason", async () => {
    const healthy = [account("healthy-a"), account("healthy-b")];
    const healthyFeeds = await Promise.all(healthy.map((who) => serveSite(who.key, { ...who, posts: plainPosts(0, 2, FIXED_NOW - HOUR) })));
    const broken = brokenAccounts();
    const follows = [
      followed(healthy[0]!, healthyFeeds[0]!),
      ...Object.values(broken).map(({ who, url }) => followed(who, url)),
      followed(healthy[1]!, healthyFeeds[1]!),
    ];
    const started = Date.now();
    const job = await poll({ config: configFollowing(follows), now: FIXED_NOW, options });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(job.summary).toBe("polled 8 of 8 followed feeds: 2 with new posts (4 items stored), 6 failed (8 new)");
    for (const who of healthy) expect(await storedGuids(who.user_id)).toEqual(["1", "0"]);
    const reasons = Object.fromEntries(job.failures.map((failure) => [failure.target.replace(/^@(\D+)\d+ .*$/, "$1"), failure.reason]));
    expect(reasons).toEqual({
      malformed: expect.stringMatching(/malformed\.xml is not a readable RSS feed: <description> is not closed/),
      huge: expect.stringMatching(/huge\.xml is larger than 1048576 bytes/),
      slow: expect.stringMatching(/slow\.xml did not answer within 1 s/),
      unreachable: expect.stringMatching(/127\.0\.0\.1:1\/feed\.xml could not be fetched/),
      html: expect.stringMatching(/is not a readable RSS feed/),
      missing: expect.stringMatching(/answered HTTP 404/),
    });
    for (const { who } of Object.values(broken)) {
      const row = await followRow(who.user_id);
      expect(row).toMatchObject({ failures: 1, due_ms: FIXED_NOW + 5 * MINUTE, seen: null });
      expect(await storedGuids(who.user_id)).toEqual([]);
    }
  });

  it("back off 5, 10, 20 ... minutes up to 6 hours, are not polled before, and `all` polls them at once", async () => {
    const who = account("backoff");
    const config = configFollowing([followed(who, `${server}/tl/malformed.xml`)]);
    let now = FIXED_NOW;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 9; attempt++) {
      const job = await poll({ config, now });
      expect(job.summary).toMatch(/^polled 1 of 1 followed feed: 1 failed/);
      const row = (await followRow(who.user_id))!;
      expect(row.failures).toBe(attempt);
      waits.push((row.due_ms! - now) / MINUTE);
      expect((await poll({ config, now: row.due_ms! - MINUTE })).summary).toBe("no feed due (1 followed feed)");
      now = row.due_ms!;
    }
    expect(waits).toEqual([5, 10, 20, 40, 80, 160, 320, 360, 360]);
    expect(backoffMinutes(50)).toBe(MAX_BACKOFF_MINUTES);
    const forced = await poll({ config, now: now - 30 * MINUTE, all: true });
    expect(forced.summary).toMatch(/^polled 1 of 1 followed feed: 1 failed/);
    expect((await followRow(who.user_id))?.failures).toBe(10);
  });

  it("that recovers is read and its failures are cleared", async () => {
    const who = account("recovers");
    const config = configFollowing([followed(who, `${server}/tl/s/${who.key}/feed.xml`)]);
    await poll({ config, now: FIXED_NOW });
    expect((await followRow(who.user_id))?.failures).toBe(1);
    await serveSite(who.key, { ...who, posts: plainPosts(0, 1, FIXED_NOW - HOUR) });
    await poll({ config, now: FIXED_NOW + 5 * MINUTE });
    expect(await followRow(who.user_id)).toMatchObject({ failures: 0, last_error: null, due_ms: null });
    expect(await storedGuids(who.user_id)).toEqual(["0"]);
  });
});

describe("the address guard", () => {
  it("refuses private addresses, and loopback unless FETCH_ALLOW_LOOPBACK (npm start)", async () => {
    const who = account("private");
    const local = account("local");
    const localFeed = await serveSite(local.key, { ...local, posts: plainPosts(0, 1, FIXED_NOW - HOUR) });
    const config = configFollowing([followed(who, "http://10.1.2.3/feed.xml"), followed(local, localFeed)]);
    const job = await poll({ config, now: FIXED_NOW, env: testEnv({ FETCH_ALLOW_LOOPBACK: "false" }) });
    expect(job.fetches).toBe(0);
    expect(job.failures.map((failure) => failure.reason)).toEqual([
      expect.stringMatching(/10\.1\.2\.3.*private address/),
      expect.stringMatching(/127\.0\.0\.1.*loopback address/),
    ]);
  });
});

describe("budgets", () => {
  it("a run never makes more subrequests than its budget; the feeds that did not fit are first next run", async () => {
    const accounts = Array.from({ length: 30 }, (_, i) => account(`many${i}`));
    const feeds = await Promise.all(accounts.map((who) => serveSite(who.key, { ...who, posts: plainPosts(0, 1, FIXED_NOW - HOUR) })));
    const config = configFollowing(accounts.map((who, i) => followed(who, feeds[i]!)));
    const first = await poll({ config, now: FIXED_NOW, options: { itemsPerRun: 10_000 } });
    // 45 subrequests a run: a few D1 calls of the run itself, then per feed one fetch and one write.
    expect(first.fetches + first.d1_calls).toBeLessThanOrEqual(45);
    const [, polled, stored, waiting] =
      /^polled (\d+) of 30 followed feeds: \d+ with new posts \((\d+) items stored\); (\d+) wait for the next run \(30 new\)$/.exec(first.summary) ?? [];
    expect(Number(polled)).toBeGreaterThanOrEqual(19);
    expect(Number(stored)).toBe(Number(polled));
    expect(Number(polled) + Number(waiting)).toBe(30);
    expect(first.fetches).toBe(Number(polled));
    const second = await poll({ config, now: FIXED_NOW + MINUTE, options: { itemsPerRun: 10_000 } });
    // The ones that waited, and any whose slot came up in the minute since (a 304 each).
    expect(second.summary).toMatch(
      new RegExp(`^polled \\d+ of 30 followed feeds: ${waiting} with new posts \\(${waiting} items? stored\\)(, \\d+ not modified)?$`),
    );
    for (const who of accounts) expect(await storedGuids(who.user_id)).toEqual(["0"]);
  });

  it("new follows wait when the run's share of items to parse cannot hold their backfill", async () => {
    const accounts = Array.from({ length: 3 }, (_, i) => account(`share${i}`));
    const feeds = await Promise.all(accounts.map((who) => serveSite(who.key, { ...who, posts: plainPosts(0, 60, FIXED_NOW - HOUR) })));
    const config = configFollowing(accounts.map((who, i) => followed(who, feeds[i]!)));
    const first = await poll({ config, now: FIXED_NOW, options: { itemsPerRun: 120, poll: { backfillItems: 50, maxWalkPages: 20 } } });
    expect(first.summary).toBe("polled 2 of 3 followed feeds: 2 with new posts (100 items stored); 1 wait for the next run (3 new)");
    const second = await poll({ config, now: FIXED_NOW + MINUTE, options: { itemsPerRun: 120, poll: { backfillItems: 50, maxWalkPages: 20 } } });
    expect(second.summary).toBe("polled 1 of 3 followed feeds: 1 with new posts (50 items stored)");
  });
});
