// The inbox's daily cap (lib/inbox/daily-cap.ts): at most INBOX_DAILY_CAP requests a UTC day from
// accounts the owner does not follow are stored; then 503 until midnight UTC, writing nothing; the
// owner's own people are never counted or refused. Checked and counted inside the insert's batch.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_DAILY_CAP, dailyCap } from "../../lib/inbox/daily-cap.ts";
import { secondsToNextUtcDay } from "../../lib/shared/dates.ts";
import { clearInbox, FIXED_NOW, messageFrom, meteredEnv, problemOf, replyFrom, replyPath, send, testApp } from "../worker/support/inbox.ts";
import { FOLLOWED, type Person, SELECTED } from "../worker/support/people.ts";

let now = FIXED_NOW;
const app = testApp(undefined, { now: () => now });
let unique = 0;
const stranger = (): Person => ({ user_id: `cap-stranger-${++unique}`, username: `cap_${unique}`, user_link: `https://cap${unique}.example/feed.xml` });

beforeEach(async () => {
  now = FIXED_NOW;
  await clearInbox();
  await env.DB.prepare("DELETE FROM inbox_daily").run();
});

describe("the daily cap", () => {
  it("stores strangers' requests up to the cap, then answers 503 until midnight UTC and writes nothing", async () => {
    const { env: capped, usage } = meteredEnv({ INBOX_DAILY_CAP: "3" });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(app, "/api/message", messageFrom(stranger(), `m${i}`), { env: capped })).response.status);
    expect(statuses).toEqual([201, 201, 201]);
    // A stranger's message: its row, its idempotency index, the day's count.
    expect(usage.rowsWritten).toBe(9);
    const before = usage.rowsWritten;
    const full = (await send(app, "/api/message", messageFrom(stranger(), "one too many"), { env: capped })).response;
    expect(full.status).toBe(503);
    // 12:00:30 UTC: 11 h 59 min 30 s to the next day.
    expect(full.headers.get("Retry-After")).toBe(String(12 * 3600 - 30));
    expect((await problemOf(full)).detail).toMatch(/takes no more from accounts its owner does not follow today; nothing was stored/);
    const fullReply = (await send(app, replyPath(3), replyFrom(stranger(), "1"), { env: capped })).response;
    expect(fullReply.status).toBe(503);
    expect(usage.rowsWritten).toBe(before);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM messages").first<{ n: number }>())?.n).toBe(3);
  });

  it("counts unsigned messages claiming the owner's followed and selected accounts as strangers' (only a signed one is exempt: signatures.test.ts)", async () => {
    const { env: capped, usage } = meteredEnv({ INBOX_DAILY_CAP: "2" });
    expect((await send(app, "/api/message", messageFrom(stranger(), "fills half the day"), { env: capped })).response.status).toBe(201);
    const statuses: number[] = [];
    for (const friend of [FOLLOWED, SELECTED]) {
      statuses.push((await send(app, "/api/message", messageFrom(friend, `from ${friend.username}?`), { env: capped })).response.status);
    }
    // Their feed URLs are public (follows.xml): claiming one proves nothing.
    expect(statuses).toEqual([201, 503]);
    expect(usage.rowsWritten).toBe(6);
    expect((await env.DB.prepare("SELECT accepted FROM inbox_daily").first<{ accepted: number }>())?.accepted).toBe(2);
  });

  it("a duplicate of a stored message is still a 201 when the day is full (idempotent)", async () => {
    const { env: capped } = meteredEnv({ INBOX_DAILY_CAP: "1" });
    const body = messageFrom(stranger(), "once");
    expect((await send(app, "/api/message", body, { env: capped })).response.status).toBe(201);
    expect((await send(app, "/api/message", body, { env: capped })).response.status).toBe(201);
    expect((await env.DB.prepare("SELECT accepted FROM inbox_daily").first<{ accepted: number }>())?.accepted).toBe(1);
  });

  it("opens again the next UTC day", async () => {
    const { env: capped } = meteredEnv({ INBOX_DAILY_CAP: "1" });
    expect((await send(app, "/api/message", messageFrom(stranger(), "day one"), { env: capped })).response.status).toBe(201);
    expect((await send(app, "/api/message", messageFrom(stranger(), "still day one"), { env: capped })).response.status).toBe(503);
    now = Date.UTC(2026, 2, 2, 0, 0, 1);
    expect((await send(app, "/api/message", messageFrom(stranger(), "day two"), { env: capped })).response.status).toBe(201);
  });

  it('"0" turns it off; with no value the default 2,000 applies', async () => {
    const { env: off } = meteredEnv({ INBOX_DAILY_CAP: "0" });
    for (let i = 0; i < 3; i++) expect((await send(app, "/api/message", messageFrom(stranger(), `free ${i}`), { env: off })).response.status).toBe(201);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM inbox_daily").first<{ n: number }>()).toEqual({ n: 0 });
  });

  it("reads the var leniently: unset, empty or not a number is the default; the day is the UTC date", () => {
    for (const configured of [undefined, "", "lots", "-5"]) expect(dailyCap(configured, FIXED_NOW, false).limit).toBe(DEFAULT_DAILY_CAP);
    expect(DEFAULT_DAILY_CAP).toBe(2000);
    expect(dailyCap(" 50 ", Date.UTC(2026, 2, 1, 23, 59, 59), true)).toEqual({ day: "2026-03-01", limit: 50, exempt: true });
    expect(secondsToNextUtcDay(Date.UTC(2026, 2, 1, 23, 59, 59))).toBe(1);
  });
});
