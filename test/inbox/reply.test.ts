// POST /api/posts/:id/reply (spec "Replies/Mentions"): status codes, what is stored, idempotency.
import { beforeEach, describe, expect, it } from "vitest";
import { allRows, clearInbox, countRows, FIXED_NOW, problemOf, replyFrom, replyPath, send, testApp } from "../worker/support/inbox.ts";
import { BLOCKED, STRANGER } from "../worker/support/people.ts";

beforeEach(clearInbox);

// Verification itself is tested in verify-reply.test.ts; here it is about the answer and the row.

describe("POST /api/posts/:id/reply accepts", () => {
  it("answers 201 with no body once the row is stored as pending, then verifies in the background", async () => {
    // The sender's feed answers only when the test says so: the 201 must not wait for it.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowNetwork: typeof fetch = async () => {
      await gate;
      return new Response("<rss><channel><title>t</title></channel></rss>", { status: 200 });
    };
    const { response, settled } = await send(testApp(undefined, { fetch: slowNetwork }), replyPath(3), replyFrom(STRANGER, "17"));
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("");
    expect(await allRows("replies")).toEqual([
      {
        id: expect.any(Number),
        post_id: 3,
        sender_user_id: STRANGER.user_id,
        sender_username: STRANGER.username,
        sender_user_link: STRANGER.user_link,
        sender_link_normalized: "stranger.example/feed.xml",
        status_id: "17",
        received_at: new Date(FIXED_NOW).toISOString().replace(".000Z", "Z"),
        verification: "pending",
        verification_detail: null,
        verified_at: null,
        // The sweep's safety net, should the background check be cut off: two minutes later.
        attempts: 0,
        next_check_at: new Date(FIXED_NOW + 120_000).toISOString().replace(".000Z", "Z"),
        item_html: null,
        item_link: null,
        item_date: null,
        read_at: null,
        // Nobody has approved or rejected it yet (migration 0006).
        moderation: null,
        moderated_at: null,
        // Unsigned (migration 0011): the sender is not proven.
        signed_by: null,
        signature_hash: null,
      },
    ]);
    release();
    await settled();
    const [row] = await allRows<{ verification: string; verification_detail: string }>("replies");
    expect(row).toMatchObject({
      verification: "rejected",
      verification_detail: "no item with guid 17 in the 1 feed page read from https://stranger.example/feed.xml",
      attempts: 1,
      next_check_at: null,
    });
  });

  it("reads a status_id sent as a JSON number (guids are integers) as its digits", async () => {
    const app = testApp();
    const { response } = await send(app, replyPath(3), { ...replyFrom(STRANGER, "x"), status_id: 42 });
    expect(response.status).toBe(201);
    const [row] = await allRows<{ status_id: string }>("replies");
    expect(row?.status_id).toBe("42");
    // The same status as text is the same reply.
    expect((await send(app, replyPath(3), replyFrom(STRANGER, "42"))).response.status).toBe(201);
    expect(await countRows("replies")).toBe(1);
  });

  it("accepts every published post id, including 0 and the last one", async () => {
    const app = testApp();
    for (const id of [0, 5, 8, 9]) expect((await send(app, replyPath(id), replyFrom(STRANGER, `s${id}`))).response.status).toBe(201);
    expect(await countRows("replies")).toBe(4);
  });

  it("stores the same reply (sender + status_id + post) once, answering 201 both times", async () => {
    const app = testApp();
    const first = await send(app, replyPath(3), replyFrom(STRANGER, "17"));
    const second = await send(app, replyPath(3), replyFrom(STRANGER, "17"));
    expect([first.response.status, second.response.status]).toEqual([201, 201]);
    expect(await countRows("replies")).toBe(1);
  });

  it("keeps the same status sent to two different posts apart", async () => {
    const app = testApp();
    await send(app, replyPath(3), replyFrom(STRANGER, "17"));
    await send(app, replyPath(4), replyFrom(STRANGER, "17"));
    expect(await countRows("replies")).toBe(2);
  });
});

describe("POST /api/posts/:id/reply refuses", () => {
  it.each([
    ["a post that was never published", "6"],
    ["a post beyond the last one", "10"],
    ["a non-numeric id", "abc"],
    ["a negative id", "-1"],
    ["a zero-padded id", "03"],
    ["a huge id", "99999999999999999999"],
  ])("404 for %s", async (_, id) => {
    const { response } = await send(testApp(), replyPath(id), replyFrom(STRANGER, "17"));
    expect(response.status).toBe(404);
    expect((await problemOf(response)).status).toBe(404);
    expect(await countRows("replies")).toBe(0);
  });

  it("checks the body before the post: a bad body to an unknown post is a 400", async () => {
    const { response } = await send(testApp(), replyPath(6), { user_id: STRANGER.user_id });
    expect(response.status).toBe(400);
  });

  it("403 with no body for a blocked sender", async () => {
    const { response } = await send(testApp(), replyPath(3), replyFrom(BLOCKED, "17"));
    expect(response.status).toBe(403);
    expect(await response.text()).toBe("");
    expect(await countRows("replies")).toBe(0);
  });

  it("400 naming the field for a status_id with spaces", async () => {
    const { response } = await send(testApp(), replyPath(3), replyFrom(STRANGER, "1 OR 1=1"));
    expect(response.status).toBe(400);
    expect((await problemOf(response)).detail).toBe("status_id: must be 1-128 URL-safe characters");
  });

  it("400 naming every missing field", async () => {
    const { response } = await send(testApp(), replyPath(3), {});
    const { detail } = await problemOf(response);
    expect(response.status).toBe(400);
    for (const field of ["user_id", "username", "user_link", "status_id"]) expect(detail).toContain(`${field}: is required`);
  });

  it("415 for a body that is not declared as JSON", async () => {
    const { response } = await send(testApp(), replyPath(3), JSON.stringify(replyFrom(STRANGER, "17")), { contentType: "text/plain" });
    expect(response.status).toBe(415);
  });

  it("413 for a body over 32 KiB", async () => {
    const { response } = await send(testApp(), replyPath(3), { ...replyFrom(STRANGER, "17"), padding: "x".repeat(33_000) });
    expect(response.status).toBe(413);
  });

  it("405 with Allow for other methods", async () => {
    const { response } = await send(testApp(), replyPath(3), undefined, { method: "PUT", contentType: null });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
  });
});
