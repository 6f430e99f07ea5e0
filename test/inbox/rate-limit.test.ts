// Rate limits of the inbox's POST endpoints, counted by the real Rate Limiting bindings from
// wrangler.toml (30 a minute per client network, 10 a minute per sender), and what each kind of
// answer costs in D1, read from D1's own meta through the meter: a refused request writes nothing.
import { describe, expect, it } from "vitest";
import type { WorkerApp } from "../../lib/worker-kit/env.ts";
import { clientNetworkKey } from "../../lib/worker-kit/rate-limit.ts";
import { countRows, messageFrom, meteredEnv, problemOf, replyFrom, replyPath, send, testApp, testConfig } from "../worker/support/inbox.ts";
import { BLOCKED, FOLLOWED, type Person, STRANGER } from "../worker/support/people.ts";

const app = testApp();
let unique = 0;
/** Every test gets its own senders and addresses: the binding's counters outlive a test. */
const sender = (): Person => {
  unique += 1;
  return { user_id: `rl-sender-${unique}-${Date.now()}`, username: `rl_${unique}`, user_link: `https://rl${unique}.example/feed.xml` };
};
const ip = () => `198.51.100.${(unique++ % 250) + 1}`;

/** The binding counts in wall-clock minutes: start a counting test well inside one. */
async function awayFromWindowEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200));
}

describe("client network key", () => {
  it("is the IPv4 address itself, and an IPv6 address's /64", () => {
    expect(clientNetworkKey("203.0.113.7")).toBe("ip:203.0.113.7");
    expect(clientNetworkKey("2001:db8:1:2::1")).toBe("ip:2001:db8:1:2::/64");
    expect(clientNetworkKey("2001:DB8:1:2:ffff:ffff:ffff:ffff")).toBe("ip:2001:db8:1:2::/64");
    expect(clientNetworkKey("2001:db8:1:3::1")).toBe("ip:2001:db8:1:3::/64");
    expect(clientNetworkKey("::ffff:203.0.113.7")).toBe("ip:203.0.113.7");
  });
});

describe("per client network", () => {
  // Unsigned senders are counted by their client network whatever user_ids they claim (docs/signing.md):
  // 10 a minute (INBOX_SENDER_LIMIT), inside the network's own 30 (INBOX_IP_LIMIT), which signed senders share.
  it("allows unsigned senders 10 a minute per client network with fresh user_ids each, then answers 429 with Retry-After, and a refused request costs no D1 call at all", async () => {
    await awayFromWindowEdge();
    const { env, usage } = meteredEnv({}, true);
    const address = ip();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await send(app, "/api/message", messageFrom(sender(), `m${i}`), { env, ip: address })).response.status);
    expect(statuses).toEqual(new Array(10).fill(201));
    const before = { ...usage };
    const refused = (await send(app, "/api/message", messageFrom(sender(), "one more"), { env, ip: address })).response;
    const refusedReply = (await send(app, replyPath(3), replyFrom(sender(), "1"), { env, ip: address })).response;
    expect([refused.status, refusedReply.status]).toEqual([429, 429]);
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect((await problemOf(refused)).title).toBe("Too Many Requests");
    expect(usage).toEqual(before);
    // Another address is not affected.
    expect((await send(app, "/api/message", messageFrom(sender()), { env, ip: ip() })).response.status).toBe(201);
  });

  it("counts an IPv6 client by its /64: another address in the same /64 is the same client", async () => {
    await awayFromWindowEdge();
    const { env } = meteredEnv({}, true);
    const prefix = `2001:db8:${(unique++ % 0xffff).toString(16)}:7`;
    for (let i = 0; i < 10; i++) {
      const { response } = await send(app, "/api/message", messageFrom(sender()), { env, ip: `${prefix}::${(i + 1).toString(16)}` });
      expect(response.status).toBe(201);
    }
    expect((await send(app, "/api/message", messageFrom(sender()), { env, ip: `${prefix}:ffff:ffff:ffff:ffff` })).response.status).toBe(429);
    expect((await send(app, "/api/message", messageFrom(sender()), { env, ip: `${prefix.replace(/:7$/, ":8")}::1` })).response.status).toBe(201);
  });

  it("a flood of 2,000 requests from one client writes only the rows of the accepted ones", async () => {
    await awayFromWindowEdge();
    const { env, usage } = meteredEnv({}, true);
    const address = ip();
    const statuses: number[] = [];
    for (let batch = 0; batch < 40; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => send(app, "/api/message", messageFrom(sender(), `flood ${batch}-${i}`), { env, ip: address })),
      );
      statuses.push(...answers.map((answer) => answer.response.status));
    }
    const accepted = statuses.filter((status) => status === 201).length;
    expect(statuses.filter((status) => status !== 201 && status !== 429)).toEqual([]);
    // 10 a minute for unsigned senders; a minute boundary during the flood may let one more window through.
    expect(accepted === 10 || accepted === 20).toBe(true);
    // Each stranger's message: its row, its idempotency index, the daily cap's count.
    expect(usage.rowsWritten).toBe(3 * accepted);
    expect(await countRows("messages")).toBeGreaterThanOrEqual(accepted);
  }, 60_000);
});

describe("per sender", () => {
  it("limits one user_id to 10 a minute across many networks", async () => {
    await awayFromWindowEdge();
    const { env } = meteredEnv({}, true);
    const one = sender();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await send(app, "/api/message", messageFrom(one, `message ${i}`), { env, ip: ip() })).response.status);
    expect(statuses).toEqual([...new Array(10).fill(201), 429]);
    expect((await send(app, "/api/message", messageFrom(sender()), { env, ip: ip() })).response.status).toBe(201);
  });
});

describe("what each answer costs in D1 (rows written, from D1's meta)", () => {
  it("an unsigned message claiming a followed account writes 3 rows (as a stranger's: the claim proves nothing), its duplicate none", async () => {
    const { env, usage } = meteredEnv();
    const body = messageFrom(FOLLOWED, `count my rows ${unique++} ${Date.now()}`);
    expect((await send(app, "/api/message", body, { env })).response.status).toBe(201);
    expect(usage.rowsWritten).toBe(3);
    expect(usage.calls).toBe(1);
    expect((await send(app, "/api/message", body, { env })).response.status).toBe(201);
    expect(usage.rowsWritten).toBe(3);
  });

  it("a stranger's message writes 3 rows (the row, its idempotency index, the daily cap's count), its duplicate none", async () => {
    const { env, usage } = meteredEnv();
    const body = messageFrom(sender(), "count my rows");
    expect((await send(app, "/api/message", body, { env })).response.status).toBe(201);
    expect(usage.rowsWritten).toBe(3);
    expect(usage.calls).toBe(1);
    expect((await send(app, "/api/message", body, { env })).response.status).toBe(201);
    expect(usage.rowsWritten).toBe(3);
  });

  it("a stranger's reply writes 4 rows (the row, its idempotency index, its place in the sweep's queue, the daily cap's count)", async () => {
    const { env, usage } = meteredEnv();
    // A sender whose feed is never fetched here: the background check is not awaited and writes through env.DB unmetered.
    const { response } = await send(testApp(undefined, { fetch: () => new Promise<Response>(() => {}) }), replyPath(3), replyFrom(sender(), "7"), { env });
    expect(response.status).toBe(201);
    expect(usage.rowsWritten).toBe(4);
    expect(usage.calls).toBe(1);
  });

  const followsOnly = testApp(testConfig({ accept: "follows" }));
  const cases: [string, WorkerApp, () => unknown, string, number][] = [
    ["403 (blocked)", app, () => messageFrom(BLOCKED), "application/json", 403],
    ["403 (not accepted: accept=follows)", followsOnly, () => messageFrom(STRANGER), "application/json", 403],
    ["400 (bad JSON)", app, () => "{not json", "application/json", 400],
    [
      "400 (a direction override in user_link)",
      app,
      () => ({ ...messageFrom(sender()), user_link: "https://evil.example/\u202efeed" }),
      "application/json",
      400,
    ],
    ["415", app, () => messageFrom(sender()), "text/plain", 415],
    ["413", app, () => messageFrom(sender(), "x".repeat(40_000)), "application/json", 413],
  ];
  it.each(cases)("a %s writes nothing and makes no D1 call", async (_, target, body, contentType, status) => {
    const { env, usage } = meteredEnv();
    const { response } = await send(target, "/api/message", body(), { env, contentType });
    expect(response.status).toBe(status);
    expect(usage).toEqual({ calls: 0, rowsRead: 0, rowsWritten: 0 });
  });
});
