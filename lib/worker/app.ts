/**
 * The Worker's HTTP side: one Hono app with each capability's routes mounted as a sub-app. Static
 * files never reach it (wrangler.toml: only /api/* and /owner/* run the Worker first), so everything
 * here is dynamic. One onError and one notFound for all of it; every answer that is not a success is
 * an RFC 9457 problem (lib/shared/problem.ts).
 *
 *   /api/message, /api/posts/:id/reply    the spec's public endpoints   lib/inbox/public-routes.ts
 *   /api/inbox/...                        the owner's inbox             lib/inbox/owner-routes.ts
 *   /api/jobs/run                         run the scheduled jobs now    lib/worker/jobs-routes.ts
 *   /api/timeline, /api/timeline/follows  the owner's timeline          lib/timeline/owner-routes.ts
 *   /api/outbox/webmentions/...           webmentions we send (owner)   lib/webmention/send-routes.ts
 *   /api/outbox/...                       what Skein sends (owner)      lib/outbox/routes.ts
 *   /api/write/posts                      write a post: a commit (owner)  lib/write/routes.ts
 *   /owner/...                            the owner's pages (a session) lib/owner/app.tsx
 *   /api/websub/hub                       our own WebSub hub            lib/websub/hub-routes.ts
 *   /api/websub/callback/<token>          the timeline's subscriptions  lib/timeline/websub-routes.ts
 *   /api/webmention                       W3C Webmention receiver       lib/webmention/routes.ts
 *   /api/webmentions/...                  webmentions (owner)           lib/webmention/routes.ts
 *   /api/micropub                         W3C Micropub (IndieAuth token) lib/micropub/routes.ts
 *   /.well-known/webfinger, host-meta     Bridgy Fed redirects (opt-in) lib/webmention/bridge-routes.ts
 *   /.well-known/oauth-authorization-server, /api/indieauth/...
 *                                         IndieAuth's endpoints         lib/indieauth/routes.ts
 *   /owner/auth (GET), /owner/apps        consent, the apps' tokens     lib/owner/apps-routes.tsx
 */
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { Hono } from "hono/tiny";
import { inboxOwnerRoutes } from "../inbox/owner-routes.ts";
import { inboxPublicRoutes } from "../inbox/public-routes.ts";
import { indieauthRoutes } from "../indieauth/routes.ts";
import { micropubRoutes } from "../micropub/routes.ts";
import { outboxRoutes } from "../outbox/routes.ts";
import { ownerPages } from "../owner/app.tsx";
import { meteredDb } from "../shared/d1.ts";
import { secondsToNextUtcDay } from "../shared/dates.ts";
import { problem } from "../shared/problem.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { timelineOwnerRoutes } from "../timeline/owner-routes.ts";
import { websubCallbackRoutes } from "../timeline/websub-routes.ts";
import { bridgeRoutes } from "../webmention/bridge-routes.ts";
import { webmentionOwnerRoutes, webmentionRoutes } from "../webmention/routes.ts";
import { webmentionSendRoutes } from "../webmention/send-routes.ts";
import { websubHubRoutes } from "../websub/hub-routes.ts";
import type { WorkerApp, WorkerBindings, WorkerOptions } from "../worker-kit/env.ts";
import { writeRoutes } from "../write/routes.ts";
import { workerDeps } from "./deps.ts";
import { jobsRoutes } from "./jobs-routes.ts";

/** D1 failed (for example the free plan's daily limits are used up, until 00:00 UTC): retry later. */
export function isD1Error(error: unknown): boolean {
  return error instanceof Error && /\bD1_[A-Z_]*|SQLITE_[A-Z]+/.test(error.message);
}

/**
 * The answer when D1 fails: 503 with Retry-After, never a 500. Nothing was half-stored (every write
 * is one statement or one batch, each atomic). The free plan's daily limits reset at 00:00 UTC, so a
 * limit error says to come back then; any other failure, in 30 seconds.
 */
export function d1Unavailable(error: Error, nowMs: number): Response {
  const limit = /limit|quota|exceeded/i.test(error.message);
  return problem(
    503,
    limit
      ? "the site's database has reached its daily limit; nothing was stored, try again after 00:00 UTC"
      : "the site's database is unavailable; nothing was stored, try again shortly",
    { "Retry-After": String(limit ? secondsToNextUtcDay(nowMs) : 30) },
  );
}

export function createApp(config: SiteConfig, options: WorkerOptions = {}): WorkerApp {
  const deps = workerDeps(options);
  const app = new Hono<WorkerBindings>();

  // Every request's D1 calls are metered (D1's own meta); benchmarks read the totals in Server-Timing.
  app.use("*", async (c, next) => {
    const { db, usage } = meteredDb(c.env.DB);
    c.set("db", db);
    c.set("usage", usage);
    await next();
    if (c.env.D1_METER_HEADER === "true") {
      c.res.headers.append("Server-Timing", `d1;desc="calls=${usage.calls} rows_read=${usage.rowsRead} rows_written=${usage.rowsWritten}"`);
    }
  });

  // Browser-based Open Microblog clients post from other origins; the owner API uses no cookies.
  app.use(
    "/api/*",
    cors({
      origin: "*",
      allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
      allowHeaders: ["Content-Type", "Authorization"],
      exposeHeaders: ["Retry-After"],
      maxAge: 86400,
    }),
  );

  app.route("/api", inboxPublicRoutes(config, deps));
  app.route("/api/inbox", inboxOwnerRoutes(config, deps));
  app.route("/api/jobs", jobsRoutes(config, deps));
  app.route("/api/timeline", timelineOwnerRoutes(config, deps));
  app.route("/api/outbox/webmentions", webmentionSendRoutes(deps));
  app.route("/api/outbox", outboxRoutes(config, deps));
  app.route("/api/write", writeRoutes(config, deps));
  app.route("/", indieauthRoutes(deps));
  app.route("/owner", ownerPages(config, deps));
  app.route("/api/websub", websubHubRoutes(config, deps));
  app.route("/api/websub/callback", websubCallbackRoutes(config, deps));
  app.route("/api", webmentionRoutes(config, deps));
  app.route("/api/webmentions", webmentionOwnerRoutes());
  app.route("/api/micropub", micropubRoutes(config, deps));
  app.route("/.well-known", bridgeRoutes(config));

  app.notFound(async (c) => {
    const path = new URL(c.req.url).pathname;
    // Deployed, only /api/* and /owner/* reach the Worker; anything else is the static site's (tests, misconfiguration).
    const dynamic = /^\/(api|owner)(\/|$)/.test(path);
    if (c.env.ASSETS && !dynamic) return c.env.ASSETS.fetch(c.req.raw);
    return problem(404, `nothing at ${c.req.method} ${path.slice(0, 200)}`);
  });

  app.onError((error, c) => {
    // Hono's own middleware (bearer-auth) throws with the whole answer already built.
    if (error instanceof HTTPException && error.res) return error.getResponse();
    // Client-caused errors that escaped a handler (e.g. Hono's HTTPException for a bad body) stay 4xx.
    if (error instanceof HTTPException && error.status >= 400 && error.status < 500) {
      return problem(error.status, error.message || "the request could not be read");
    }
    if (isD1Error(error)) {
      console.error(`skein: D1 failed on ${c.req.method} ${new URL(c.req.url).pathname}`, error);
      return d1Unavailable(error as Error, deps.now());
    }
    console.error(`skein: unexpected error on ${c.req.method} ${new URL(c.req.url).pathname}`, error);
    return problem(500, "an unexpected error on our side; please try again later");
  });

  return app;
}
