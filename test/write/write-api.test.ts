/**
 * The write path in workerd with the real local D1 (lib/write/): POST /api/write/posts commits the
 * draft through the Forgejo contents API of a loopback forge with a real git repository behind it
 * (test/worker/support/forge-server-write.ts), records it in D1, and the write.live job marks it
 * live once our head feed -- rebuilt from that repository by the real build -- carries it. Refusals
 * write no row; a forge failure keeps the draft; the token goes to the forge only.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { Budget, RUN_LIMITS } from "../../lib/shared/budget.ts";
import { type Db, emptyUsage, meteredDb } from "../../lib/shared/d1.ts";
import { writeLiveJob } from "../../lib/write/live-job.ts";
import type { WrittenPost } from "../../lib/write/store.ts";
import { FOLLOWED, OWNER } from "../worker/support/people.ts";
import { FIXED_NOW, loopbackOnlyFetch, meteredEnv, owner, problemOf, testApp, testConfig, testEnv } from "../worker/support/worker.ts";
import { WRITE_FORGE_TOKEN } from "../worker/support/write-forge.ts";

const forgeUrl = () => `http://127.0.0.1:${inject("writeForgePort")}`;
const control = (path: string) => `http://127.0.0.1:${inject("writeControlPort")}${path}`;
const writeEnv = (overrides = {}) =>
  testEnv({ FETCH_ALLOW_LOOPBACK: "true", CONTENT_STORE: `forgejo:${forgeUrl()}/ada/site@main`, CONTENT_STORE_TOKEN: WRITE_FORGE_TOKEN, ...overrides });

interface RepoState {
  log: { sha: string; author: string; subject: string; files: string[] }[];
  files: Record<string, string>;
}
const repo = async () => (await (await fetch(control("/control/repo"))).json()) as RepoState;
const forgeRequests = async () => ((await (await fetch(control("/control/requests"))).json()) as unknown[]).length;
const rows = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM written_posts").first<{ n: number }>())!.n;
const json = (body: unknown) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

const config = testConfig({ owner: { ...OWNER, feed_url: "http://127.0.0.1:0/own/feed.xml" } });
const app = testApp(config);

beforeAll(() => {
  config.owner.feed_url = control("/own/feed.xml");
});

describe("POST /api/write/posts", () => {
  it("refuses without the owner token, a bad draft, and a site without a content store -- writing no row and calling no forge", async () => {
    const before = [await rows(), await forgeRequests()];
    expect((await owner(app, "/api/write/posts", json({ text: "hi" }), null, writeEnv())).status).toBe(401);
    const bad = await owner(
      app,
      "/api/write/posts",
      json({ text: "hi", reply_to: { ...FOLLOWED, status_id: "1", user_link: "javascript:x" } }),
      undefined,
      writeEnv(),
    );
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).detail).toContain("reply_to.user_link");
    expect((await owner(app, "/api/write/posts", json({ text: "x".repeat(10_001) }), undefined, writeEnv())).status).toBe(400);
    const unset = await owner(app, "/api/write/posts", json({ text: "hi" }), undefined, testEnv());
    expect(unset.status).toBe(503);
    expect((await problemOf(unset)).detail).toContain("CONTENT_STORE");
    expect([await rows(), await forgeRequests()]).toEqual(before);
  });

  it("commits a reply to the repository (author, message, path, content), records it, costs 1 forge request and 2 D1 calls", async () => {
    const { env: metered, usage } = meteredEnv({
      FETCH_ALLOW_LOOPBACK: "true",
      CONTENT_STORE: `forgejo:${forgeUrl()}/ada/site@main`,
      CONTENT_STORE_TOKEN: WRITE_FORGE_TOKEN,
    });
    const requestsBefore = await forgeRequests();
    const draft = {
      text: "@fern Agreed <b>here</b>",
      reply_to: { user_id: FOLLOWED.user_id, user_link: FOLLOWED.user_link, status_id: "7", username: "fern" },
    };
    const response = await owner(app, "/api/write/posts", json(draft), undefined, metered);
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: number; post_id: number; path: string; commit_sha: string; commit_url: string };
    expect(body).toMatchObject({ state: "committed", post_id: 10, path: "posts/2026-03-01-fern-agreed-b-here-b.md" });
    const state = await repo();
    expect(state.log[0]).toEqual({
      sha: body.commit_sha,
      author: "Ada Owner <ada@ada.example>",
      subject: "Reply 10 to @fern: @fern Agreed <b>here</b>",
      files: [body.path],
    });
    expect(state.files[body.path]).toBe(
      `---\ndate: 2026-03-01T12:00:30Z\nid: 10\nreply_to:\n  user_id: "${FOLLOWED.user_id}"\n  username: "fern"\n  user_link: "${FOLLOWED.user_link}"\n  status_id: "7"\n---\n@fern Agreed <b>here</b>\n`,
    );
    expect(body.commit_url).toBe(`${forgeUrl()}/ada/site/commit/${body.commit_sha}`);
    expect((await forgeRequests()) - requestsBefore).toBe(1);
    // The figures docs/writing.md gives: 2 D1 calls (the next id, the record), rows written as D1 reports them.
    expect({ calls: usage.calls, rowsWritten: usage.rowsWritten }).toEqual({ calls: 2, rowsWritten: 2 });
  });

  it("a path pushed from a laptop meanwhile moves the post to the next id and name; nothing is overwritten", async () => {
    const listed = (await (await owner(app, "/api/write/posts", {}, undefined, writeEnv())).json()) as { items: WrittenPost[] };
    const next = Math.max(...listed.items.map((item) => item.post_id ?? 0)) + 1;
    await fetch(control(`/control/laptop?name=2026-03-01-same-words.md&id=${next}`));
    const response = await owner(app, "/api/write/posts", json({ text: "Same words" }), undefined, writeEnv());
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ post_id: next + 1, path: "posts/2026-03-01-same-words-2.md" });
    const state = await repo();
    expect(state.files["posts/2026-03-01-same-words.md"]).toContain("From the laptop.");
    expect(state.log[0]!.subject).toBe(`Post ${next + 1}: Same words`);
  });

  it("a forge that refuses the token: 502, the draft kept as a failed written post, nothing committed", async () => {
    const head = (await repo()).log[0]!.sha;
    const draft = { text: "Kept, every word", language: "fr" };
    const response = await owner(app, "/api/write/posts", json(draft), undefined, writeEnv({ CONTENT_STORE_TOKEN: "not-the-token-77" }));
    expect(response.status).toBe(502);
    const { detail } = await problemOf(response);
    expect(detail).toContain("refused the token");
    expect(detail).not.toContain("not-the-token-77");
    expect((await repo()).log[0]!.sha).toBe(head);
    const listed = (await (await owner(app, "/api/write/posts", {}, undefined, writeEnv())).json()) as { items: WrittenPost[] };
    expect(listed.items[0]).toMatchObject({ state: "failed", post_id: null, draft, error: expect.stringContaining("refused the token") });
  });
});

describe("write.live", () => {
  it("marks committed posts live once our head feed, built from the repository, carries them", async () => {
    const usage = emptyUsage();
    const context = (now: number) => ({
      config,
      env: { ...writeEnv(), ASSETS: undefined },
      db: meteredDb(env.DB as unknown as Db, usage).db,
      now,
      all: false,
      budget: new Budget(RUN_LIMITS, () => now),
      fetch: loopbackOnlyFetch,
      allowLoopback: true,
      clock: () => now,
    });
    const outcome = await writeLiveJob.run(context(FIXED_NOW + 60_000));
    expect(outcome.failures ?? []).toEqual([]);
    // docs/writing.md's figures: 2 D1 calls (the waiting ids, one update); rows written per post made live.
    const lived = Number(/^(\d+) of/.exec(outcome.summary)?.[1]);
    expect({ calls: usage.calls, rowsWritten: usage.rowsWritten / lived }).toEqual({ calls: 2, rowsWritten: 2 });
    const listed = (await (await owner(app, "/api/write/posts", {}, undefined, writeEnv())).json()) as { items: WrittenPost[] };
    const committed = listed.items.filter((item) => item.commit_sha);
    expect(committed.length).toBeGreaterThanOrEqual(2);
    for (const item of committed) expect(item).toMatchObject({ state: "live", live_at: "2026-03-01T12:01:30Z" });
    expect((await writeLiveJob.run(context(FIXED_NOW + 120_000))).summary).toBe("no written post waits to be live");
  });
});
