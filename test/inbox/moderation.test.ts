// Which verified replies the site shows (issue "Conversations on the site"): the owner API's
// moderation state, the filters `npm run replies` lists with, and the owner pages' same buttons.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { InboxReply, ListPage } from "../../lib/shared/api-types.ts";
import { clearInbox, owner, problemOf, replyFrom, replyPath, send, testApp } from "../worker/support/inbox.ts";
import { STRANGER } from "../worker/support/people.ts";

const app = testApp();

beforeEach(clearInbox);

async function storedReply(statusId: string, verification: string): Promise<number> {
  await send(testApp(undefined, { fetch: () => new Promise<Response>(() => {}) }), replyPath(3), replyFrom(STRANGER, statusId));
  await env.DB.prepare("UPDATE replies SET verification = ?2 WHERE status_id = ?1").bind(statusId, verification).run();
  return (await env.DB.prepare("SELECT id FROM replies WHERE status_id = ?1").bind(statusId).first<{ id: number }>())!.id;
}

const moderate = (id: number, moderation: string | null) =>
  owner(app, `/api/inbox/replies/${id}/moderation`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ moderation }) });

describe("moderation", () => {
  it("approves a verified reply, and the list filters find it", async () => {
    const verified = await storedReply("v1", "verified");
    await storedReply("p1", "pending");
    const undecided = (await (await owner(app, "/api/inbox/replies?verification=verified&moderation=none")).json()) as ListPage<InboxReply>;
    expect(undecided.items.map((item) => item.status_id)).toEqual(["v1"]);
    const answer = await moderate(verified, "approved");
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as InboxReply).moderation).toBe("approved");
    const approved = (await (await owner(app, "/api/inbox/replies?moderation=approved")).json()) as ListPage<InboxReply>;
    expect(approved.items.map((item) => [item.status_id, item.moderated_at])).toEqual([["v1", "2026-03-01T12:00:30Z"]]);
    expect(((await (await owner(app, "/api/inbox/replies?verification=verified&moderation=none")).json()) as ListPage<InboxReply>).items).toEqual([]);
  });

  it("refuses to approve a reply its sender's feed did not back (409), but rejects any", async () => {
    const pending = await storedReply("p2", "pending");
    const refused = await moderate(pending, "approved");
    expect(refused.status).toBe(409);
    expect((await problemOf(refused)).detail).toBe(`reply ${pending} is pending: only a verified reply can be approved`);
    expect((await moderate(pending, "rejected")).status).toBe(200);
    expect((await moderate(pending, null)).status).toBe(200);
  });

  it.each([
    ['{"moderation":"shown"}', 400],
    ['{"moderation":"approved","extra":1}', 400],
    ["{}", 400],
  ])("validates the body %s", async (body, status) => {
    const id = await storedReply("v3", "verified");
    const response = await owner(app, `/api/inbox/replies/${id}/moderation`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    expect(response.status).toBe(status);
  });

  it("404 for a reply that does not exist; the filters are for replies only", async () => {
    expect((await moderate(999_999, "rejected")).status).toBe(404);
    expect((await owner(app, "/api/inbox/replies/999999")).status).toBe(404);
    expect((await owner(app, "/api/inbox/messages?moderation=none")).status).toBe(400);
    expect((await owner(app, "/api/inbox/replies?moderation=maybe")).status).toBe(400);
  });
});
