// POST /api/message (spec "Private Messaging"): every status code, what is stored, idempotency.
import { beforeEach, describe, expect, it } from "vitest";
import { allRows, clearInbox, countRows, FIXED_NOW, messageFrom, problemOf, send, testApp } from "../worker/support/inbox.ts";
import { BLOCKED, FOLLOWED, STRANGER } from "../worker/support/people.ts";

const PATH = "/api/message";

beforeEach(clearInbox);

describe("POST /api/message accepts", () => {
  it("answers 201 with no body and stores every field, the date both as sent and in ISO UTC", async () => {
    const { response } = await send(testApp(), PATH, messageFrom(STRANGER, "hello world!", "Sat, 16 May 2015 21:32:15 UTC"));
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("");
    const rows = await allRows("messages");
    expect(rows).toEqual([
      {
        id: expect.any(Number),
        direction: "received",
        peer_user_id: STRANGER.user_id,
        peer_username: STRANGER.username,
        peer_user_link: STRANGER.user_link,
        peer_link_normalized: "stranger.example/feed.xml",
        body: "hello world!",
        sent_at_raw: "Sat, 16 May 2015 21:32:15 UTC",
        sent_at_iso: "2015-05-16T21:32:15Z",
        received_at: new Date(FIXED_NOW).toISOString().replace(".000Z", "Z"),
        read_at: null,
        // Unsigned (migration 0011): the sender is not proven.
        signed_by: null,
        signature_hash: null,
      },
    ]);
  });

  it.each([
    ["RFC 822 with a numeric zone", "Sat, 16 May 2015 23:32:15 +0200", "2015-05-16T21:32:15Z"],
    ["RFC 822 without the weekday", "16 May 2015 21:32:15 GMT", "2015-05-16T21:32:15Z"],
    ["ISO 8601 in UTC", "2015-05-16T21:32:15Z", "2015-05-16T21:32:15Z"],
    ["RFC 3339 with an offset and fractions", "2015-05-16T16:32:15.250-05:00", "2015-05-16T21:32:15.250Z"],
  ])("reads the date as %s", async (_, date, iso) => {
    const { response } = await send(testApp(), PATH, messageFrom(STRANGER, "dated", date));
    expect(response.status).toBe(201);
    const [row] = await allRows<{ sent_at_raw: string; sent_at_iso: string }>("messages");
    expect(row).toMatchObject({ sent_at_raw: date, sent_at_iso: iso });
  });

  it("accepts a charset parameter and ignores fields it does not know", async () => {
    const { response } = await send(
      testApp(),
      PATH,
      { ...messageFrom(STRANGER), client: "some app", extra: { x: 1 } },
      { contentType: "Application/JSON; charset=UTF-8" },
    );
    expect(response.status).toBe(201);
    expect(await countRows("messages")).toBe(1);
  });

  it("stores markup and SQL in a message as text, byte for byte", async () => {
    const text = `<script>alert("x")</script> '); DROP TABLE messages; -- 🧵 ünïcödé`;
    const { response } = await send(testApp(), PATH, messageFrom(STRANGER, text));
    expect(response.status).toBe(201);
    const [row] = await allRows<{ body: string }>("messages");
    expect(row?.body).toBe(text);
  });
});

describe("POST /api/message is idempotent", () => {
  it("stores the same message (sender + date + text) once, answering 201 both times", async () => {
    const app = testApp();
    const first = await send(app, PATH, messageFrom(FOLLOWED, "same"));
    const second = await send(app, PATH, messageFrom(FOLLOWED, "same"));
    expect([first.response.status, second.response.status]).toEqual([201, 201]);
    expect(await countRows("messages")).toBe(1);
  });

  it("treats the same instant written differently as the same message", async () => {
    const app = testApp();
    await send(app, PATH, messageFrom(FOLLOWED, "same", "Sat, 16 May 2015 21:32:15 +0000"));
    const again = await send(app, PATH, messageFrom(FOLLOWED, "same", "2015-05-16T23:32:15+02:00"));
    expect(again.response.status).toBe(201);
    expect(await countRows("messages")).toBe(1);
  });

  it("keeps messages that differ in text, date or sender", async () => {
    const app = testApp();
    await send(app, PATH, messageFrom(FOLLOWED, "one"));
    await send(app, PATH, messageFrom(FOLLOWED, "two"));
    await send(app, PATH, messageFrom(FOLLOWED, "two", "Sun, 17 May 2015 21:32:15 +0000"));
    await send(app, PATH, messageFrom(STRANGER, "two"));
    expect(await countRows("messages")).toBe(4);
  });
});

describe("POST /api/message refuses", () => {
  it("403 with no body for a blocked sender", async () => {
    const { response } = await send(testApp(), PATH, messageFrom(BLOCKED));
    expect(response.status).toBe(403);
    expect(await response.text()).toBe("");
    expect(await countRows("messages")).toBe(0);
  });

  it("400 with a problem naming the field for a bad date", async () => {
    const { response } = await send(testApp(), PATH, messageFrom(STRANGER, "x", "yesterday at noon"));
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem).toEqual({ type: "about:blank", title: "Bad Request", status: 400, detail: "date: must be an RFC 822, ISO 8601 or RFC 3339 date" });
  });

  it("400 naming every missing field", async () => {
    const { response } = await send(testApp(), PATH, { user_id: STRANGER.user_id });
    expect(response.status).toBe(400);
    const { detail } = await problemOf(response);
    for (const field of ["username", "user_link", "message", "date"]) expect(detail).toContain(`${field}: is required`);
  });

  it("400 for the spec sample's single-quoted pseudo-JSON, with a hint", async () => {
    const sample =
      "{'user_id':'123432', 'username':'someusername', 'user_link': 'http://example.com/someusername/feed', 'message':'hello world!', 'date':'Sat, 16 May 2015 21:32:15 UTC'}";
    const { response } = await send(testApp(), PATH, sample);
    expect(response.status).toBe(400);
    expect((await problemOf(response)).detail).toMatch(/not valid JSON.*double quotes/);
  });

  it("accepts the spec sample once it is real JSON", async () => {
    const sample = {
      user_id: "123432",
      username: "someusername",
      user_link: "http://example.com/someusername/feed",
      message: "hello world!",
      date: "Sat, 16 May 2015 21:32:15 UTC",
    };
    const { response } = await send(testApp(), PATH, sample);
    expect(response.status).toBe(201);
  });

  it.each([
    ["text/plain", "text/plain"],
    ["form encoding", "application/x-www-form-urlencoded"],
    ["no Content-Type", null],
    ["a non-UTF-8 charset", "application/json; charset=iso-8859-1"],
  ])("415 for %s", async (_, contentType) => {
    const { response } = await send(testApp(), PATH, JSON.stringify(messageFrom(STRANGER)), { contentType });
    expect(response.status).toBe(415);
    expect((await problemOf(response)).title).toBe("Unsupported Media Type");
    expect(await countRows("messages")).toBe(0);
  });

  it("413 when Content-Length says the body is over 32 KiB", async () => {
    const body = JSON.stringify(messageFrom(STRANGER, "x".repeat(40_000)));
    const { response } = await send(testApp(), PATH, body);
    expect(response.status).toBe(413);
    expect((await problemOf(response)).detail).toContain("32768");
  });

  it("413 when a streamed body without Content-Length grows over 32 KiB", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(8192));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode(`{"message":"`));
        if (sent >= 1_000_000) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const { response } = await send(testApp(), PATH, stream);
    expect(response.status).toBe(413);
    // Reading stopped at the limit: far less than the megabyte on offer was pulled.
    expect(sent).toBeLessThan(100_000);
    expect(await countRows("messages")).toBe(0);
  });

  it("405 with Allow for other methods", async () => {
    const { response } = await send(testApp(), PATH, undefined, { method: "GET", contentType: null });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    expect((await problemOf(response)).status).toBe(405);
  });
});
