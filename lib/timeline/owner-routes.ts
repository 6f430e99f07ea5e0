/**
 * The owner's timeline (bearer token, lib/worker-kit/owner-auth.ts), mounted at /api/timeline:
 *
 *   GET /api/timeline            posts of followed accounts, newest first; ?user= (user_id or
 *                                username), ?mentions=1, ?limit= (1-100), ?cursor= (next_cursor)
 *   GET /api/timeline/follows    each followed feed: state, last and next poll, last error, moved-to
 *
 * The answers are the read models of queries.ts (shared with the owner's pages).
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import { problem } from "../shared/problem.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { invalid } from "../worker-kit/validation.ts";
import { readFollows, readTimeline, timelineQuery } from "./queries.ts";

export function timelineOwnerRoutes(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.use("*", requireOwner);

  routes.get("/", zValidator("query", timelineQuery, invalid), async (c) => {
    const page = await readTimeline(c.var.db, config, c.req.valid("query"));
    if (!page.ok) return problem(400, page.error);
    return c.json(page.value);
  });

  routes.get("/follows", async (c) => c.json(await readFollows(c.var.db, config, deps.now())));

  // Known paths, other methods: 405 with Allow (registered last, so the routes above win).
  for (const path of ["/", "/follows"]) {
    routes.all(path, (c) => problem(405, `${c.req.method} is not allowed here; use GET`, { Allow: "GET, OPTIONS" }));
  }
  return routes;
}
