/**
 * A bounded burst against the real local server (wrangler pages dev, local D1): 2,000 valid messages,
 * 200 in flight at a time, every one unique. Every 201 must have its row, nothing else may be stored,
 * and no request may get a 5xx other than the designed one: when the local D1 is too busy for a
 * write, a 503 with Retry-After and nothing stored (lib/worker/app.ts), which a client sends again --
 * as this test does, after the burst; then every message must be stored exactly once. Rate limits are switched off for this one client IP (they are tested
 * in the workers project), as an operator would for a trusted relay.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { buildProject, type LocalServer, migrateLocal, raiseRateLimits, startDev } from "../../lib/harness/wrangler-server.ts";

const TOTAL = 2_000;
const IN_FLIGHT = 200;
const TOKEN = "load-test-owner-token";

let project: ProjectCopy;
let server: LocalServer;

beforeAll(async () => {
  project = createProjectCopy();
  project.write(".dev.vars", `OWNER_TOKEN=${TOKEN}\n`);
  const port = await freePort();
  buildProject(project, `http://127.0.0.1:${port}`);
  migrateLocal(project);
  raiseRateLimits(project);
  server = await startDev(project, port);
});

afterAll(async () => {
  await server?.stop();
  project?.cleanup();
});

async function allMessages(): Promise<string[]> {
  const texts: string[] = [];
  let cursor: string | null = null;
  do {
    const url = `${server.url}/api/inbox/messages?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: { message: string }[]; next_cursor: string | null };
    texts.push(...page.items.map((item) => item.message));
    cursor = page.next_cursor;
  } while (cursor);
  return texts;
}

it(`${TOTAL} concurrent valid messages: every 201 is a stored row, nothing else is stored, no 5xx but a busy D1's 503 (sent again)`, async () => {
  const statuses = new Map<number, number>();
  const accepted = new Set<string>();
  const failures: string[] = [];
  let next = 0;

  const busy: number[] = [];
  const busyAnswers: string[] = [];

  async function send(i: number): Promise<void> {
    {
      const text = `load message ${i}`;
      try {
        const response = await fetch(`${server.url}/api/message`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            user_id: `00000000-0000-4000-8000-${String(i % 50).padStart(12, "0")}`,
            username: `sender_${i % 50}`,
            user_link: `https://sender${i % 50}.example/feed.xml`,
            message: text,
            date: new Date(Date.UTC(2026, 6, 1) + i * 1000).toISOString(),
          }),
        });
        const body = await response.text();
        if (response.status === 503 && response.headers.get("retry-after")) {
          busy.push(i);
          busyAnswers.push(body);
          return;
        }
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 201) accepted.add(text);
      } catch (error) {
        // A connection the local runtime dropped under the flood: the client cannot know whether it was
        // stored, so it sends it again, which the idempotent POST allows (a duplicate is a 201, one row).
        failures.push(`${text}: ${String(error)} ${String((error as Error).cause ?? "")}`);
        busy.push(i);
      }
    }
  }

  async function client(): Promise<void> {
    while (next < TOTAL) await send(next++);
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, client));
  // A 503 is D1 being busy, said with Retry-After and a problem body; the client sends it again.
  // Ours is a problem body; under this flood the local runtime (wrangler dev's workerd) may itself answer a
  // plain-text 503 with Retry-After ("Your worker ..."). Both mean "send it again", and nothing was stored.
  for (const answer of busyAnswers) {
    if (answer.startsWith("{")) expect(JSON.parse(answer)).toMatchObject({ status: 503 });
    else expect(answer).toMatch(/^Your worker/i);
  }
  for (let round = 0; round < 3 && busy.length; round++) {
    const again = busy.splice(0);
    for (const i of again) await send(i);
  }
  expect(busy).toEqual([]);

  const serverErrors = [...statuses].filter(([status]) => status >= 500);
  expect(serverErrors).toEqual([]);
  // A few dropped connections (sent again above) are the flood's; more would be the server failing.
  expect(failures.length, failures.join("\n")).toBeLessThanOrEqual(TOTAL / 100);
  expect(statuses.get(201)).toBe(TOTAL);

  const stored = await allMessages();
  expect(stored.length).toBe(accepted.size);
  expect(new Set(stored)).toEqual(accepted);

  const counts = (await (await fetch(`${server.url}/api/inbox`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { messages: { total: number } };
  expect(counts.messages.total).toBe(TOTAL);
});
