// Many requests at once against the real local D1: nothing lost, nothing doubled.
import { beforeEach, describe, expect, it } from "vitest";
import { clearInbox, countRows, messageFrom, replyFrom, replyPath, send, testApp } from "../worker/support/inbox.ts";
import { FOLLOWED, type Person } from "../worker/support/people.ts";

beforeEach(clearInbox);

const app = testApp();
const sender = (i: number): Person => ({ user_id: `concurrent-${i}`, username: `c_${i}`, user_link: `https://c${i}.example/feed.xml` });

describe("concurrent posts", () => {
  it("200 different valid messages at once -> 200 answers of 201 and exactly 200 rows", async () => {
    const sent = await Promise.all(
      Array.from({ length: 200 }, (_, i) => send(app, "/api/message", messageFrom(sender(i), `message ${i}`), { ip: `10.0.${i % 4}.1` })),
    );
    expect(sent.map((s) => s.response.status)).toEqual(Array(200).fill(201));
    expect(await countRows("messages")).toBe(200);
  });

  it("the same message 50 times at once -> 50 answers of 201 and one row", async () => {
    const sent = await Promise.all(Array.from({ length: 50 }, () => send(app, "/api/message", messageFrom(FOLLOWED, "once"))));
    expect(sent.map((s) => s.response.status)).toEqual(Array(50).fill(201));
    expect(await countRows("messages")).toBe(1);
  });

  it("the same reply 50 times at once -> one row", async () => {
    const sent = await Promise.all(Array.from({ length: 50 }, () => send(app, replyPath(3), replyFrom(FOLLOWED, "77"))));
    await Promise.all(sent.map((s) => s.settled()));
    expect(sent.map((s) => s.response.status)).toEqual(Array(50).fill(201));
    expect(await countRows("replies")).toBe(1);
  });
});
