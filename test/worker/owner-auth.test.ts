// The owner API's lock (lib/worker-kit/owner-auth.ts: Hono's bearer-auth) and its limit on FAILED
// attempts per client network, counted by the real Rate Limiting binding from wrangler.toml
// (OWNER_AUTH_FAILURE_LIMIT, 10 a minute): a guesser gets 429 after ten failures, the owner's right
// token from the same network is still served, and no answer to a guess touches D1.
import { describe, expect, it } from "vitest";
import { meteredEnv, OWNER_TOKEN, problemOf, testApp } from "./support/worker.ts";

const app = testApp();
/** Every test gets its own network: the binding's counters outlive a test. */
let unique = 0;
const network = () => `198.18.${(Date.now() >> 10) % 250}.${(unique++ % 250) + 1}`;

/** The binding counts in wall-clock minutes: start a counting test well inside one. */
async function awayFromWindowEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200));
}

function call(ip: string, authorization: string | null, env: ReturnType<typeof meteredEnv>["env"], path = "/api/inbox", method = "GET") {
  const headers: Record<string, string> = { "CF-Connecting-IP": ip };
  if (authorization !== null) headers.Authorization = authorization;
  return app.request(path, { method, headers }, env);
}

describe("failed owner authentications, per client network", () => {
  it("ten wrong tokens a minute get 401, then 429 with Retry-After; the right token from the same network is still served", async () => {
    await awayFromWindowEdge();
    const { env, usage } = meteredEnv({}, true);
    const ip = network();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call(ip, `Bearer wrong-${i}`, env)).status);
    expect(statuses).toEqual(new Array(10).fill(401));
    const refused = await call(ip, "Bearer wrong-again", env);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect((await problemOf(refused)).detail).toMatch(/too many failed sign-in attempts from your network/);
    // No header at all and a malformed one are failures too.
    expect((await call(ip, null, env)).status).toBe(429);
    expect((await call(ip, OWNER_TOKEN, env)).status).toBe(429);
    // Not one of these answers made a D1 call.
    expect(usage).toMatchObject({ calls: 0, rowsWritten: 0 });

    // The owner, on the same network, is never locked out.
    const owner = await call(ip, `Bearer ${OWNER_TOKEN}`, env);
    expect(owner.status).toBe(200);
    expect((await call(ip, `Bearer ${OWNER_TOKEN}`, env, "/api/timeline/follows")).status).toBe(200);
    // Another network's first failure is a plain 401.
    const elsewhere = await call(network(), "Bearer wrong", env);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get("WWW-Authenticate")).toBe('Bearer realm="skein", error="invalid_token"');
    expect((await problemOf(elsewhere)).detail).toBe("the owner token does not match");
  });

  it("a flood of 1,000 wrong tokens from one network: 10 are answered 401, the rest 429, the owner's requests in between all 200, no D1 row", async () => {
    await awayFromWindowEdge();
    const { env, usage } = meteredEnv({}, true);
    const ip = network();
    const guesses: number[] = [];
    const owners: number[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => call(ip, `Bearer guess-${batch}-${i}`, env, "/api/jobs/run", "POST")));
      guesses.push(...answers.map((answer) => answer.status));
      owners.push((await call(ip, `Bearer ${OWNER_TOKEN}`, env, "/api/inbox")).status);
    }
    const unauthorized = guesses.filter((status) => status === 401).length;
    expect(guesses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    // Ten a minute; a minute boundary during the flood may let one more window through.
    expect(unauthorized === 10 || unauthorized === 20).toBe(true);
    expect(owners).toEqual(new Array(20).fill(200));
    // The owner's reads read; nothing anywhere was written.
    expect(usage.rowsWritten).toBe(0);
  }, 60_000);

  it("the site's own misconfiguration is said as it is and not counted as a guess", async () => {
    const { env } = meteredEnv({ OWNER_TOKEN: "not a bearer token!" }, true);
    const ip = network();
    for (let i = 0; i < 12; i++) {
      const response = await call(ip, "Bearer anything", env);
      expect(response.status).toBe(401);
      expect((await problemOf(response)).detail).toMatch(/characters a bearer token cannot carry/);
    }
  });
});
