/**
 * POST /api/jobs/run (owner token): run the scheduled jobs now and answer what each did. `npm run
 * tick` and `npm start`'s minute timer call it; the cron trigger calls the same dispatcher through
 * scheduled() (lib/worker/worker.ts). Body: {} for the jobs that are due, {"all": true} for every job
 * with every schedule and backoff ignored.
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { problem } from "../shared/problem.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { runJobs } from "../worker-kit/jobs.ts";
import { jsonBody } from "../worker-kit/json-body.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { invalid } from "../worker-kit/validation.ts";
import { SCHEDULED_JOBS } from "./job-list.ts";

const runBody = z.strictObject({ all: z.optional(z.boolean()) });

export function jobsRoutes(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.use("*", requireOwner);
  routes.post("/run", jsonBody, zValidator("json", runBody, invalid), async (c) => {
    const { all } = c.req.valid("json");
    const report = await runJobs(SCHEDULED_JOBS, { config, env: c.env, deps, now: deps.now(), all: all ?? false });
    return c.json(report);
  });
  routes.all("/run", (c) => problem(405, `${c.req.method} is not allowed here; use POST`, { Allow: "POST, OPTIONS" }));
  return routes;
}
