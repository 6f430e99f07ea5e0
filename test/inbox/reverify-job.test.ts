// The re-verification sweep (lib/inbox/reverify-job.ts) as the cron runs it: no reply stays pending
// forever, unreachable feeds are retried with backoff and then given up, `all` ignores the backoff,
// and one run never spends more than its budget. Real local D1, real loopback feeds.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { reverifyRepliesJob } from "../../lib/inbox/reverify-job.ts";
import { MAX_VERIFY_ATTEMPTS, RETRY_AFTER_MINUTES } from "../../lib/inbox/verify-reply.ts";
import { runJobs } from "../../lib/worker-kit/jobs.ts";
import { clearInbox, FIXED_NOW, loopbackOnlyFetch, replyFrom, replyPath, send, testApp, testConfig, testEnv } from "../worker/support/inbox.ts";
import { BOB_STATUS, feedServer, type Person, SITES, siteFeedUrl } from "../worker/support/people.ts";

const port = inject("feedServerPort");
const server = feedServer(port);
const bob: Person = { ...SITES.bob, user_link: siteFeedUrl(port, "bob") };
const loopback = testEnv({ FETCH_ALLOW_LOOPBACK: "true" });
const MINUTE = 60_000;

interface Row {
  id: number;
  verification: string;
  verification_detail: string | null;
  attempts: number;
  next_check_at: string | null;
}

beforeEach(clearInbox);

/** A stored reply whose background check never ran (cut off), received at `receivedAt`. */
async function cutOffReply(sender: Person, statusId: string, receivedAt: number): Promise<number> {
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  const { meta } = await env.DB.prepare(
    `INSERT INTO replies (post_id, sender_user_id, sender_username, sender_user_link, sender_link_normalized, status_id, received_at, next_check_at)
     VALUES (3, ?1, ?2, ?3, ?3, ?4, ?5, ?6)`,
  )
    .bind(sender.user_id, sender.username, sender.user_link, statusId, iso(receivedAt), iso(receivedAt + 2 * MINUTE))
    .run();
  return meta.last_row_id;
}

async function row(id: number): Promise<Row> {
  return (await env.DB.prepare("SELECT id, verification, verification_detail, attempts, next_check_at FROM replies WHERE id = ?1").bind(id).first<Row>())!;
}

/** One run of the sweep alone at `now` (the cron's time), with a clock that starts there. */
function sweep(now: number, all = false) {
  let clock = now;
  return runJobs([reverifyRepliesJob], {
    config: testConfig(),
    env: loopback,
    deps: { now: () => clock++, fetch: loopbackOnlyFetch, verifyBudget: { subrequests: 6, bytes: 2 * 1024 * 1024, durationMs: 15_000 } },
    now,
    all,
  });
}

describe("a reply whose background check was cut off", () => {
  it("stays pending until its first check is due, then the sweep verifies it", async () => {
    const id = await cutOffReply(bob, BOB_STATUS.replyToPost3, FIXED_NOW);
    const early = await sweep(FIXED_NOW + MINUTE);
    expect(early.jobs[0]?.summary).toBe("no reply waits for a check");
    expect((await row(id)).verification).toBe("pending");
    const due = await sweep(FIXED_NOW + 2 * MINUTE);
    expect(due.jobs[0]?.summary).toBe("checked 1 reply: 1 verified");
    expect(await row(id)).toMatchObject({ verification: "verified", attempts: 1, next_check_at: null });
  });

  it("a resend of a reply pending for longer than its first check checks it at once", async () => {
    const id = await cutOffReply(bob, BOB_STATUS.replyToPost3, FIXED_NOW - 3 * MINUTE);
    const { response, settled } = await send(testApp(), replyPath(3), replyFrom(bob, BOB_STATUS.replyToPost3), { env: loopback });
    expect(response.status).toBe(201);
    await settled();
    expect((await row(id)).verification).toBe("verified");
  });
});

describe("an unreachable feed", () => {
  it("is retried after 5, 15, 60, 240 and 720 minutes, then given up (bounded attempts)", async () => {
    const flaky: Person = { ...bob, user_link: `${server}/flaky/down-for-good-${FIXED_NOW}/feed.xml` };
    const id = await cutOffReply(flaky, BOB_STATUS.replyToPost3, FIXED_NOW);
    let now = FIXED_NOW + 2 * MINUTE;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= MAX_VERIFY_ATTEMPTS; attempt++) {
      const report = await sweep(now);
      expect(report.jobs[0]?.failures).toHaveLength(1);
      const after = await row(id);
      expect(after).toMatchObject({ verification: "unreachable", attempts: attempt });
      if (after.next_check_at === null) break;
      const next = Date.parse(after.next_check_at);
      waits.push((next - now) / MINUTE);
      // Not due a minute before; due at the time.
      expect((await sweep(next - MINUTE)).jobs[0]?.summary).toBe("no reply waits for a check");
      now = next;
    }
    expect(waits.map(Math.round)).toEqual([...RETRY_AFTER_MINUTES]);
    const last = await row(id);
    expect(last).toMatchObject({ attempts: MAX_VERIFY_ATTEMPTS, next_check_at: null });
    expect(last.verification_detail).toMatch(/answered HTTP 503 \(gave up after 6 attempts\)$/);
  });

  it("that comes back is verified at its next check", async () => {
    const key = `back-${FIXED_NOW}`;
    const id = await cutOffReply({ ...bob, user_link: `${server}/flaky/${key}/feed.xml` }, BOB_STATUS.replyToPost3, FIXED_NOW);
    await sweep(FIXED_NOW + 2 * MINUTE);
    expect((await row(id)).verification).toBe("unreachable");
    await fetch(`${server}/control/up/${key}`);
    await sweep(Date.parse((await row(id)).next_check_at!));
    expect(await row(id)).toMatchObject({ verification: "verified", attempts: 2, next_check_at: null });
  });

  it("is checked at once by `all` (npm run tick -- --all), whatever its backoff", async () => {
    const id = await cutOffReply({ ...bob, user_link: `${server}/flaky/all-${FIXED_NOW}/feed.xml` }, BOB_STATUS.replyToPost3, FIXED_NOW);
    await sweep(FIXED_NOW + 2 * MINUTE);
    await sweep(FIXED_NOW + 3 * MINUTE, true);
    expect((await row(id)).attempts).toBe(2);
  });
});

describe("budgets", () => {
  it("one notification causes at most 6 fetches, however long the sender's chain of pages and redirects", async () => {
    const key = `endless-${FIXED_NOW}`;
    const endless: Person = { ...bob, user_link: `${server}/endless/${key}/1.xml` };
    const { response, settled } = await send(testApp(), replyPath(3), replyFrom(endless, "never-there"), { env: loopback });
    expect(response.status).toBe(201);
    await settled();
    expect(Number(await (await fetch(`${server}/control/count/${key}`)).text())).toBe(6);
    const [stored] = (await env.DB.prepare("SELECT verification, verification_detail, next_check_at FROM replies").all<Row>()).results;
    // Over its own share: unreachable, retried later like any unreachable feed (and given up in the end).
    expect(stored).toMatchObject({ verification: "unreachable" });
    expect(stored?.verification_detail).toMatch(/needs more than one notification's share/);
  });

  it("one run checks only what its 45 subrequests hold, and the rest waits for the next run", async () => {
    // Each of these feeds costs a notification's whole share (6 fetches) to check.
    for (let i = 0; i < 8; i++) await cutOffReply({ ...bob, user_link: `${server}/endless/run-${FIXED_NOW}-${i}/1.xml` }, `${i}`, FIXED_NOW - i);
    const report = await sweep(FIXED_NOW + 2 * MINUTE);
    const job = report.jobs[0]!;
    expect(job.fetches + job.d1_calls).toBeLessThanOrEqual(45);
    expect(job.summary).toMatch(/^checked \d repl(y|ies).*; \d more wait for the next run$/);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM replies WHERE verification = 'pending'").first<{ n: number }>();
    expect(left?.n).toBeGreaterThan(0);
  });
});
