// The real Worker entry, functions/index.ts, over the build's generated config, with the bindings of
// wrangler.toml: requests the way Cloudflare sends them (exports.default.fetch), and the cron trigger
// the way Cloudflare fires it (scheduled()).
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import generated from "../../functions/_generated/site-config.json";
import worker from "../../functions/index.ts";
import type { JobsRunReport } from "../../lib/shared/api-types.ts";
import type { SiteConfig } from "../../lib/shared/site-config.ts";
import type { WorkerEnv } from "../../lib/worker-kit/env.ts";
import { OWNER_TOKEN } from "./support/worker.ts";

const config = generated as unknown as SiteConfig;

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`https://site.example${path}`, init));
}

describe("functions/index.ts over HTTP", () => {
  it("serves the message endpoint as the generated config says", async () => {
    const sender = { user_id: `entry-test-${Date.UTC(2026, 0, 1)}`, username: "entrytest", user_link: "https://entry-test.example/feed.xml" };
    const response = await call("/api/message", {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": "192.0.2.44" },
      body: JSON.stringify({ ...sender, message: "via the Worker", date: "2026-01-01T00:00:00Z" }),
    });
    const expected = config.accept === "everyone" ? 201 : config.accept === "off" ? 404 : 403;
    expect(response.status).toBe(expected);
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM messages WHERE peer_user_id = ?1").bind(sender.user_id).first<{ n: number }>();
    expect(stored?.n).toBe(expected === 201 ? 1 : 0);
  });

  it("guards the owner API with the env's token", async () => {
    expect((await call("/api/inbox")).status).toBe(401);
    expect((await call("/api/inbox", { headers: { Authorization: `Bearer ${OWNER_TOKEN}` } })).status).toBe(200);
  });

  it("answers unknown paths under /api with a 404 problem", async () => {
    const response = await call("/api/nothing");
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  });
});

describe("functions/index.ts on the cron trigger", () => {
  it("scheduled() runs the due jobs: a reply left pending is taken out of pending", async () => {
    const received = "2026-03-01T11:00:00Z";
    await env.DB.prepare(
      `INSERT INTO replies (post_id, sender_user_id, sender_username, sender_user_link, sender_link_normalized, status_id, received_at, next_check_at)
       VALUES (0, 'cut-off', 'cutoff', 'http://127.0.0.1:9/feed.xml', '127.0.0.1:9/feed.xml', '5', ?1, ?1)`,
    )
      .bind(received)
      .run();
    const ctx = createExecutionContext();
    // 12:00 UTC: the sweep (every minute) is due; housekeeping (daily at 00:00) is not.
    await worker.scheduled(createScheduledController({ scheduledTime: Date.UTC(2026, 2, 1, 12, 0, 0), cron: "* * * * *" }), env as unknown as WorkerEnv, ctx);
    await waitOnExecutionContext(ctx);
    const row = await env.DB.prepare("SELECT verification, attempts, verification_detail FROM replies WHERE sender_user_id = 'cut-off'").first<{
      verification: string;
      attempts: number;
      verification_detail: string;
    }>();
    // wrangler.toml keeps loopback refused: the sender's URL is refused, a final answer.
    expect(row).toEqual({ verification: "rejected", attempts: 1, verification_detail: "127.0.0.1:9 is a loopback address; it is not fetched" });
  });

  it("runScheduled reports what each job did, and skips what is not due", async () => {
    // By name: every capability adds its job to the list (lib/worker/job-list.ts); the sweep comes first.
    const job = (report: JobsRunReport, name: string) => report.jobs.find((entry) => entry.job === name);
    const report = await worker.runScheduled(Date.UTC(2026, 2, 1, 12, 1, 0), env as unknown as WorkerEnv);
    expect(report.jobs[0]?.job).toBe("inbox.reverify");
    expect([job(report, "inbox.reverify")?.ran, job(report, "timeline.poll")?.ran, job(report, "housekeeping")?.ran]).toEqual([true, true, false]);
    expect(job(report, "housekeeping")?.summary).toBe("not due (runs every 1440 min)");
    const midnight = await worker.runScheduled(Date.UTC(2026, 2, 2, 0, 0, 0), env as unknown as WorkerEnv);
    expect([job(midnight, "inbox.reverify")?.ran, job(midnight, "housekeeping")?.ran]).toEqual([true, true]);
    expect(job(midnight, "housekeeping")?.summary).toMatch(
      /^deleted \d+ rejected reply notifications? older than 30 days and \d+ expired owner sessions?, \d+ expired or revoked app tokens?; optimized D1$/,
    );
  });
});
