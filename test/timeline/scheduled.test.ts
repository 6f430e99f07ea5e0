// The poller as the Worker runs it: the cron trigger's scheduled() and POST /api/jobs/run (npm run
// tick) with the real job list, inside workerd with the real local D1; and the adaptive schedule over a
// simulated day of cron runs (quiet feeds every 4 hours, a feed that just posted every 5 minutes).
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { JobsRunReport } from "../../lib/shared/api-types.ts";
import { createWorker } from "../../lib/worker/worker.ts";
import { loopbackOnlyFetch, owner, testApp } from "../worker/support/worker.ts";
import {
  account,
  configFollowing,
  FIXED_NOW,
  followed,
  HOUR,
  loopbackEnv,
  MINUTE,
  plainPosts,
  poll,
  requestLog,
  resetPoller,
  serveSite,
  storedGuids,
} from "./support.ts";

beforeEach(resetPoller);

describe("the Worker's scheduled jobs", () => {
  it("scheduled() (the cron trigger) polls a new follow and stores its posts", async () => {
    const who = account("cron");
    const feed = await serveSite(who.key, { ...who, posts: plainPosts(0, 3, FIXED_NOW - HOUR) });
    const worker = createWorker(configFollowing([followed(who, feed)]), { now: () => FIXED_NOW, fetch: loopbackOnlyFetch });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: FIXED_NOW, cron: "* * * * *" }), loopbackEnv(), ctx);
    await waitOnExecutionContext(ctx);
    expect(await storedGuids(who.user_id)).toEqual(["2", "1", "0"]);
    const report = await worker.runScheduled(FIXED_NOW + MINUTE, loopbackEnv());
    const job = report.jobs.find((entry) => entry.job === "timeline.poll");
    expect(job).toMatchObject({ ran: true, summary: "no feed due (1 followed feed)", fetches: 0 });
  });

  it("POST /api/jobs/run {all: true} (npm run tick -- --all) polls every followed feed now", async () => {
    const who = account("tick");
    const feed = await serveSite(who.key, { ...who, posts: plainPosts(0, 1, FIXED_NOW - 50 * HOUR) });
    const config = configFollowing([followed(who, feed)]);
    await poll({ config, now: FIXED_NOW - MINUTE });
    const response = await owner(
      testApp(config),
      "/api/jobs/run",
      { method: "POST", body: JSON.stringify({ all: true }), headers: { "Content-Type": "application/json" } },
      undefined,
      loopbackEnv(),
    );
    expect(response.status).toBe(200);
    const report = (await response.json()) as JobsRunReport;
    expect(report.jobs.find((entry) => entry.job === "timeline.poll")).toMatchObject({
      ran: true,
      summary: "polled 1 of 1 followed feed: 1 not modified",
      fetches: 1,
      rows_written: 1,
    });
  });
});

describe("the adaptive schedule", () => {
  it("polls a feed silent for days 6 times a day, whenever the runs come", async () => {
    const quiet = account("quiet");
    const feed = await serveSite(quiet.key, { ...quiet, posts: plainPosts(0, 2, FIXED_NOW - 10 * 24 * HOUR) });
    const config = configFollowing([followed(quiet, feed)]);
    await poll({ config, now: FIXED_NOW });
    const before = (await requestLog(quiet.key)).length;
    // A day of runs, every 10 minutes (slots missed between runs are caught up by the next run).
    for (let minute = 10; minute <= 24 * 60; minute += 10) await poll({ config, now: FIXED_NOW + minute * MINUTE });
    const polls = (await requestLog(quiet.key)).slice(before);
    expect(polls).toHaveLength(6);
    expect(polls.every((entry) => entry.status === 304)).toBe(true);
  });

  it("polls a feed that just posted every 5 minutes, then less often as its newest post ages", async () => {
    const active = account("active");
    const feed = await serveSite(active.key, { ...active, posts: plainPosts(0, 2, FIXED_NOW - 10 * MINUTE) });
    const config = configFollowing([followed(active, feed)]);
    await poll({ config, now: FIXED_NOW });
    const before = (await requestLog(active.key)).length;
    for (let minute = 1; minute <= 120; minute++) await poll({ config, now: FIXED_NOW + minute * MINUTE });
    const polls = (await requestLog(active.key)).slice(before).length;
    // Newest post 10 minutes old: every 5 minutes until it is an hour old (~10 polls), then every 10 (~6).
    expect(polls).toBeGreaterThanOrEqual(14);
    expect(polls).toBeLessThanOrEqual(18);
  });
});
