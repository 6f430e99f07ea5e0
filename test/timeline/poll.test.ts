// The poller against real feeds that change between polls (test/worker/support/feed-server-timeline.ts):
// a first poll's bounded backfill, conditional GET (the server sees the validators; a 304 writes
// nothing), new posts stored once however often a page is read, follows.yaml reconciled.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import {
  account,
  configFollowing,
  FIXED_NOW,
  followed,
  followRow,
  HOUR,
  MINUTE,
  meteredPoll,
  plainPosts,
  poll,
  requestLog,
  resetPoller,
  serveSite,
  storedGuids,
  storedItems,
} from "./support.ts";

beforeEach(resetPoller);

describe("a new follow", () => {
  it("is polled at the next run and backfills only the newest items of the head page", async () => {
    const who = account("backfill");
    const feed = await serveSite(who.key, { ...who, full_name: "Back Fill", posts: plainPosts(0, 80, FIXED_NOW - HOUR) });
    const config = configFollowing([followed(who, feed)]);
    const job = await poll({ config, now: FIXED_NOW, options: { poll: { backfillItems: 20, maxWalkPages: 20 } } });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (20 items stored) (1 new)");
    const guids = await storedGuids(who.user_id);
    expect(guids).toEqual(Array.from({ length: 20 }, (_, i) => String(79 - i)));
    const items = await storedItems(who.user_id);
    expect(items[0]).toMatchObject({ username: who.username, name: "Back Fill", user_link: feed, link: feed.replace("feed.xml", "posts/79/"), mention: 0 });
    expect(items[0]!.html).toContain("Post number 79.");
    expect(items[0]!.published_ms).toBe(FIXED_NOW - HOUR);
    const row = await followRow(who.user_id);
    expect(row).toMatchObject({ failures: 0, due_ms: null, walk: null, newest_item_ms: FIXED_NOW - HOUR });
    expect(JSON.parse(row!.seen!)).toEqual({ max: 79, guids: ["79", "78", "77", "76", "75"] });
  });

  it("of an empty feed is read once and is then an ordinary follow", async () => {
    const who = account("empty");
    const feed = await serveSite(who.key, { ...who, posts: [] });
    const config = configFollowing([followed(who, feed)]);
    expect((await poll({ config, now: FIXED_NOW })).summary).toBe("polled 1 of 1 followed feed: 1 without new posts (1 new)");
    expect(await storedGuids(who.user_id)).toEqual([]);
    expect((await followRow(who.user_id))?.seen).toBe('{"max":null,"guids":[]}');
  });
});

describe("conditional GET", () => {
  it("sends the stored ETag and Last-Modified; a 304 stores nothing and writes no follow row", async () => {
    const who = account("etag");
    const feed = await serveSite(who.key, { ...who, posts: plainPosts(0, 3, FIXED_NOW - 2 * HOUR) });
    const config = configFollowing([followed(who, feed)]);
    await poll({ config, now: FIXED_NOW });
    const before = await followRow(who.user_id);
    const { job, usage } = await meteredPoll({ config, now: FIXED_NOW + 10 * MINUTE, all: true });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 not modified");
    expect(job.fetches).toBe(1);
    // Only the run's own row (its minute): the 304 changed nothing about the feed.
    expect(usage.rowsWritten).toBe(1);
    expect(await followRow(who.user_id)).toEqual(before);
    const log = await requestLog(who.key);
    expect(log.at(-2)).toMatchObject({ path: "/feed.xml", if_none_match: null, if_modified_since: null, status: 200 });
    expect(log.at(-1)).toMatchObject({ path: "/feed.xml", if_none_match: before!.etag, if_modified_since: before!.last_modified, status: 304 });
    expect(before!.etag).toMatch(/^"[0-9a-f]{16}"$/);
  });

  it("a feed that changed answers 200 and only its new items are parsed and stored", async () => {
    const who = account("changed");
    const feed = await serveSite(who.key, { ...who, posts: plainPosts(0, 3, FIXED_NOW - 2 * HOUR) });
    const config = configFollowing([followed(who, feed)]);
    await poll({ config, now: FIXED_NOW });
    const unchanged = await poll({ config, now: FIXED_NOW + MINUTE, all: true });
    await serveSite(who.key, { ...who, posts: plainPosts(0, 5, FIXED_NOW + 5 * MINUTE) });
    const { job, usage } = await meteredPoll({ config, now: FIXED_NOW + 10 * MINUTE, all: true });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (2 items stored)");
    // One D1 call more than a 304 run: the feed's new items and its state go in one batch.
    expect(job.d1_calls - unchanged.d1_calls).toBe(1);
    // 2 items x 3 rows (row, uniqueness index, date index) + the follow row + the run's row.
    expect(usage.rowsWritten).toBe(2 * 3 + 1 + 1);
    expect(await storedGuids(who.user_id)).toEqual(["4", "3", "2", "1", "0"]);
    expect((await requestLog(who.key)).at(-1)).toMatchObject({ status: 200 });
  });

  it("a feed served without validators is read again each time, and writes nothing when nothing is new", async () => {
    const who = account("novalidators");
    const feed = await serveSite(who.key, { ...who, validators: false, posts: plainPosts(0, 3, FIXED_NOW - HOUR) });
    const config = configFollowing([followed(who, feed)]);
    await poll({ config, now: FIXED_NOW });
    const { job, usage } = await meteredPoll({ config, now: FIXED_NOW + 10 * MINUTE, all: true });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 without new posts");
    expect(usage.rowsWritten).toBe(1);
    expect((await requestLog(who.key)).every((entry) => entry.if_none_match === null && entry.status === 200)).toBe(true);
  });
});

describe("dedupe", () => {
  it("an item read on several polls is stored once, even when the feed is read again from scratch", async () => {
    const who = account("dedupe");
    const feed = await serveSite(who.key, { ...who, posts: plainPosts(0, 4, FIXED_NOW - HOUR) });
    const config = configFollowing([followed(who, feed)]);
    await poll({ config, now: FIXED_NOW });
    // Forget where it stopped (as if the state were lost): the same page is read and stored again.
    await env.DB.prepare("UPDATE timeline_follows SET seen = NULL, etag = NULL, last_modified = NULL WHERE user_id = ?1").bind(who.user_id).run();
    const job = await poll({ config, now: FIXED_NOW + MINUTE, all: true });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (0 items stored)");
    expect(await storedGuids(who.user_id)).toEqual(["3", "2", "1", "0"]);
  });
});

describe("follows.yaml", () => {
  it("an unfollowed account is no longer polled; its stored items stay", async () => {
    const who = account("unfollow");
    const other = account("stays");
    const feed = await serveSite(who.key, { ...who, posts: plainPosts(0, 2, FIXED_NOW - HOUR) });
    const otherFeed = await serveSite(other.key, { ...other, posts: plainPosts(0, 1, FIXED_NOW - HOUR) });
    await poll({ config: configFollowing([followed(who, feed), followed(other, otherFeed)]), now: FIXED_NOW });
    const job = await poll({ config: configFollowing([followed(other, otherFeed)]), now: FIXED_NOW + MINUTE, all: true });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 not modified (1 unfollowed)");
    expect(await followRow(who.user_id)).toBeNull();
    expect(await storedGuids(who.user_id)).toEqual(["1", "0"]);
  });

  it("an account moved to blocks.yaml loses its stored items too", async () => {
    const who = account("blockedlater");
    const feed = await serveSite(who.key, { ...who, posts: plainPosts(0, 2, FIXED_NOW - HOUR) });
    await poll({ config: configFollowing([followed(who, feed)]), now: FIXED_NOW });
    const blocks = [{ user_id: who.user_id }];
    const job = await poll({ config: configFollowing([], { blocks }), now: FIXED_NOW + MINUTE });
    expect(job.summary).toBe("no feed due (0 followed feeds; 1 unfollowed)");
    expect(await storedGuids(who.user_id)).toEqual([]);
  });

  it("a follow whose username changed in follows.yaml is renamed without a poll", async () => {
    const who = account("rename");
    const feed = await serveSite(who.key, { ...who, posts: plainPosts(0, 1, FIXED_NOW - 5 * 24 * HOUR) });
    await poll({ config: configFollowing([followed(who, feed)]), now: FIXED_NOW });
    const job = await poll({ config: configFollowing([followed({ ...who, username: "renamed" }, feed)]), now: FIXED_NOW + MINUTE });
    expect(job.summary).toMatch(/1 changed in follows\.yaml/);
    expect((await followRow(who.user_id))?.username).toBe("renamed");
  });
});
