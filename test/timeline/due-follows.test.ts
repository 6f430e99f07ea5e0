// The poller's quiet-run fast path (store.ts loadDueFollows): SQLite decides which follows are due, so
// a run reads back a handful of rows instead of every follow. It must answer exactly what the
// JavaScript schedule (follow-sync.ts isDueBrief, schedule.ts) answers, in a real local D1, and must
// notice whenever D1 and follows.yaml differ (then the run takes the full path that reconciles them).
// Also: the per-isolate caches of what depends only on the site config.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { seededRandom } from "../../lib/harness/seeded-random.ts";
import type { FollowedAccount, SiteConfig } from "../../lib/shared/site-config.ts";
import { normalizeUserLink } from "../../lib/shared/urls.ts";
import { isDueBrief, listedFollows } from "../../lib/timeline/follow-sync.ts";
import { followedAccounts, matchesIdentity, mentionTest } from "../../lib/timeline/items.ts";
import { DAY_MINUTES, minuteOf, phaseOf, slotDue } from "../../lib/timeline/schedule.ts";
import { type FollowBrief, loadDueFollows, loadPollerState } from "../../lib/timeline/store.ts";
import { hubFedFollows } from "../../lib/timeline/websub-store.ts";
import { HUB_FED_POLL_MINUTES } from "../../lib/timeline/websub-subscribe-job.ts";
import { FIXED_NOW, testConfig } from "../worker/support/worker.ts";
import { followed, plainPosts, poll, serveSite, account as siteAccount } from "./support.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function account(i: number): FollowedAccount {
  const userLink = `http://127.0.0.1:9/d${i}/feed.xml`;
  return {
    user_id: `d0e00000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    username: `due${i}`,
    user_link: userLink,
    link: normalizeUserLink(userLink)!,
  };
}

async function reset(): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM timeline_follows"),
    env.DB.prepare("DELETE FROM timeline_poller"),
    env.DB.prepare("DELETE FROM websub_follows"),
  ]);
}

/** `count` follows with random schedule state, some fed by a hub (active or expired lease). */
async function seed(next: () => number, follows: readonly FollowedAccount[], now: number): Promise<void> {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const statements = follows.map((follow) =>
    env.DB.prepare(
      `INSERT INTO timeline_follows (user_id, username, user_link, feed_url, phase, added_ms, due_ms, seen, walk, newest_item_ms)
       VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9)`,
    ).bind(
      follow.user_id,
      follow.username,
      follow.user_link,
      // Real phases most of the time; the edges of [0, 1440) too.
      pick([phaseOf(follow.user_id), 0, DAY_MINUTES - 1, Math.floor(next() * DAY_MINUTES)]),
      now - 30 * 24 * HOUR,
      next() < 0.7 ? null : now + Math.round((next() - 0.5) * 4 * HOUR),
      next() < 0.1 ? null : '{"max":3,"guids":["3"]}',
      next() < 0.1 ? '{"url":"x","skip":0}' : null,
      // No post seen, a post at every tier's edge, a post dated in the future.
      pick([
        null,
        now,
        now - HOUR,
        now - HOUR + 1,
        now - 2 * HOUR,
        now - 3 * HOUR,
        now - 5 * HOUR,
        now - 13 * HOUR,
        now - 30 * HOUR,
        now - 80 * HOUR,
        now + HOUR,
      ]),
    ),
  );
  for (const follow of follows) {
    const fed = next();
    if (fed < 0.2) {
      statements.push(
        env.DB.prepare(
          `INSERT INTO websub_follows (user_id, token, secret, state, lease_expires_ms, checked_ms, attempts, pushes)
           VALUES (?1, ?2, 's', ?3, ?4, ?5, 0, 0)`,
        ).bind(follow.user_id, `tok-${follow.user_id}`, fed < 0.1 ? "active" : "subscribing", fed < 0.15 ? now + HOUR : now - 1, now - HOUR),
      );
    }
  }
  await env.DB.batch(statements);
}

async function setLastRun(minute: number | null): Promise<void> {
  await env.DB.prepare("DELETE FROM timeline_poller").run();
  if (minute !== null) await env.DB.prepare("INSERT INTO timeline_poller (id, last_run_minute) VALUES (1, ?1)").bind(minute).run();
}

/** The due set the JavaScript schedule computes from every row (the full path). */
async function dueInJavaScript(now: number): Promise<string[]> {
  const [state, hubFed] = await Promise.all([loadPollerState(env.DB), hubFedFollows(env.DB, now)]);
  return state.follows
    .filter((row) => isDueBrief(row, { now, nowMinute: minuteOf(now), lastRunMinute: state.lastRunMinute, hubFed }))
    .map((row) => row.user_id)
    .sort();
}

describe("the due follows, decided by SQLite", () => {
  beforeEach(reset);

  it("are exactly those the JavaScript schedule finds due, row for row, over random follows, runs and last runs", async () => {
    const next = seededRandom(8).next;
    const follows = Array.from({ length: 240 }, (_, i) => account(i));
    const config = testConfig({ follows, blocks: [] });
    await seed(next, follows, FIXED_NOW);
    const listed = listedFollows(config);
    let dueSeen = 0;
    for (let round = 0; round < 40; round++) {
      const now = FIXED_NOW + Math.floor(next() * 3 * 24 * 60) * MINUTE + (round % 3) * 1234;
      const nowMinute = minuteOf(now);
      // No last run, the minute before, a gap of minutes, more than a day, this very minute.
      const last = [null, nowMinute - 1, nowMinute - 1 - Math.floor(next() * 300), nowMinute - DAY_MINUTES - 50, nowMinute][round % 5]!;
      await setLastRun(last);
      const fast = await loadDueFollows(env.DB, listed.json, listed.count, now, nowMinute, HUB_FED_POLL_MINUTES);
      expect(fast.consistent).toBe(true);
      expect(fast.stored).toBe(follows.length);
      expect(fast.lastRunMinute).toBe(last);
      const expected = await dueInJavaScript(now);
      expect(fast.due.map((row) => row.user_id).sort(), `round ${round}, now ${now}, last run ${last}`).toEqual(expected);
      dueSeen += expected.length;
      // The rows come back as the full path reads them.
      const full = new Map((await loadPollerState(env.DB)).follows.map((row) => [row.user_id, row]));
      for (const row of fast.due) expect(row).toEqual({ ...full.get(row.user_id)! } satisfies FollowBrief);
    }
    // The rounds exercised both answers.
    expect(dueSeen).toBeGreaterThan(40);
    expect(dueSeen).toBeLessThan(40 * follows.length);
  });

  it("notice every difference from follows.yaml: a follow without a row, a row not followed, another username or user_link", async () => {
    const follows = Array.from({ length: 5 }, (_, i) => account(1000 + i));
    await seed(seededRandom(3).next, follows, FIXED_NOW);
    const check = async (list: FollowedAccount[]) => {
      const listed = listedFollows(testConfig({ follows: list, blocks: [] }));
      return loadDueFollows(env.DB, listed.json, listed.count, FIXED_NOW, minuteOf(FIXED_NOW), HUB_FED_POLL_MINUTES);
    };
    expect((await check(follows)).consistent).toBe(true);
    expect((await check([...follows, account(2000)])).consistent).toBe(false);
    expect((await check(follows.slice(1))).consistent).toBe(false);
    expect((await check([{ ...follows[0]!, username: "renamed" }, ...follows.slice(1)])).consistent).toBe(false);
    expect((await check([{ ...follows[0]!, user_link: "http://127.0.0.1:9/elsewhere.xml" }, ...follows.slice(1)])).consistent).toBe(false);
    // A blocked follow is not followed: its row is one D1 has and follows.yaml does not.
    const blocked = testConfig({ follows, blocks: [{ user_id: follows[2]!.user_id }] });
    const listed = listedFollows(blocked);
    expect(listed.count).toBe(4);
    expect((await loadDueFollows(env.DB, listed.json, listed.count, FIXED_NOW, minuteOf(FIXED_NOW), HUB_FED_POLL_MINUTES)).consistent).toBe(false);
  });

  it("let a quiet run cost the poller one D1 call, and reconcile first when follows.yaml changed", async () => {
    const who = ["quietone", "quiettwo", "quietthree"].map((name) => siteAccount(name));
    // Posts 20 days old: each feed is polled every 4 hours, in its own slots.
    const follows = await Promise.all(
      who.map(async (person) => followed(person, await serveSite(person.key, { ...person, posts: plainPosts(0, 2, FIXED_NOW - 20 * 24 * HOUR) }))),
    );
    const config = testConfig({ follows, blocks: [] });
    const first = await poll({ config, now: FIXED_NOW });
    expect(first.summary).toBe("polled 3 of 3 followed feeds: 3 with new posts (6 items stored) (3 new)");
    // A minute in which no slot of theirs falls: nothing due, and no follow is read back.
    const firstMinute = minuteOf(FIXED_NOW);
    const quietMinute = Array.from({ length: 200 }, (_, k) => firstMinute + 1 + k).find((minute) =>
      follows.every((follow) => !slotDue(firstMinute, minute, phaseOf(follow.user_id), 240)),
    )!;
    const quiet = await poll({ config, now: quietMinute * MINUTE });
    expect(quiet.summary).toBe("no feed due (3 followed feeds)");
    expect(quiet.d1_calls).toBe(1);
    // follows.yaml changed: the run notices, reconciles (the full path) and says so.
    const changed = await poll({ config: testConfig({ follows: follows.slice(1), blocks: [] }), now: (quietMinute + 1) * MINUTE });
    expect(changed.summary).toMatch(/\(2 followed feeds; 1 unfollowed\)$|\(1 unfollowed\)$/);
    expect((await loadPollerState(env.DB)).follows.map((row) => row.user_id).sort()).toEqual(
      follows
        .slice(1)
        .map((follow) => follow.user_id)
        .sort(),
    );
  });
});

describe("what depends only on the site config", () => {
  it("is computed once per config object, equal to computing it afresh", () => {
    const follows = Array.from({ length: 4 }, (_, i) => account(4000 + i));
    const config: SiteConfig = testConfig({ follows, blocks: [{ user_id: follows[1]!.user_id }, { link: follows[3]!.link }] });
    const fresh = config.follows.filter((follow) => !matchesIdentity(config.blocks, follow.user_id, follow.user_link));
    expect(followedAccounts(config)).toEqual(fresh);
    expect(followedAccounts(config).map((follow) => follow.username)).toEqual(["due4000", "due4002"]);
    expect(followedAccounts(config)).toBe(followedAccounts(config));
    const listed = listedFollows(config);
    expect(listedFollows(config)).toBe(listed);
    expect(JSON.parse(listed.json)).toEqual(fresh.map((follow) => [follow.user_id, follow.username, follow.user_link]));
    expect(listed).toMatchObject({ count: 2, distinct: true });
    expect([...listed.order]).toEqual([
      [follows[0]!.user_id, 0],
      [follows[2]!.user_id, 1],
    ]);
    expect(mentionTest(config.owner)).toBe(mentionTest(config.owner));
  });

  it("is computed again for another config (a test's, a new deploy's)", () => {
    const follows = Array.from({ length: 3 }, (_, i) => account(5000 + i));
    const before = testConfig({ follows, blocks: [] });
    const after = testConfig({ follows: follows.slice(0, 2), blocks: [{ user_id: follows[0]!.user_id }] });
    expect(followedAccounts(before)).toHaveLength(3);
    expect(followedAccounts(after).map((follow) => follow.user_id)).toEqual([follows[1]!.user_id]);
    expect(listedFollows(after).count).toBe(1);
    expect(listedFollows(before).count).toBe(3);
    // A follow listed twice (the build refuses it) is noticed: such a config always takes the full path.
    expect(listedFollows(testConfig({ follows: [follows[0]!, follows[0]!], blocks: [] })).distinct).toBe(false);
    // Another owner, another mention test.
    const owner = { ...before.owner, username: "someoneelse" };
    const item = { description: "hello @someoneelse" };
    expect(mentionTest(owner)(item)).toBe(true);
    expect(mentionTest(before.owner)(item)).toBe(false);
  });
});
