// Webmention out (lib/webmention/send*.ts) in workerd with a real local D1, against real loopback
// pages (test/worker/support/webmention-targets.ts): the Recommendation's endpoint discovery
// (§3.1.2; webmention.rocks discovery tests 1-23), the notification (§3.1.3), edits and deletions
// (§3.1.4, §3.1.5), once only, hostile targets, the per-run bound and the D1 rows each send writes.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import type { WebmentionSendItem } from "../../lib/shared/api-types.ts";
import type { BudgetLimits } from "../../lib/shared/budget.ts";
import type { SiteConfig, WebmentionSource } from "../../lib/shared/site-config.ts";
import { SENDS_PER_RUN, webmentionSendJob } from "../../lib/webmention/send-job.ts";
import { runJobs } from "../../lib/worker-kit/jobs.ts";
import { outboxEnv, ownFeed } from "../outbox/support.ts";
import { DISCOVERY_CASES } from "../worker/support/discovery-cases.ts";
import { FIXED_NOW, loopbackOnlyFetch, meteredEnv, owner, problemOf, testApp, testConfig } from "../worker/support/worker.ts";

const base = `http://127.0.0.1:${inject("webmentionTargetsPort")}`;
const MINUTE = 60_000;
const DATE = new Date(FIXED_NOW - 3_600_000).toISOString();
const ours = (postId: number) => `https://ada.example/posts/${postId}/`;

interface Posted {
  path: string;
  contentType: string;
  body: string;
}
const posts = async (): Promise<Posted[]> => (await fetch(`${base}/control/posts`)).json();
const rows = async () => (await env.DB.prepare("SELECT * FROM webmention_sends ORDER BY id").all<WebmentionSendItem & { fingerprint: string }>()).results;

function item(postId: number, targets: string[], fingerprint = "v1"): WebmentionSource {
  return { post_id: postId, date: DATE, source: ours(postId), fingerprint, targets };
}

function config(items: WebmentionSource[], postIds: [number, number][] = [[0, 10]]): SiteConfig {
  const c = testConfig({ post_ids: postIds });
  c.owner = { ...c.owner, feed_url: ownFeed("full") };
  c.webmentions = { digest: JSON.stringify(items), items };
  return c;
}

async function run(c: SiteConfig, now = FIXED_NOW, options: { limits?: BudgetLimits; env?: ReturnType<typeof outboxEnv> } = {}) {
  let clock = now;
  const report = await runJobs([webmentionSendJob], {
    config: c,
    env: options.env ?? outboxEnv(),
    deps: { now: () => clock++, fetch: loopbackOnlyFetch, verifyBudget: { subrequests: 6, bytes: 1 << 20, durationMs: 5000 } },
    now,
    all: false,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return report.jobs[0]!;
}

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM webmention_sends"), env.DB.prepare("DELETE FROM outbox_meta WHERE key = 'webmentions'")]);
  await posts();
});

describe("endpoint discovery (§3.1.2): the webmention.rocks discovery tests", () => {
  it.each(DISCOVERY_CASES.map((c) => [c.n, c.name, c] as const))("%i. %s", async (_n, _name, c) => {
    const target = `${base}${c.path}`;
    const report = await run(config([item(1, [target])]));
    expect(report.summary).toContain("webmentions: 1 sent");
    const sent = await posts();
    expect(sent.map((p) => p.path)).toEqual([c.endpoint]);
    // §3.1.3: form-encoded source and target; the endpoint's own query stays in its URL, never in the body.
    expect(sent[0]?.contentType).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(sent[0]?.body))).toEqual({ source: ours(1), target });
    expect(await rows()).toMatchObject([{ state: "sent", endpoint: `${base}${c.endpoint}`, http_status: 202, reason: "new" }]);
  });
});

describe("sending once, again on an edit (§3.1.4) and a deletion (§3.1.5)", () => {
  const a = `${base}/disc/3`;
  const b = `${base}/disc/5`;

  it("sends each (post, target) once: a second run and a redeploy of the same post send nothing", async () => {
    const first = config([item(2, [a, b])]);
    await run(first);
    expect((await posts()).map((p) => p.path).sort()).toEqual(["/endpoint/3", "/endpoint/5"]);
    expect((await run(first, FIXED_NOW + MINUTE)).summary).toBe("no webmention to send");
    const redeploy = config([item(2, [a, b]), item(3, [])]);
    expect((await run(redeploy, FIXED_NOW + 2 * MINUTE)).summary).toBe("no webmention to send");
    expect(await posts()).toEqual([]);
  });

  it("an edit sends again to every earlier target, the one the edit took out included, and to a new one once", async () => {
    await run(config([item(2, [a, b])]));
    await posts();
    const c = `${base}/disc/6`;
    const edited = config([item(2, [a, c], "v2")]);
    const report = await run(edited, FIXED_NOW + MINUTE);
    expect(report.summary).toContain("webmentions: 3 sent");
    expect((await posts()).map((p) => p.path).sort()).toEqual(["/endpoint/3", "/endpoint/5", "/endpoint/6"]);
    expect((await rows()).map((r) => [r.target, r.reason, r.state])).toEqual([
      [a, "updated", "sent"],
      [b, "updated", "sent"],
      [c, "new", "sent"],
    ]);
    expect((await run(edited, FIXED_NOW + 2 * MINUTE)).summary).toBe("no webmention to send");
  });

  it("a deleted post sends once more what it sent; what it never sent is cancelled", async () => {
    await run(config([item(2, [a])]));
    await posts();
    // Post 9 is not live yet: its webmention waits, then the post is deleted before it went out.
    await run(config([item(2, [a]), item(9, [b])]), FIXED_NOW + MINUTE);
    expect(await posts()).toEqual([]);
    const gone = config([], [[0, 1]]);
    const report = await run(gone, FIXED_NOW + 2 * MINUTE);
    expect(report.summary).toContain("webmentions: 1 sent");
    const sent = await posts();
    expect(sent.map((p) => p.path)).toEqual(["/endpoint/3"]);
    expect(Object.fromEntries(new URLSearchParams(sent[0]?.body))).toEqual({ source: ours(2), target: a });
    expect((await rows()).map((r) => [r.post_id, r.reason, r.state])).toEqual([
      [2, "deleted", "sent"],
      [9, "new", "cancelled"],
    ]);
    expect((await run(gone, FIXED_NOW + 3 * MINUTE)).summary).toBe("no webmention to send");
  });

  it("waits until our own feed shows the post (a receiver reads our page)", async () => {
    const report = await run(config([item(9, [a])]));
    expect(report.summary).toContain("1 webmention waits for the post to be live");
    expect(await posts()).toEqual([]);
    expect(await rows()).toMatchObject([{ state: "queued", detail: "waiting for post 9 to appear in our feed" }]);
  });
});

describe("hostile and failing targets", () => {
  it.each([
    ["huge", "failed", /larger than 262144 bytes/],
    ["loop/a", "queued", /redirect loop/],
    ["none", "no-endpoint", /advertises no Webmention endpoint/],
    ["text", "no-endpoint", /advertises no Webmention endpoint/],
    ["private", "failed", /10\.1\.2\.3 is a private address.*§4\.3/],
    ["busy", "queued", /answered 503/],
    ["refuses", "failed", /answered 400: target is not ours/],
  ])("/hostile/%s: %s", async (page, state, detail) => {
    await run(config([item(1, [`${base}/hostile/${page}`])]));
    const [row] = await rows();
    expect(row).toMatchObject({ state });
    expect(row?.detail).toMatch(detail);
    expect(await posts()).toEqual([]);
  });

  it("a busy endpoint is tried again after its Retry-After, with backoff, then given up", async () => {
    const c = config([item(1, [`${base}/hostile/busy`])]);
    await run(c);
    const [row] = await rows();
    expect(Date.parse(row!.next_attempt_at!)).toBeGreaterThanOrEqual(FIXED_NOW + 2 * MINUTE);
    expect((await run(c, FIXED_NOW + MINUTE)).summary).toBe("no webmention to send");
    let at = FIXED_NOW;
    for (let i = 0; i < 8; i++) {
      at += 9 * 60 * MINUTE;
      await run(c, at);
    }
    expect(await rows()).toMatchObject([{ state: "failed", attempts: 6 }]);
    expect((await rows())[0]?.detail).toMatch(/gave up after 6 tries/);
  });

  it("a target that never finishes its answer costs one try within the run's time, and waits for the next", async () => {
    const report = await run(config([item(1, [`${base}/hostile/slow`])]), FIXED_NOW, {
      limits: { subrequests: 45, bytes: 8 << 20, durationMs: 1500 },
    });
    expect(report.summary).toContain("1 retrying");
    expect(await rows()).toMatchObject([{ state: "queued", attempts: 1 }]);
  });
});

describe("costs", () => {
  it(`sends at most ${SENDS_PER_RUN} a run, within the free plan's 50 subrequests; the rest wait`, async () => {
    const targets = [1, 3, 4, 5, 6].map((n) => `${base}/disc/${n}`);
    const report = await run(config([item(1, targets)]));
    expect(report.summary).toContain(`webmentions: ${SENDS_PER_RUN} sent`);
    expect(report.summary).toContain("2 more wait for the next run");
    expect(report.fetches + report.d1_calls).toBeLessThanOrEqual(50);
    expect((await posts()).length).toBe(SENDS_PER_RUN);
    expect((await run(config([item(1, targets)]), FIXED_NOW + MINUTE)).summary).toContain("webmentions: 2 sent");
  });

  it("rows written (D1's meta): 6 from a new build's list to a webmention sent; a redeploy that changes nothing writes 1", async () => {
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true", ASSETS: undefined });
    const report = await run(config([item(1, [`${base}/disc/3`])]), FIXED_NOW, { env: metered });
    // The queued row with its indexes, the list's fingerprint, the claim, the outcome.
    expect(report.rows_written).toBe(6);
    expect(usage.rowsWritten).toBe(6);
    const again = await run(config([item(1, [`${base}/disc/3`]), item(2, [])]), FIXED_NOW + MINUTE, { env: metered });
    expect(again.rows_written).toBe(1);
  });
});

describe("the owner's view: GET /api/outbox/webmentions (npm run outbox -- webmentions)", () => {
  it("lists what each post sent, newest first, by post; a failed one can be queued again, a sent one cannot", async () => {
    await run(config([item(1, [`${base}/disc/3`, `${base}/hostile/refuses`])]));
    const app = testApp();
    const page = (await (await owner(app, "/api/outbox/webmentions?post=1")).json()) as { items: WebmentionSendItem[]; next_cursor: string | null };
    expect(page.items.map((i) => [i.id > 0, i.target, i.state, i.reason])).toEqual([
      [true, `${base}/hostile/refuses`, "failed", "new"],
      [true, `${base}/disc/3`, "sent", "new"],
    ]);
    expect(page.items[1]).not.toHaveProperty("fingerprint");
    const [failed, sent] = page.items;
    expect((await owner(app, `/api/outbox/webmentions/${failed!.id}/retry`, { method: "POST" })).status).toBe(204);
    const refused = await owner(app, `/api/outbox/webmentions/${sent!.id}/retry`, { method: "POST" });
    expect(refused.status).toBe(409);
    expect((await problemOf(refused)).detail).toMatch(/not failed/);
    expect((await rows()).find((r) => r.id === failed!.id)).toMatchObject({ state: "queued", attempts: 0 });
    expect((await owner(app, "/api/outbox/webmentions", {}, null)).status).toBe(401);
  });
});
