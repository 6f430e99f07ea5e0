// The Webmention receiver (lib/webmention/) in workerd with a real local D1 and real loopback source
// pages (test/worker/support/webmention-sources.ts): the Recommendation's request checks (§3.2.1),
// 202 and verification by the scheduled job (§3.2.2), updates and deletions, blocks and the accept
// policy, hostile sources, and what each request costs in D1 rows (refusals: none).
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { webmentionVerifyJob } from "../../lib/webmention/verify-job.ts";
import type { WorkerEnv } from "../../lib/worker-kit/env.ts";
import { runJobs } from "../../lib/worker-kit/jobs.ts";
import { FIXED_NOW, loopbackOnlyFetch, meteredEnv, owner, problemOf, send, testApp, testConfig, testEnv } from "../worker/support/worker.ts";

const port = inject("webmentionServerPort");
const SOURCES = `http://127.0.0.1:${port}/wm`;
const POST_3 = "https://ada.example/posts/3/";
const loopback = testEnv({ FETCH_ALLOW_LOOPBACK: "true" });
const FORM = "application/x-www-form-urlencoded";

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const source = (kind: string, target = POST_3) => `${SOURCES}/${kind}?to=${encodeURIComponent(target)}`;

async function mention(fields: Record<string, string>, options: { env?: WorkerEnv; ip?: string; config?: ReturnType<typeof testConfig> } = {}) {
  const { response } = await send(testApp(options.config), "/api/webmention", form(fields), {
    contentType: FORM,
    env: options.env ?? loopback,
    ...(options.ip ? { ip: options.ip } : {}),
  });
  return response;
}

function verifyRun(now = FIXED_NOW + 60_000, config = testConfig()) {
  let clock = now;
  return runJobs([webmentionVerifyJob], {
    config,
    env: loopback,
    deps: { now: () => clock++, fetch: loopbackOnlyFetch, verifyBudget: { subrequests: 6, bytes: 2 << 20, durationMs: 15_000 } },
    now,
    all: false,
  });
}

interface Row {
  id: number;
  state: string;
  detail: string;
  kind: string | null;
  author_name: string | null;
  author_url: string | null;
  content: string | null;
  url: string | null;
  post_id: number | null;
}
const rows = async () =>
  (await env.DB.prepare("SELECT id, state, detail, kind, author_name, author_url, content, url, post_id FROM webmentions ORDER BY id").all<Row>()).results;

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM webmentions"), env.DB.prepare("DELETE FROM inbox_daily")]);
});

describe("POST /api/webmention: request verification (§3.2.1)", () => {
  it("answers 202 at once and stores one pending row; the next run verifies it as a reply with its author and text", async () => {
    const response = await mention({ source: source("reply"), target: POST_3 });
    expect(response.status).toBe(202);
    expect(await rows()).toMatchObject([{ state: "pending", post_id: 3 }]);
    const report = await verifyRun();
    expect(report.jobs[0]?.summary).toBe("checked 1 webmention: 1 verified");
    expect(await rows()).toMatchObject([
      {
        state: "verified",
        kind: "reply",
        author_name: "Carol Indie",
        author_url: `http://127.0.0.1:${port}/people/carol`,
        content: "Great post, from my site.",
        url: `http://127.0.0.1:${port}/notes/reply`,
      },
    ]);
  });

  it.each([
    ["like", "like"],
    ["repost", "repost"],
    ["mention", "mention"],
    ["feed", "reply"],
    ["redirect", "reply"],
  ])("a %s page is read as a %s", async (page, kind) => {
    expect((await mention({ source: source(page), target: POST_3 })).status).toBe(202);
    await verifyRun();
    expect(await rows()).toMatchObject([{ state: "verified", kind }]);
  });

  it.each([
    [{ source: "not a url", target: POST_3 }, "source: must be an absolute http:// or https:// URL"],
    [{ source: "ftp://x.example/a", target: POST_3 }, "source: must be an absolute http:// or https:// URL"],
    [{ target: POST_3 }, "source"],
    [{ source: POST_3, target: POST_3 }, "source and target are the same URL"],
    [{ source: source("reply"), target: "https://elsewhere.example/posts/3/" }, "target is not a page of this site"],
    [{ source: source("reply"), target: "https://ada.example/posts/7/" }, "target is not a page of this site"],
    [{ source: source("reply"), target: "https://ada.example/feed.xml" }, "target is not a page of this site"],
  ])("refuses %j with 400 and writes nothing", async (fields, detail) => {
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
    const response = await mention(fields as Record<string, string>, { env: metered });
    expect(response.status).toBe(400);
    expect((await problemOf(response)).detail).toContain(detail);
    expect(usage.rowsWritten).toBe(0);
    expect(await rows()).toEqual([]);
  });

  it("takes the profile page as a target; a JSON body is 415, GET is 405", async () => {
    expect((await mention({ source: source("mention", "https://ada.example/"), target: "https://ada.example/" })).status).toBe(202);
    expect(await rows()).toMatchObject([{ post_id: null }]);
    const json = await send(testApp(), "/api/webmention", { source: source("reply"), target: POST_3 }, { env: loopback });
    expect(json.response.status).toBe(415);
    const get = await send(testApp(), "/api/webmention", undefined, { method: "GET", contentType: null, env: loopback });
    expect(get.response.status).toBe(405);
  });

  it("a blocked domain gets 403; accept=off has no endpoint; accept=follows takes only followed sites -- none of it writes", async () => {
    const blocked = testConfig({ blocks: [{ link: `127.0.0.1:${port}` }] });
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true" });
    expect((await mention({ source: source("reply"), target: POST_3 }, { env: metered, config: blocked })).status).toBe(403);
    expect((await mention({ source: source("reply"), target: POST_3 }, { env: metered, config: testConfig({ accept: "off" }) })).status).toBe(404);
    expect((await mention({ source: source("reply"), target: POST_3 }, { env: metered, config: testConfig({ accept: "follows" }) })).status).toBe(403);
    expect(usage.rowsWritten).toBe(0);
  });

  it("the rate limits and the daily cap refuse without a write; an accepted webmention costs a few rows", async () => {
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true", INBOX_DAILY_CAP: "2" }, true);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await mention({ source: `${source("reply")}&n=${i}`, target: POST_3 }, { env: metered, ip: "198.51.100.9" })).status);
    expect(statuses).toEqual([202, 202, 503]);
    const accepted = usage.rowsWritten;
    expect(accepted).toBeLessThanOrEqual(2 * 5);
    const again = await mention({ source: `${source("reply")}&n=9`, target: POST_3 }, { env: metered, ip: "198.51.100.9" });
    expect(again.status).toBe(503);
    expect(again.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(usage.rowsWritten).toBe(accepted);
  });
});

describe("verification (§3.2.2)", () => {
  it.each([
    ["nolink", "rejected", "the source does not link to the target"],
    ["text", "rejected", "not an HTML page"],
    ["huge", "rejected", "larger than"],
    ["gone", "gone", "410"],
  ])("a %s source is %s (%s)", async (page, state, detail) => {
    await mention({ source: source(page), target: POST_3 });
    await verifyRun();
    const [row] = await rows();
    expect(row?.state).toBe(state);
    expect(row?.detail).toContain(detail);
    expect(row?.content).toBeNull();
  });

  it("a redirect loop and a silent server are retried later, not verified", async () => {
    await mention({ source: `${SOURCES}/loop/a`, target: POST_3 });
    await verifyRun();
    expect((await rows())[0]).toMatchObject({ state: "unreachable" });
  });

  it("a source re-sent after it stopped linking is checked again and loses what it said; 410 the same", async () => {
    const flaky = `${SOURCES}/flaky/edit?to=${encodeURIComponent(POST_3)}`;
    await fetch(`http://127.0.0.1:${port}/control/wm/edit/reply`);
    await mention({ source: flaky, target: POST_3 });
    await verifyRun();
    expect((await rows())[0]).toMatchObject({ state: "verified", content: "Great post, from my site." });
    await fetch(`http://127.0.0.1:${port}/control/wm/edit/nolink`);
    expect((await mention({ source: flaky, target: POST_3 })).status).toBe(202);
    await verifyRun(FIXED_NOW + 120_000);
    expect((await rows())[0]).toMatchObject({ state: "rejected", content: null, kind: null });
    await fetch(`http://127.0.0.1:${port}/control/wm/edit/gone`);
    await mention({ source: flaky, target: POST_3 });
    await verifyRun(FIXED_NOW + 180_000);
    expect(await rows()).toHaveLength(1);
    expect((await rows())[0]).toMatchObject({ state: "gone", content: null });
  });

  it("a blocked author is rejected at verification", async () => {
    await mention({ source: source("reply"), target: POST_3 });
    await verifyRun(FIXED_NOW + 60_000, testConfig({ blocks: [{ link: `127.0.0.1:${port}/people/carol` }] }));
    expect((await rows())[0]).toMatchObject({ state: "rejected", detail: "the author is blocked" });
  });

  it("hostile markup is stored as text only: no tag, no script, no javascript: URL", async () => {
    await mention({ source: source("hostile"), target: POST_3 });
    await verifyRun();
    const [row] = await rows();
    expect(row?.state).toBe("verified");
    expect(row?.author_name).toBe("<img src=x onerror=alert(1)>Mallory");
    expect(row?.content).toBe("Click here <script>alert(5)</script>");
    expect(JSON.stringify(row)).not.toContain("javascript:");
    // The owner API hands it over as JSON text: what a page shows of it is escaped there.
    const listed = await (await owner(testApp(), "/api/webmentions")).json<{ items: Row[] }>();
    expect(listed.items[0]?.content).toBe("Click here <script>alert(5)</script>");
  });

  it("one run checks at most PER_RUN sources; the rest wait", async () => {
    for (let i = 0; i < 5; i++) await mention({ source: `${source("reply")}&n=${i}`, target: POST_3 });
    const report = await verifyRun();
    expect(report.jobs[0]?.summary).toBe("checked 3 webmentions: 3 verified");
    expect((await rows()).filter((row) => row.state === "pending")).toHaveLength(2);
  });
});

describe("the owner's view: /api/webmentions", () => {
  it("lists newest first, filters by state, moderates and deletes; needs the token", async () => {
    await mention({ source: source("reply"), target: POST_3 });
    await mention({ source: source("nolink"), target: POST_3 });
    await verifyRun();
    expect((await owner(testApp(), "/api/webmentions", {}, null)).status).toBe(401);
    const all = await (await owner(testApp(), "/api/webmentions")).json<{ items: Row[] }>();
    expect(all.items.map((item) => item.state)).toEqual(["rejected", "verified"]);
    const verified = await (await owner(testApp(), "/api/webmentions?state=verified")).json<{ items: Row[] }>();
    expect(verified.items).toHaveLength(1);
    const id = verified.items[0]!.id;
    const approve = await owner(testApp(), `/api/webmentions/${id}/moderation`, {
      method: "POST",
      body: JSON.stringify({ moderation: "approved" }),
      headers: { "Content-Type": "application/json" },
    });
    expect(approve.status).toBe(204);
    expect((await env.DB.prepare("SELECT moderation FROM webmentions WHERE id = ?1").bind(id).first<{ moderation: string }>())?.moderation).toBe("approved");
    expect((await owner(testApp(), `/api/webmentions/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await owner(testApp(), `/api/webmentions/${id}`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("ready for the bridge: /.well-known with profile.yaml bridgy_fed", () => {
  it.each([
    ["/.well-known/webfinger?resource=acct%3Aada%40ada.example", "https://fed.brid.gy/.well-known/webfinger?resource=acct%3Aada%40ada.example"],
    ["/.well-known/host-meta", "https://fed.brid.gy/.well-known/host-meta"],
    ["/.well-known/host-meta.json", "https://fed.brid.gy/.well-known/host-meta.json"],
    ["/.well-known/host-meta.xrd", "https://fed.brid.gy/.well-known/host-meta.xrd"],
  ])("opted in, %s redirects (302) to %s, the query kept", async (path, location) => {
    const response = await testApp(testConfig({ bridgy_fed: true })).request(path, {}, testEnv());
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(location);
  });

  it("not opted in, nothing redirects (the static site's 404); other well-known paths are never the bridge's", async () => {
    const off = await testApp().request("/.well-known/webfinger?resource=acct:ada@ada.example", {}, testEnv());
    expect(off.headers.get("Location")).toBeNull();
    const other = await testApp(testConfig({ bridgy_fed: true })).request("/.well-known/host-meta-x", {}, testEnv());
    expect(other.headers.get("Location")).toBeNull();
  });
});
