// Spec "Relocation", "Obligation of the Client": a <microblog:relocate> redirects the crawler at once;
// so does a permanent redirect (301/308) of the feed URL. The follow remembers where it moved until
// follows.yaml says so too (npm run follow -- <new URL>); a temporary redirect (302) changes nothing.
import { beforeEach, describe, expect, it } from "vitest";
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
  requestLog,
  resetPoller,
  server,
  serveSite,
  storedGuids,
} from "./support.ts";

beforeEach(resetPoller);

describe("<microblog:relocate>", () => {
  it("switches polling to the new feed in the same poll, and never asks the old URL again", async () => {
    const who = account("reloc");
    const newKey = `${who.key}-new`;
    const oldFeed = await serveSite(who.key, { ...who, posts: plainPosts(0, 3, FIXED_NOW - 3 * HOUR) });
    const config = configFollowing([followed(who, oldFeed)]);
    await poll({ config, now: FIXED_NOW });
    // The new service imported the old posts (same guids) and has two new ones; the old head says where.
    const newFeed = await serveSite(newKey, { ...who, posts: plainPosts(0, 5, FIXED_NOW - HOUR) });
    await serveSite(who.key, { ...who, relocate: newFeed, posts: plainPosts(0, 3, FIXED_NOW - 3 * HOUR) });
    const job = await poll({ config, now: FIXED_NOW + 10 * MINUTE, all: true });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (2 items stored), 1 moved (npm run timeline -- status)");
    expect(job.failures).toEqual([
      {
        target: `@${who.username} (${oldFeed})`,
        reason: `${oldFeed} relocated to ${newFeed}: polling the new URL; update follows.yaml (npm run follow -- ${newFeed})`,
      },
    ]);
    expect(await storedGuids(who.user_id)).toEqual(["4", "3", "2", "1", "0"]);
    const row = await followRow(who.user_id);
    expect(row).toMatchObject({ feed_url: newFeed, moved_to: newFeed, user_link: oldFeed, failures: 0 });
    const oldRequests = (await requestLog(who.key)).length;
    await poll({ config, now: FIXED_NOW + 20 * MINUTE, all: true });
    expect((await requestLog(who.key)).length).toBe(oldRequests);
    expect((await requestLog(newKey)).at(-1)).toMatchObject({ path: "/feed.xml", status: 304 });
  });

  it("to a feed of another user_id is refused: nothing of it is stored", async () => {
    const who = account("reloc-other");
    const stranger = account("stranger");
    const strangerFeed = await serveSite(stranger.key, { ...stranger, posts: plainPosts(0, 2, FIXED_NOW - HOUR) });
    const oldFeed = await serveSite(who.key, { ...who, posts: plainPosts(0, 1, FIXED_NOW - HOUR) });
    const config = configFollowing([followed(who, oldFeed)]);
    await poll({ config, now: FIXED_NOW });
    await serveSite(who.key, { ...who, relocate: strangerFeed, posts: plainPosts(0, 1, FIXED_NOW - HOUR) });
    const job = await poll({ config, now: FIXED_NOW + MINUTE, all: true });
    expect(job.failures[0]?.reason).toBe(`the feed at ${strangerFeed} belongs to user_id ${stranger.user_id}, not ${who.user_id} as in follows.yaml`);
    expect(await storedGuids(stranger.user_id)).toEqual([]);
    expect(await storedGuids(who.user_id)).toEqual(["0"]);
    expect(await followRow(who.user_id)).toMatchObject({ moved_to: strangerFeed, failures: 1 });
  });

  it("is taken over when follows.yaml names the new URL (npm run follow -- <new URL>): moved_to is cleared", async () => {
    const who = account("reloc-yaml");
    const newFeed = await serveSite(`${who.key}-new`, { ...who, posts: plainPosts(0, 2, FIXED_NOW - HOUR) });
    const oldFeed = await serveSite(who.key, { ...who, relocate: newFeed, posts: plainPosts(0, 2, FIXED_NOW - HOUR) });
    await poll({ config: configFollowing([followed(who, oldFeed)]), now: FIXED_NOW });
    expect((await followRow(who.user_id))?.moved_to).toBe(newFeed);
    const job = await poll({ config: configFollowing([followed(who, newFeed)]), now: FIXED_NOW + MINUTE });
    expect(job.summary).toMatch(/1 changed in follows\.yaml/);
    expect(await followRow(who.user_id)).toMatchObject({ user_link: newFeed, feed_url: newFeed, moved_to: null });
  });
});

describe("redirects", () => {
  it("a 301 of the feed URL moves polling to where it points", async () => {
    const who = account("perm");
    await serveSite(who.key, { ...who, posts: plainPosts(0, 2, FIXED_NOW - HOUR) });
    const movedUrl = `${server}/tl/moved/${who.key}/feed.xml`;
    const target = `${server}/tl/s/${who.key}/feed.xml`;
    const config = configFollowing([followed(who, movedUrl)]);
    const job = await poll({ config, now: FIXED_NOW });
    expect(job.fetches).toBe(2);
    expect(await storedGuids(who.user_id)).toEqual(["1", "0"]);
    expect(await followRow(who.user_id)).toMatchObject({ user_link: movedUrl, feed_url: target, moved_to: target });
    const again = await poll({ config, now: FIXED_NOW + MINUTE, all: true });
    expect(again.fetches).toBe(1);
    expect(again.summary).toBe("polled 1 of 1 followed feed: 1 not modified");
  });

  it("a 302 is followed but the follow keeps its URL", async () => {
    const who = account("temp");
    await serveSite(who.key, { ...who, posts: plainPosts(0, 1, FIXED_NOW - HOUR) });
    const tempUrl = `${server}/tl/temp/${who.key}/feed.xml`;
    await poll({ config: configFollowing([followed(who, tempUrl)]), now: FIXED_NOW });
    expect(await storedGuids(who.user_id)).toEqual(["0"]);
    expect(await followRow(who.user_id)).toMatchObject({ feed_url: tempUrl, moved_to: null });
  });
});
