/**
 * The owner's side of the outbox (bearer token, lib/worker-kit/owner-auth.ts), mounted at /api/outbox:
 *
 *   GET  /api/outbox[?state=&limit=&cursor=]   every notification and message, newest first (npm run outbox)
 *   POST /api/outbox/messages                  send a private message now (npm run message, npm run inbox -- reply)
 *   POST /api/outbox/:id/retry                 put a refused or failed one back in the queue (npm run outbox -- retry)
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import type { ListPage, OutboxItem } from "../shared/api-types.ts";
import { Budget } from "../shared/budget.ts";
import { problem } from "../shared/problem.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { DEFAULT_PAGE_SIZE, idCursor, idFromCursor } from "../worker-kit/cursor.ts";
import { allowLoopback, type WorkerBindings, type WorkerDeps } from "../worker-kit/env.ts";
import { jsonBody } from "../worker-kit/json-body.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { invalid, missing } from "../worker-kit/validation.ts";
import { SEND_BUDGET } from "./policy.ts";
import { itemParam, listQuery, sendBody } from "./schemas.ts";
import { sendMessage } from "./send-message.ts";
import { ownSigner } from "./signer.ts";
import { type ListQuery, listOutbox, requeue } from "./store.ts";

export function outboxRoutes(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.use("*", requireOwner);

  routes.get("/", zValidator("query", listQuery, invalid), async (c) => {
    const { limit, cursor, state } = c.req.valid("query");
    const query: ListQuery = { limit: limit ?? DEFAULT_PAGE_SIZE };
    if (state) query.state = state;
    if (cursor) {
      const beforeId = idFromCursor("outbox", cursor);
      if (beforeId === undefined) return problem(400, "cursor: not a cursor of the outbox; use next_cursor from the previous page");
      query.beforeId = beforeId;
    }
    const listed = await listOutbox(c.var.db, query);
    const page: ListPage<OutboxItem> = { items: listed.items, next_cursor: listed.nextBeforeId === undefined ? null : idCursor("outbox", listed.nextBeforeId) };
    return c.json(page);
  });

  routes.post("/messages", jsonBody, zValidator("json", sendBody, invalid), async (c) => {
    const body = c.req.valid("json");
    const recipient =
      body.reply_to !== undefined ? ({ kind: "message", id: body.reply_to } as const) : ({ kind: "address", value: body.recipient ?? "" } as const);
    const sent = await sendMessage(config, recipient, body.text, {
      db: c.var.db,
      fetch: deps.fetch,
      allowLoopback: allowLoopback(c.env),
      budget: new Budget(SEND_BUDGET, deps.now),
      now: deps.now,
      signer: await ownSigner(config, c.env.SIGNING_KEY, deps.now()),
    });
    if (!sent.ok) return problem(sent.error.status, sent.error.detail);
    return c.json(sent.value.answer, sent.value.status);
  });

  routes.post("/:id/retry", zValidator("param", itemParam, missing), async (c) => {
    const { id } = c.req.valid("param");
    const result = await requeue(c.var.db, id, deps.now());
    if (result.status === "missing") return problem(404, `there is no outbox item ${id}`);
    if (result.status === "not-retryable") {
      return problem(409, `outbox item ${id} is ${result.item.state}; only a refused or failed one can be retried`);
    }
    return c.json(result.item);
  });

  // Known paths, other methods: 405 with Allow (registered last, so the routes above win).
  const allowed: [string, string][] = [
    ["/", "GET"],
    ["/messages", "POST"],
    ["/:id/retry", "POST"],
  ];
  for (const [path, methods] of allowed) {
    routes.all(path, (c) => problem(405, `${c.req.method} is not allowed here; use ${methods}`, { Allow: `${methods}, OPTIONS` }));
  }
  return routes;
}
