// What one followed feed may write: a hostile feed (an endless next_node chain of fresh guids) stores
// at most feedQuota.itemsPerRun items a run and feedQuota.itemsPerDay a UTC day, is then paused until
// midnight with the reason in its status, and resumes the next day. The defaults hold one feed under
// the documented share of the free plan's 100,000 D1 rows a day (docs/timeline.md). Two feeds that
// relocate to each other back off like any failing feed instead of costing two fetches every run.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, DEFAULT_FEED_QUOTA, dayOf, ROWS_PER_ITEM } from "../../lib/timeline/feed-quota.ts";
import { DEFAULT_TIMELINE_OPTIONS } from "../../lib/timeline/poll-job.ts";
import { readFollows } from "../../lib/timeline/queries.ts";
import { backoffMinutes } from "../../lib/timeline/schedule.ts";
import {
  account,
  configFollowing,
  FIXED_NOW,
  followed,
  followRow,
  MINUTE,
  meteredPoll,
  plainPosts,
  poll,
  requestLog,
  resetPoller,
  server,
  serveSite,
  storedItems,
} from "./support.ts";

beforeEach(resetPoller);

const FREE_PLAN_ROWS_A_DAY = 100_000;
/** The share of the day's rows one followed feed may write (docs/timeline.md). */
const FEED_SHARE = 0.02;

describe("the defaults", () => {
  it("hold one followed feed under 2% of the free plan's rows a day: items, plus its state row once a run", () => {
    const { itemsPerRun, itemsPerDay } = DEFAULT_FEED_QUOTA;
    expect(DEFAULT_TIMELINE_OPTIONS.feedQuota).toEqual(DEFAULT_FEED_QUOTA);
    // Its state row is written at most once a run; the runs that store items: ceil(day / run).
    const runsStoring = Math.ceil(itemsPerDay / itemsPerRun);
    // Runs that store nothing write its row only when something changed: at most one a poll, and a
    // feed with new posts is polled at most every 5 minutes (schedule.ts): 288 a day.
    const rowsAtMost = itemsPerDay * ROWS_PER_ITEM + runsStoring + 288;
    expect(rowsAtMost).toBeLessThanOrEqual(FEED_SHARE * FREE_PLAN_ROWS_A_DAY);
    expect(itemsPerRun).toBeLessThan(DEFAULT_TIMELINE_OPTIONS.itemsPerRun);
  });
});

describe("a followed feed that turns hostile", () => {
  const quota = { itemsPerRun: 10, itemsPerDay: 25 };

  it("stores its run's and its day's number of items, is paused until midnight with the reason shown, and resumes then", async () => {
    const who = account("endless");
    const config = configFollowing([followed(who, `${server}/tl/endless/${who.user_id}/0.xml`)]);
    const options = { feedQuota: quota };
    const stored: number[] = [];
    const fetches: number[] = [];
    let rows = 0;
    let now = FIXED_NOW;
    for (let run = 0; run < 6; run++, now += MINUTE) {
      // `all`: polled every run, as a feed that is catching up is (and as npm run tick -- --all does).
      const { job, usage } = await meteredPoll({ config, now, options, all: true });
      rows += usage.rowsWritten;
      fetches.push(job.fetches);
      stored.push(Number(/\((\d+) items? stored\)/.exec(job.summary)?.[1] ?? 0));
      if (run === 2)
        expect(job.failures.map((f) => f.reason)).toContainEqual(expect.stringMatching(/^paused until 2026-03-02T00:00:00Z: 25 items stored today/));
    }
    expect(stored).toEqual([10, 10, 5, 0, 0, 0]);
    // Once paused, a run does not even fetch it.
    expect(fetches.slice(3)).toEqual([0, 0, 0]);
    expect(await storedItems(who.user_id)).toHaveLength(25);
    // Each item is 3-4 rows, the follow's row 1 a run that wrote, the run's own bookkeeping 1 a run.
    expect(rows).toBeLessThanOrEqual(25 * ROWS_PER_ITEM + 6 + 6 + 2);
    const row = (await followRow(who.user_id))!;
    expect(row).toMatchObject({ paused_until_ms: dayOf(FIXED_NOW) + DAY_MS, due_ms: dayOf(FIXED_NOW) + DAY_MS, items_today: 25, failures: 0 });
    const status = (await readFollows(env.DB, config, now)).follows[0]!;
    expect(status).toMatchObject({ state: "paused", next_poll_at: "2026-03-02T00:00:00Z" });
    expect(status.last_error).toMatch(/the most one followed feed may store in a day/);

    // The next day: read again, its own day's numbers.
    const tomorrow = dayOf(FIXED_NOW) + DAY_MS + MINUTE;
    const job = await poll({ config, now: tomorrow, options });
    expect(job.summary).toMatch(/\(10 items stored\)/);
    expect(await followRow(who.user_id)).toMatchObject({ paused_until_ms: null, items_today: 10, items_day_ms: dayOf(tomorrow) });
    expect((await readFollows(env.DB, config, tomorrow)).follows[0]!.state).not.toBe("paused");
  });
});

describe("two feeds that relocate to each other", () => {
  it("back off like a failing feed: fetches grow no faster than the backoff", async () => {
    const [a, b] = [account("pingA"), account("pingB")];
    const urlA = await serveSite(a.key, { ...a, posts: plainPosts(0, 1, FIXED_NOW - MINUTE) });
    const urlB = await serveSite(b.key, { ...a, posts: plainPosts(0, 1, FIXED_NOW - MINUTE), relocate: urlA });
    await serveSite(a.key, { ...a, posts: plainPosts(0, 1, FIXED_NOW - MINUTE), relocate: urlB });
    const config = configFollowing([followed(a, urlA)]);
    let now = FIXED_NOW;
    for (let run = 0; run < 30; run++, now += MINUTE) await poll({ config, now });
    const fetches = (await requestLog(a.key)).length + (await requestLog(b.key)).length;
    // Backoff 5, 10, 20 minutes: polls at 0, 5, 15 in 30 minutes, two fetches each (not 2 x 30).
    expect(fetches).toBeLessThanOrEqual(2 * 3 + 1);
    const row = (await followRow(a.user_id))!;
    expect(row.failures).toBeGreaterThanOrEqual(2);
    expect(row.last_error).toMatch(/relocates again, to .*: a chain or loop of relocations/);
    expect(row.due_ms).toBeGreaterThan(now - MINUTE + backoffMinutes(row.failures - 1) * MINUTE - 30 * MINUTE);
  });
});
