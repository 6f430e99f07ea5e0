// Onboarding: many follows new at once. A run starts at most firstPollsPerRun first polls (a fetch,
// a backfill of up to poll.backfillItems items parsed and stored, a D1 batch each); the others wait,
// first in line, for the next runs. Every follow still gets its whole backfill, stored once:
// onboarding is only spread over more runs.
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_TIMELINE_OPTIONS, type TimelinePollOptions } from "../../lib/timeline/poll-job.ts";
import { account, configFollowing, FIXED_NOW, followed, HOUR, MINUTE, plainPosts, poll, resetPoller, serveSite, storedGuids } from "./support.ts";

beforeEach(resetPoller);

/** The production bound (the test helper lifts it unless the options set it). */
const bounded: Partial<TimelinePollOptions> = { firstPollsPerRun: DEFAULT_TIMELINE_OPTIONS.firstPollsPerRun };

describe("the bound on first polls", () => {
  it("is a count whose backfill leaves most of a run's items to parse for regular polls", () => {
    const { firstPollsPerRun, poll: limits, itemsPerRun } = DEFAULT_TIMELINE_OPTIONS;
    expect(Number.isInteger(firstPollsPerRun) && firstPollsPerRun >= 1).toBe(true);
    expect(firstPollsPerRun * limits.backfillItems).toBeLessThanOrEqual(itemsPerRun / 2);
  });
});

describe("onboarding many follows at once", () => {
  it("takes ceil(N / firstPollsPerRun) runs and stores every follow's backfill once", async () => {
    const perRun = DEFAULT_TIMELINE_OPTIONS.firstPollsPerRun;
    const backfill = DEFAULT_TIMELINE_OPTIONS.poll.backfillItems;
    const count = 2 * perRun + 1;
    const accounts = Array.from({ length: count }, (_, i) => account(`onboard${i}`));
    // More posts than the backfill: each first poll stores exactly the newest `backfill`.
    const feeds = await Promise.all(accounts.map((who) => serveSite(who.key, { ...who, posts: plainPosts(0, backfill + 5, FIXED_NOW - HOUR) })));
    const config = configFollowing(accounts.map((who, i) => followed(who, feeds[i]!)));

    const expectedRuns = Math.ceil(count / perRun);
    let read = 0;
    for (let run = 0; run < expectedRuns; run++) {
      const job = await poll({ config, now: FIXED_NOW + run * MINUTE, options: bounded });
      const polled = Math.min(perRun, count - read);
      read += polled;
      const waiting = count - read;
      expect(job.summary).toBe(
        `polled ${polled} of ${count} followed feeds: ${polled} with new posts (${polled * backfill} items stored)` +
          `${waiting ? `; ${waiting} wait for the next run` : ""}${run === 0 ? ` (${count} new)` : ""}`,
      );
      expect(job.fetches).toBe(polled);
    }
    const newest = Array.from({ length: backfill }, (_, k) => String(backfill + 4 - k));
    for (const who of accounts) expect(await storedGuids(who.user_id)).toEqual(newest);

    // Once every follow is read, no first poll is left: the next run stores nothing more.
    const after = await poll({ config, now: FIXED_NOW + expectedRuns * MINUTE, options: bounded });
    expect(after.summary).not.toMatch(/items? stored|wait for the next run/);
    for (const who of accounts) expect(await storedGuids(who.user_id)).toHaveLength(backfill);
  });

  it("regular polls are not held back by first polls waiting", async () => {
    const perRun = DEFAULT_TIMELINE_OPTIONS.firstPollsPerRun;
    const old = account("onboardold");
    const oldFeed = await serveSite(old.key, { ...old, posts: plainPosts(0, 2, FIXED_NOW - HOUR) });
    await poll({ config: configFollowing([followed(old, oldFeed)]), now: FIXED_NOW, options: bounded });
    // The old follow posts, and perRun + 2 follows are new.
    await serveSite(old.key, { ...old, posts: plainPosts(0, 3, FIXED_NOW) });
    const fresh = Array.from({ length: perRun + 2 }, (_, i) => account(`onboardnew${i}`));
    const freshFeeds = await Promise.all(fresh.map((who) => serveSite(who.key, { ...who, posts: plainPosts(0, 1, FIXED_NOW - HOUR) })));
    const config = configFollowing([followed(old, oldFeed), ...fresh.map((who, i) => followed(who, freshFeeds[i]!))]);
    const job = await poll({ config, now: FIXED_NOW + MINUTE, all: true, options: bounded });
    expect(job.summary).toBe(
      `polled ${perRun + 1} of ${perRun + 3} followed feeds: ${perRun + 1} with new posts (${perRun + 1} items stored); 2 wait for the next run (${perRun + 2} new)`,
    );
    expect(await storedGuids(old.user_id)).toEqual(["2", "1", "0"]);
  });
});
