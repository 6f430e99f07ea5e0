// The outbox job (lib/outbox/send-job.ts) as the cron runs it: each reply and mention notification
// the build lists is sent once, after the post is live in our own feed, to the reply URL of the
// right item; 403 is final, 5xx is retried with backoff and then given up; receivers' accept
// policies and blocks are honoured; a deleted post's notification is cancelled. Real local D1,
// real loopback receivers that record every POST (test/worker/support/feed-server-outbox.ts).
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_SEND_ATTEMPTS, RETRY_AFTER_MINUTES } from "../../lib/outbox/policy.ts";
import { NOTIFY_WINDOW_DAYS } from "../../lib/shared/site-config.ts";
import { FIXED_NOW } from "../worker/support/worker.ts";
import { ME } from "./sites.ts";
import {
  answerNext,
  base,
  clearOutbox,
  iso,
  MINUTE,
  mentionOf,
  outboxConfig,
  outboxEnv,
  outboxItems,
  ownFeed,
  publishLate,
  receivedBy,
  receiver,
  replyTo,
  runOutbox,
} from "./support.ts";

beforeEach(clearOutbox);

const summary = (report: Awaited<ReturnType<typeof runOutbox>>) => report.jobs[0]?.summary;

describe("a reply notification", () => {
  it("is POSTed once to the replied item's reply URL with the spec's JSON, and recorded as sent", async () => {
    const bob = receiver("open", "a");
    const config = outboxConfig([replyTo(2, bob, 1)]);
    const report = await runOutbox(config);
    expect(summary(report)).toBe("new build: 1 notification queued, 0 cancelled; tried 1: 1 sent");
    expect(await receivedBy(bob)).toEqual([
      { path: `/t/${bob.name}/api/posts/1/reply`, body: { user_id: ME.user_id, username: ME.username, user_link: ownFeed("full"), status_id: "2" } },
    ]);
    const [row] = await outboxItems();
    expect(row).toMatchObject({
      kind: "reply",
      post_id: 2,
      status_id: "1",
      state: "sent",
      attempts: 1,
      http_status: 201,
      next_attempt_at: null,
      last_error: null,
      target_url: `${base}/t/${bob.name}/api/posts/1/reply`,
      sent_at: iso(FIXED_NOW),
    });

    // Running the job again, or a redeploy of the same list, sends nothing new.
    expect(summary(await runOutbox(config, FIXED_NOW + MINUTE))).toBe("nothing to send");
    expect(summary(await runOutbox(outboxConfig([replyTo(2, bob, 1)]), FIXED_NOW + 2 * MINUTE, { all: true }))).toBe("nothing to send");
    const redeployed = outboxConfig([replyTo(2, bob, 1)]);
    redeployed.notifications!.digest = "a new build with the same notifications";
    expect(summary(await runOutbox(redeployed, FIXED_NOW + 3 * MINUTE, { all: true }))).toBe("nothing to send");
    expect(await receivedBy(bob)).toHaveLength(1);
    expect(await outboxItems()).toHaveLength(1);
  });

  it("to an account whose feed relocates: the item is found in the new feed and its reply URL notified", async () => {
    const moved = receiver("moved", "a");
    const home = receiver("newhome", "a");
    const report = await runOutbox(outboxConfig([replyTo(2, moved, 1)]));
    expect(summary(report)).toBe("new build: 1 notification queued, 0 cancelled; tried 1: 1 sent");
    expect(await receivedBy(moved)).toEqual([]);
    expect((await receivedBy(home)).map((r) => r.path)).toEqual([`/t/${home.name}/api/posts/1/reply`]);
  });

  it("finds an item on an older page by walking next_node", async () => {
    const deep = receiver("deep", "a");
    await runOutbox(outboxConfig([replyTo(3, deep, 1)]));
    expect((await receivedBy(deep)).map((r) => r.path)).toEqual([`/t/${deep.name}/api/posts/1/reply`]);
  });

  it("to an item that is not in their feed fails at once, and nothing is sent", async () => {
    const bob = receiver("open", "b");
    await runOutbox(outboxConfig([replyTo(2, bob, 99)]));
    expect(await receivedBy(bob)).toEqual([]);
    const [row] = await outboxItems();
    expect(row).toMatchObject({ state: "failed", attempts: 0, next_attempt_at: null });
    expect(row?.last_error).toMatch(/their item 99 is not in the 1 newest page of .*; nothing was sent$/);
  });
});

describe("a mention", () => {
  it("notifies the reply URL of their newest item", async () => {
    const bob = receiver("open", "c");
    await runOutbox(outboxConfig([mentionOf(4, bob)]));
    expect(await receivedBy(bob)).toEqual([
      { path: `/t/${bob.name}/api/posts/2/reply`, body: { user_id: ME.user_id, username: ME.username, user_link: ownFeed("full"), status_id: "4" } },
    ]);
    expect((await outboxItems())[0]).toMatchObject({ kind: "mention", status_id: "", state: "sent" });
  });
});

describe("only after the post is live", () => {
  it("a notification whose post our feed does not show yet waits, then goes once it is live", async () => {
    const bob = receiver("open", "d");
    const key = `late-${FIXED_NOW}`;
    const config = outboxConfig([replyTo(5, bob, 0), replyTo(3, bob, 1)], ownFeed(`late/${key}`));
    const first = await runOutbox(config);
    expect(summary(first)).toBe("new build: 2 notifications queued, 0 cancelled; tried 1: 1 sent; 1 notification waits for the post to be live");
    expect((await receivedBy(bob)).map((r) => r.body.status_id)).toEqual(["3"]);
    const waiting = (await outboxItems()).find((row) => row.post_id === 5)!;
    expect(waiting).toMatchObject({ state: "queued", attempts: 0, next_attempt_at: iso(FIXED_NOW + MINUTE) });
    expect(waiting.last_error).toBe(`waiting for post 5 to appear in our feed (${ownFeed(`late/${key}`)})`);

    // Still not live a minute later: it waits longer each time (a quarter of the time waited, at least a minute).
    await runOutbox(config, FIXED_NOW + 8 * MINUTE);
    expect((await outboxItems()).find((row) => row.post_id === 5)?.next_attempt_at).toBe(iso(FIXED_NOW + 10 * MINUTE));
    expect(await receivedBy(bob)).toHaveLength(1);

    await publishLate(key);
    expect(summary(await runOutbox(config, FIXED_NOW + 9 * MINUTE))).toBe("nothing to send");
    expect(summary(await runOutbox(config, FIXED_NOW + 10 * MINUTE))).toBe("tried 1: 1 sent");
    expect((await receivedBy(bob)).map((r) => r.body.status_id)).toEqual(["3", "5"]);
  });

  it("a post already archived (older than the head page of a paged feed) is live", async () => {
    const bob = receiver("open", "e");
    await runOutbox(outboxConfig([replyTo(0, bob, 1)], ownFeed("paged")));
    expect(await receivedBy(bob)).toHaveLength(1);
  });

  it("with Static Assets, our feed is read through the ASSETS binding (a Worker cannot fetch its own zone)", async () => {
    const bob = receiver("open", "f");
    // The config's feed URL never shows post 5; the deployed assets do.
    const assets = { fetch: (request: Request) => fetch(`${base}/own/full/feed.xml`, { headers: request.headers }) };
    await runOutbox(outboxConfig([replyTo(5, bob, 1)], ownFeed(`late/never-${FIXED_NOW}`)), FIXED_NOW, { env: outboxEnv({ ASSETS: assets }) });
    expect(await receivedBy(bob)).toHaveLength(1);
  });

  it("is given up after a day of waiting (our feed never showed the post)", async () => {
    const bob = receiver("open", "g");
    const config = outboxConfig([replyTo(5, bob, 1)], ownFeed(`late/never-${FIXED_NOW}`));
    await runOutbox(config);
    const report = await runOutbox(config, FIXED_NOW + 24 * 60 * MINUTE);
    expect(summary(report)).toBe("sent nothing; 1 given up (post never live)");
    const [row] = await outboxItems();
    expect(row).toMatchObject({ state: "failed", next_attempt_at: null });
    expect(row?.last_error).toMatch(/^our feed did not show post 5 within 24 hours; nothing was sent/);
    expect(await receivedBy(bob)).toEqual([]);
  });
});

describe("a post deleted before its notification was sent", () => {
  it("cancels it; restoring the post queues it again", async () => {
    const bob = receiver("open", "h");
    const key = `deleted-${FIXED_NOW}`;
    await runOutbox(outboxConfig([replyTo(5, bob, 1)], ownFeed(`late/${key}`)));
    const report = await runOutbox(outboxConfig([], ownFeed(`late/${key}`)), FIXED_NOW + MINUTE);
    expect(summary(report)).toBe("new build: 0 notifications queued, 1 cancelled; nothing to send");
    expect((await outboxItems())[0]).toMatchObject({ state: "cancelled", next_attempt_at: null });
    await publishLate(key);
    await runOutbox(outboxConfig([], ownFeed(`late/${key}`)), FIXED_NOW + 2 * MINUTE, { all: true });
    expect(await receivedBy(bob)).toEqual([]);

    await runOutbox(outboxConfig([replyTo(5, bob, 1)], ownFeed(`late/${key}`)), FIXED_NOW + 3 * MINUTE);
    expect((await outboxItems())[0]).toMatchObject({ state: "sent", attempts: 1 });
    expect(await receivedBy(bob)).toHaveLength(1);
  });

  it("a notification already sent stays sent when its post is deleted", async () => {
    const bob = receiver("friend", "a");
    await runOutbox(outboxConfig([replyTo(1, bob, 1)]));
    await runOutbox(outboxConfig([]), FIXED_NOW + MINUTE);
    expect((await outboxItems())[0]).toMatchObject({ state: "sent" });
  });
});

describe(`posts older than ${NOTIFY_WINDOW_DAYS} days`, () => {
  it("notify nobody (an imported archive does not alert everyone it ever replied to)", async () => {
    const bob = receiver("friend", "b");
    const old = new Date(FIXED_NOW - (NOTIFY_WINDOW_DAYS * 24 * 60 + 1) * MINUTE).toISOString();
    const report = await runOutbox(outboxConfig([replyTo(1, bob, 1, old), replyTo(2, bob, 2)]));
    expect(summary(report)).toBe("new build: 1 notification queued, 0 cancelled; tried 1: 1 sent");
    expect((await receivedBy(bob)).map((r) => r.body.status_id)).toEqual(["2"]);
  });
});

describe("their answer", () => {
  it("403 is final: refused, never sent again", async () => {
    const bob = receiver("open", "i");
    await answerNext(bob, 403);
    const config = outboxConfig([replyTo(1, bob, 0)]);
    await runOutbox(config);
    const [row] = await outboxItems();
    expect(row).toMatchObject({ state: "refused", http_status: 403, attempts: 1, next_attempt_at: null });
    expect(row?.last_error).toBe(`${base}/t/${bob.name}/api/posts/0/reply answered 403 Forbidden: scripted 403`);
    await runOutbox(config, FIXED_NOW + 60 * MINUTE, { all: true });
    expect(await receivedBy(bob)).toHaveLength(1);
  });

  it("500 is retried after the backoff, then succeeds", async () => {
    const bob = receiver("open", "j");
    await answerNext(bob, 500);
    const config = outboxConfig([replyTo(1, bob, 1)]);
    const first = await runOutbox(config);
    expect(first.jobs[0]?.failures).toEqual([
      {
        target: `outbox ${(await outboxItems())[0]?.id} (reply to @${bob.username})`,
        reason: expect.stringMatching(/answered 500: scripted 500 \(tried again at /),
      },
    ]);
    expect((await outboxItems())[0]).toMatchObject({ state: "queued", attempts: 1, http_status: 500, next_attempt_at: iso(FIXED_NOW + 2 * MINUTE) });
    expect(summary(await runOutbox(config, FIXED_NOW + MINUTE))).toBe("nothing to send");
    expect(summary(await runOutbox(config, FIXED_NOW + 2 * MINUTE))).toBe("tried 1: 1 sent");
    expect((await outboxItems())[0]).toMatchObject({ state: "sent", attempts: 2, http_status: 201, last_error: null });
    expect(await receivedBy(bob)).toHaveLength(2);
  });

  it(`5xx is tried ${MAX_SEND_ATTEMPTS} times with growing waits, then failed (bounded)`, async () => {
    const bob = receiver("open", "k");
    await answerNext(bob, ...Array.from({ length: MAX_SEND_ATTEMPTS }, () => 503));
    const config = outboxConfig([replyTo(1, bob, 1)]);
    let now = FIXED_NOW;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS; attempt++) {
      await runOutbox(config, now);
      const [row] = await outboxItems();
      expect(row?.attempts).toBe(attempt);
      if (row?.next_attempt_at === null) break;
      const next = Date.parse(row!.next_attempt_at);
      waits.push((next - now) / MINUTE);
      now = next;
    }
    expect(waits.map(Math.round)).toEqual([...RETRY_AFTER_MINUTES]);
    const [row] = await outboxItems();
    expect(row).toMatchObject({ state: "failed", attempts: MAX_SEND_ATTEMPTS, next_attempt_at: null });
    expect(row?.last_error).toMatch(/answered 503: scripted 503 \(gave up after 6 attempts\)$/);
    expect(await receivedBy(bob)).toHaveLength(MAX_SEND_ATTEMPTS);
  });

  it("another 4xx fails at once, with their reason", async () => {
    const bob = receiver("open", "l");
    await answerNext(bob, 400);
    await runOutbox(outboxConfig([replyTo(1, bob, 1)]));
    expect((await outboxItems())[0]).toMatchObject({
      state: "failed",
      attempts: 1,
      http_status: 400,
      last_error: expect.stringMatching(/answered 400: scripted 400$/),
    });
  });

  it("no answer at all (nobody listens) is retried", async () => {
    const dead = receiver("dead", "a");
    await runOutbox(outboxConfig([replyTo(1, dead, 1)]));
    const [row] = await outboxItems();
    expect(row).toMatchObject({ state: "queued", attempts: 1, http_status: null, next_attempt_at: iso(FIXED_NOW + 2 * MINUTE) });
    expect(row?.last_error).toMatch(/^http:\/\/127\.0\.0\.1:9\/api\/posts\/1\/reply could not be fetched/);
  });
});

describe("the receiver's published wishes (spec: courteous checks)", () => {
  it('accept="follows": sent when their follows list names us, refused without a POST when it does not', async () => {
    const friend = receiver("friend", "c");
    const cold = receiver("cold", "a");
    await runOutbox(outboxConfig([replyTo(1, friend, 1), replyTo(1, cold, 1)]));
    expect(await receivedBy(friend)).toHaveLength(1);
    expect(await receivedBy(cold)).toEqual([]);
    const refused = (await outboxItems()).find((row) => row.user_link === cold.user_link);
    expect(refused).toMatchObject({ state: "refused", attempts: 0, http_status: null });
    expect(refused?.last_error).toBe(`@${cold.username} accepts only accounts they follow (accept="follows") and do not follow you; nothing was sent`);
  });

  it("a public blocks list that names us: refused, nothing sent", async () => {
    const blocker = receiver("blocker", "a");
    await runOutbox(outboxConfig([mentionOf(1, blocker)]));
    expect(await receivedBy(blocker)).toEqual([]);
    expect((await outboxItems())[0]).toMatchObject({
      state: "refused",
      last_error: `@${blocker.username} blocks you (their public blocks list names you); nothing was sent`,
    });
  });

  it('accept="off" (no reply URLs): failed with a clear reason, nothing sent', async () => {
    const closed = receiver("closed", "a");
    await runOutbox(outboxConfig([replyTo(1, closed, 1)]));
    expect(await receivedBy(closed)).toEqual([]);
    expect((await outboxItems())[0]).toMatchObject({
      state: "failed",
      last_error: `their item 1 has no reply URL: @${closed.username} takes no notifications; nothing was sent`,
    });
  });

  it('accept="selected": a 403 is remembered, and the next notification to them is not sent', async () => {
    const picky = receiver("picky", "a");
    await answerNext(picky, 403);
    await runOutbox(outboxConfig([replyTo(1, picky, 1)]));
    await runOutbox(outboxConfig([replyTo(1, picky, 1), mentionOf(2, picky)]), FIXED_NOW + MINUTE);
    expect(await receivedBy(picky)).toHaveLength(1);
    const remembered = (await outboxItems()).find((row) => row.post_id === 2);
    expect(remembered).toMatchObject({ state: "refused", attempts: 0, http_status: null });
    expect(remembered?.last_error).toMatch(/accepts only accounts they selected \(accept="selected"\) and refused outbox \d+ with 403; nothing was sent$/);
  });

  it('accept="selected": a receiver that took us before is written to', async () => {
    const picky = receiver("picky", "b");
    await runOutbox(outboxConfig([replyTo(1, picky, 1)]));
    await runOutbox(outboxConfig([replyTo(1, picky, 1), mentionOf(2, picky)]), FIXED_NOW + MINUTE);
    expect(await receivedBy(picky)).toHaveLength(2);
  });
});

describe("costs and concurrency", () => {
  it("a notification costs 5 rows written from queued to sent; a run with nothing to do makes one D1 call and writes nothing", async () => {
    const bob = receiver("friend", "d");
    const config = outboxConfig([replyTo(1, bob, 1)]);
    const sending = (await runOutbox(config)).jobs[0]!;
    // Queued: the row, its idempotency index, its place in the due queue (3), plus the list's
    // fingerprint (1); claimed (1); sent (1).
    expect(sending.rows_written).toBe(6);
    const idle = (await runOutbox(config, FIXED_NOW + MINUTE)).jobs[0]!;
    expect(idle).toMatchObject({ d1_calls: 1, rows_written: 0, fetches: 0 });
    // A redeploy that changed nothing for the outbox writes only the new fingerprint.
    const redeployed = outboxConfig([replyTo(1, bob, 1)]);
    redeployed.notifications!.digest = "another build";
    expect((await runOutbox(redeployed, FIXED_NOW + 2 * MINUTE)).jobs[0]).toMatchObject({ rows_written: 1 });
  });

  it("two runs at the same time send a notification once (the claim)", async () => {
    const bob = receiver("friend", "e");
    const items = [replyTo(1, bob, 1), replyTo(2, bob, 2), mentionOf(3, bob)];
    // Queued while our feed cannot be read (they wait), then two runs race for them.
    await runOutbox(outboxConfig(items, `${base}/own/missing/feed.xml`));
    expect((await outboxItems()).map((row) => row.state)).toEqual(["queued", "queued", "queued"]);
    await Promise.all([runOutbox(outboxConfig(items), FIXED_NOW + MINUTE), runOutbox(outboxConfig(items), FIXED_NOW + MINUTE)]);
    const received = await receivedBy(bob);
    expect(received.map((r) => r.body.status_id).sort()).toEqual(["1", "2", "3"]);
    expect((await outboxItems()).map((row) => row.state)).toEqual(["sent", "sent", "sent"]);
  });

  it("a run out of budget leaves the rest for the next run, untouched", async () => {
    const bob = receiver("friend", "f");
    const config = outboxConfig([replyTo(1, bob, 1), replyTo(2, bob, 1), replyTo(3, bob, 1)]);
    const report = await runOutbox(config, FIXED_NOW, { limits: { subrequests: 12, bytes: 8 * 1024 * 1024, durationMs: 25_000 } });
    expect(report.jobs[0]!.summary).toMatch(/; \d more wait for the next run$/);
    expect(report.jobs[0]!.fetches + report.jobs[0]!.d1_calls).toBeLessThanOrEqual(12);
    const states = (await outboxItems()).map((row) => row.state);
    expect(states).toContain("queued");
    expect((await outboxItems()).filter((row) => row.state === "queued").every((row) => row.attempts === 0)).toBe(true);
    await runOutbox(config, FIXED_NOW + MINUTE);
    await runOutbox(config, FIXED_NOW + 2 * MINUTE);
    expect((await outboxItems()).map((row) => row.state)).toEqual(["sent", "sent", "sent"]);
    expect(await receivedBy(bob)).toHaveLength(3);
  });

  it("a config written before the outbox existed reconciles nothing and cancels nothing", async () => {
    const bob = receiver("friend", "g");
    await runOutbox(outboxConfig([replyTo(5, bob, 1)], ownFeed(`late/old-${FIXED_NOW}`)));
    const report = await runOutbox(outboxConfig(undefined, ownFeed(`late/old-${FIXED_NOW}`)), FIXED_NOW + MINUTE);
    expect(summary(report)).toBe("sent nothing; 1 notification waits for the post to be live");
    expect((await outboxItems())[0]?.state).toBe("queued");
  });
});
