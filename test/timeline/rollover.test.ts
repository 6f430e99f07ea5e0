// No post lost (spec "Feed Paging"): 600 posts between two polls roll the author's head page over
// into an archive; the poller follows next_node until the last item it had, across runs when one run
// cannot parse them all (its share of CPU), with the cursor kept in D1. Every post is stored once.
import { beforeEach, describe, expect, it } from "vitest";
import { parseWalk } from "../../lib/timeline/poll-state.ts";
import { account, configFollowing, FIXED_NOW, followed, followRow, MINUTE, poll, requestLog, resetPoller, serveSite, storedGuids } from "./support.ts";

beforeEach(resetPoller);

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(to - i));

async function followedAfterFirstPoll(name: string) {
  const who = account(name);
  const feed = await serveSite(who.key, { ...who, count: 3 });
  const config = configFollowing([followed(who, feed)]);
  await poll({ config, now: FIXED_NOW });
  expect(await storedGuids(who.user_id)).toEqual(["2", "1", "0"]);
  // 600 more posts: the head now holds 500..602, /feed/1.xml holds 0..499 (500 items a page).
  await serveSite(who.key, { ...who, count: 603 });
  return { who, config };
}

describe("a head that rolled over between two polls", () => {
  it("is walked back along next_node in one run when the run may parse that many items", async () => {
    const { who, config } = await followedAfterFirstPoll("roll-one-run");
    const job = await poll({ config, now: FIXED_NOW + 5 * MINUTE, all: true, options: { itemsPerRun: 1000 } });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (600 items stored)");
    expect(job.fetches).toBe(2);
    expect(await storedGuids(who.user_id)).toEqual(range(0, 602));
    const row = await followRow(who.user_id);
    expect(row?.walk).toBeNull();
    expect(JSON.parse(row!.seen!)).toMatchObject({ max: 602 });
    expect((await requestLog(who.key)).map((entry) => entry.path)).toEqual(["/feed.xml", "/feed.xml", "/feed/1.xml"]);
  });

  it("continues in the next runs from a cursor when one run's share of items is used up, and stores each post once", async () => {
    const { who, config } = await followedAfterFirstPoll("roll-cursor");
    const summaries: string[] = [];
    const stored: number[] = [];
    let now = FIXED_NOW + 5 * MINUTE;
    for (let run = 0; run < 10; run++) {
      // Not `all`: a walk in progress is due at the next run by itself.
      const job = await poll({ config, now, all: run === 0 });
      summaries.push(job.summary);
      stored.push((await storedGuids(who.user_id)).length);
      const row = await followRow(who.user_id);
      if (!row?.walk) break;
      const walk = parseWalk(row.walk)!;
      expect(walk.until).toMatchObject({ max: 2 });
      expect(walk.top).toMatchObject({ max: 602 });
      now += MINUTE;
    }
    // 150 items parsed a run (the default share): 103 on the head and 47 of the archive, then 150 a run.
    expect(stored).toEqual([153, 303, 453, 603, 603]);
    expect(summaries[0]).toBe("polled 1 of 1 followed feed: 1 with new posts (150 items stored), 1 catching up (continued next run)");
    expect(summaries.at(-1)).toBe("polled 1 of 1 followed feed: 1 without new posts");
    expect(await storedGuids(who.user_id)).toEqual(range(0, 602));
    const row = await followRow(who.user_id);
    expect(row).toMatchObject({ walk: null, due_ms: null, failures: 0 });
    expect(JSON.parse(row!.seen!)).toMatchObject({ max: 602 });
    // The walk resumes the archive page; the head is polled again (conditionally) only once it is done.
    const paths = (await requestLog(who.key)).map((entry) => `${entry.path} ${entry.status}`);
    // (the fourth run's share ends on guid 3, so the fifth reads one more item: guid 2, the boundary).
    expect(paths).toEqual(["/feed.xml 200", "/feed.xml 200", ...Array.from({ length: 5 }, () => "/feed/1.xml 200")]);
  });

  it("keeps its cursor when the feed's share of fetches runs out before the archive, and finishes next run", async () => {
    const { who, config } = await followedAfterFirstPoll("roll-budget");
    const first = await poll({ config, now: FIXED_NOW + 5 * MINUTE, all: true, options: { itemsPerRun: 1000, feedLimits: { subrequests: 1 } } });
    expect(first.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (103 items stored), 1 catching up (continued next run)");
    expect(parseWalk((await followRow(who.user_id))!.walk)).toMatchObject({ url: expect.stringMatching(/\/feed\/1\.xml$/), skip: 0 });
    const second = await poll({ config, now: FIXED_NOW + 6 * MINUTE, options: { itemsPerRun: 1000, feedLimits: { subrequests: 1 } } });
    expect(second.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (497 items stored)");
    expect(await storedGuids(who.user_id)).toEqual(range(0, 602));
  });

  it("walks several archive pages (small pages) to the last item seen", async () => {
    const who = account("roll-pages");
    const feed = await serveSite(who.key, { ...who, count: 2, maxItems: 10 });
    const config = configFollowing([followed(who, feed)]);
    await poll({ config, now: FIXED_NOW });
    await serveSite(who.key, { ...who, count: 45, maxItems: 10 });
    const job = await poll({ config, now: FIXED_NOW + 5 * MINUTE, all: true });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (43 items stored)");
    expect(job.fetches).toBe(5);
    expect(await storedGuids(who.user_id)).toEqual(range(0, 44));
  });
});
