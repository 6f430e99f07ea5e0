// Fixed-window rate limits per client IP and per sender, counted in D1 in the same batch as the insert.
import { env as bindings } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../lib/inbox/app.ts";
import { DEFAULT_RATE_LIMITS, rateGate, rateLimitConfig } from "../../lib/inbox/rate-limit.ts";
import { FOLLOWED, STRANGER, type Person } from "./support/people.ts";
import { allRows, clearInbox, countRows, FIXED_NOW, loopbackOnlyFetch, messageFrom, problemOf, replyFrom, replyPath, send, testApp, testConfig, testEnv } from "./support/inbox.ts";

beforeEach(clearInbox);

/** FIXED_NOW is 30 s into its minute: a 60 s window ends 30 s later. */
const limited = (perIp: string, perSender: string, window = "60") => testEnv({ RATE_LIMIT_WINDOW_SECONDS: window, RATE_LIMIT_PER_IP: perIp, RATE_LIMIT_PER_SENDER: perSender });

const sender = (i: number): Person => ({ user_id: `sender-${i}`, username: `sender_${i}`, user_link: `https://s${i}.example/feed.xml` });

describe("per client IP", () => {
  it("allows the limit, then answers 429 with Retry-After up to the window's end, storing nothing more", async () => {
    let now = FIXED_NOW;
    const app = createApp(testConfig(), { now: () => now, fetch: loopbackOnlyFetch });
    const env = limited("3", "0");
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(app, "/api/message", messageFrom(sender(i)), { env, ip: "198.51.100.1" })).response.status);
    const over = (await send(app, "/api/message", messageFrom(sender(3)), { env, ip: "198.51.100.1" })).response;
    expect(statuses).toEqual([201, 201, 201]);
    expect(over.status).toBe(429);
    expect(over.headers.get("Retry-After")).toBe("30");
    expect((await problemOf(over)).title).toBe("Too Many Requests");
    expect(await countRows("messages")).toBe(3);

    // Replies count against the same limit; another IP is not affected.
    expect((await send(app, replyPath(3), replyFrom(sender(4), "1"), { env, ip: "198.51.100.1" })).response.status).toBe(429);
    expect((await send(app, "/api/message", messageFrom(sender(5)), { env, ip: "198.51.100.2" })).response.status).toBe(201);

    // Ten seconds later the window still holds, with a shorter wait.
    now = FIXED_NOW + 10_000;
    expect((await send(app, "/api/message", messageFrom(sender(6)), { env, ip: "198.51.100.1" })).response.headers.get("Retry-After")).toBe("20");

    // The next window starts afresh, and the old window's counters are deleted.
    now = FIXED_NOW + 30_000;
    expect((await send(app, "/api/message", messageFrom(sender(7)), { env, ip: "198.51.100.1" })).response.status).toBe(201);
    const windows = new Set((await allRows<{ window_start: number }>("rate_limits")).map((row) => row.window_start));
    expect([...windows]).toEqual([(FIXED_NOW + 30_000) / 1000]);
    expect(await countRows("messages")).toBe(5);
  });
});

describe("per sender", () => {
  it("limits one user_id across many IPs", async () => {
    const app = testApp();
    const env = limited("0", "2");
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await send(app, "/api/message", messageFrom(FOLLOWED, `message ${i}`), { env, ip: `192.0.2.${i + 1}` })).response.status);
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
    expect((await send(app, "/api/message", messageFrom(STRANGER), { env, ip: "192.0.2.1" })).response.status).toBe(201);
    expect(await countRows("messages")).toBe(3);
  });

  it("counts a duplicate like any request, and a duplicate within the limit is still a 201", async () => {
    const app = testApp();
    const env = limited("0", "2");
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await send(app, "/api/message", messageFrom(FOLLOWED, "same"), { env })).response.status);
    expect(results).toEqual([201, 201, 429]);
    expect(await countRows("messages")).toBe(1);
  });
});

describe("configuration", () => {
  it("0 turns a limit off", async () => {
    const app = testApp();
    const env = limited("0", "0");
    for (let i = 0; i < 40; i++) expect((await send(app, "/api/message", messageFrom(FOLLOWED, `m${i}`), { env })).response.status).toBe(201);
    expect(await countRows("messages")).toBe(40);
  });

  it("falls back to 60 s / 30 per IP / 10 per sender for missing or invalid values", () => {
    expect(rateLimitConfig({})).toEqual(DEFAULT_RATE_LIMITS);
    expect(DEFAULT_RATE_LIMITS).toEqual({ windowSeconds: 60, perIp: 30, perSender: 10 });
    expect(rateLimitConfig({ RATE_LIMIT_WINDOW_SECONDS: "0", RATE_LIMIT_PER_IP: "-1", RATE_LIMIT_PER_SENDER: "ten" })).toEqual(DEFAULT_RATE_LIMITS);
    expect(rateLimitConfig({ RATE_LIMIT_WINDOW_SECONDS: "3600", RATE_LIMIT_PER_IP: "0", RATE_LIMIT_PER_SENDER: " 5 " })).toEqual({ windowSeconds: 3600, perIp: 0, perSender: 5 });
  });

  it("the values in wrangler.toml apply: the 11th message of one sender in a minute is refused", async () => {
    const app = testApp();
    const { RATE_LIMIT_WINDOW_SECONDS, RATE_LIMIT_PER_IP, RATE_LIMIT_PER_SENDER } = bindings;
    expect([RATE_LIMIT_WINDOW_SECONDS, RATE_LIMIT_PER_IP, RATE_LIMIT_PER_SENDER]).toEqual(["60", "30", "10"]);
    const env = testEnv({ RATE_LIMIT_WINDOW_SECONDS, RATE_LIMIT_PER_IP, RATE_LIMIT_PER_SENDER });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await send(app, "/api/message", messageFrom(FOLLOWED, `m${i}`), { env })).response.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.at(-1)).toBe(429);
  });

  it("windows align to multiples of their length and Retry-After is never 0", () => {
    const limits = { windowSeconds: 60, perIp: 1, perSender: 1 };
    expect(rateGate(limits, "ip", "s", Date.UTC(2026, 0, 1, 0, 0, 59, 999))).toMatchObject({ windowStart: Date.UTC(2026, 0, 1) / 1000, retryAfter: 1 });
    expect(rateGate(limits, "ip", "s", Date.UTC(2026, 0, 1, 0, 1, 0))).toMatchObject({ windowStart: Date.UTC(2026, 0, 1, 0, 1) / 1000, retryAfter: 60 });
  });
});
