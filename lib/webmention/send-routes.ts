/**
 * The owner's view of the webmentions our posts send (bearer token), mounted at /api/outbox/webmentions:
 *
 *   GET  /api/outbox/webmentions[?limit=&cursor=&post=]   newest first (npm run outbox -- webmentions)
 *   POST /api/outbox/webmentions/:id/retry                a failed or no-endpoint one queued again
 *                                                         (npm run outbox -- retry-webmention <id>)
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { ListPage, WebmentionSendItem } from "../shared/api-types.ts";
import { problem } from "../shared/problem.ts";
import { integerText } from "../shared/schemas.ts";
import { DEFAULT_PAGE_SIZE, idCursor, idFromCursor, MAX_PAGE_SIZE } from "../worker-kit/cursor.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { invalid, missing } from "../worker-kit/validation.ts";
import { listSends, requeueSend } from "./send-store.ts";

export const SENDS_CURSOR = "webmention-sends";

export const sendsQuery = z.object({
  limit: z.optional(integerText(1, MAX_PAGE_SIZE)),
  cursor: z.optional(z.string().check(z.maxLength(64, "is not a cursor of this list"))),
  post: z.optional(integerText(0, Number.MAX_SAFE_INTEGER)),
});
const idParam = z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER) });

/** One page, newest first; undefined when the cursor is not one of this list's. */
export async function sendsPage(db: Parameters<typeof listSends>[0], query: z.output<typeof sendsQuery>): Promise<ListPage<WebmentionSendItem> | undefined> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  let beforeId: number | undefined;
  if (query.cursor) {
    beforeId = idFromCursor(SENDS_CURSOR, query.cursor);
    if (beforeId === undefined) return undefined;
  }
  const items = await listSends(db, { limit, ...(beforeId ? { beforeId } : {}), ...(query.post !== undefined ? { postId: query.post } : {}) });
  const last = items.at(-1);
  return { items, next_cursor: items.length === limit && last ? idCursor(SENDS_CURSOR, last.id) : null };
}

export function webmentionSendRoutes(deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.use("*", requireOwner);
  routes.get("/", zValidator("query", sendsQuery, invalid), async (c) => {
    const page = await sendsPage(c.var.db, c.req.valid("query"));
    return page ? c.json(page) : problem(400, "cursor: not a cursor of this list; use next_cursor from the previous page");
  });
  routes.post("/:id/retry", zValidator("param", idParam, missing), async (c) => {
    const { id } = c.req.valid("param");
    const result = await requeueSend(c.var.db, id, deps.now());
    if (result === "missing") return problem(404, `there is no webmention ${id} of ours`);
    if (result === "not-retryable") return problem(409, `webmention ${id} is not failed or without an endpoint; only those can be retried`);
    return c.body(null, 204);
  });
  return routes;
}
