/**
 * The owner's pages under /owner/ (mounted by lib/worker/app.ts): sign in with the owner token once
 * per device, then read and act on the inbox, the timeline and the outbox -- server-rendered HTML
 * (Hono JSX), no JavaScript, readable on a phone. Every page reads and writes through the same store
 * functions as the owner API and the CLIs; the pages add only the session and the forms.
 *
 * One sub-app per section, each mounted with route() under one session middleware:
 *
 *   walls (security.ts): secure headers + no-store, csrf      every response, every POST
 *   frame (layout.tsx): jsx-renderer                          every page
 *   /owner/style.css, /owner/sign-in, /owner/sign-out          no session needed (sign-in.tsx)
 *   session (sign-in.tsx: requireSession)                     everything below
 *     /owner/            overview-routes.tsx
 *     /owner/inbox       inbox-routes.tsx (webmentions received: webmention-routes.tsx)
 *     /owner/timeline    timeline-routes.tsx
 *     /owner/outbox      outbox-routes.tsx (webmentions sent: webmention-routes.tsx)
 *     /owner/write       write-routes.tsx (posts, replies, reposts: a commit)
 *     /owner/auth, /owner/apps   apps-routes.tsx (IndieAuth: an app's sign-in, the apps' tokens)
 *
 * A new section is its routes module, one route() line below and its line in layout.tsx's NAV.
 */
import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { appsRoutes } from "./apps-routes.tsx";
import { inboxRoutes } from "./inbox-routes.tsx";
import type { OwnerKit } from "./kit.ts";
import { ownerLayout } from "./layout.tsx";
import { outboxRoutes } from "./outbox-routes.tsx";
import { overviewRoutes } from "./overview-routes.tsx";
import { isCsrfRefusal, noStore, ownerCsrf, ownerSecureHeaders } from "./security.ts";
import { requireSession, signInRoutes } from "./sign-in.tsx";
import { OWNER_CSS } from "./style.ts";
import { timelineRoutes } from "./timeline-routes.tsx";
import { receivedWebmentionRoutes, sentWebmentionRoutes } from "./webmention-routes.tsx";
import { writeRoutes } from "./write-routes.tsx";

/** The pages' stylesheet: the public site's (when this Worker serves it) and the owner's own rules. */
async function stylesheet(c: Context<WorkerBindings>) {
  let site = "";
  if (c.env.ASSETS) {
    const response = await c.env.ASSETS.fetch(new Request(new URL("/assets/style.css", c.req.url)));
    if (response.ok) site = await response.text();
  }
  return c.body(`${site}\n${OWNER_CSS}`, 200, { "Content-Type": "text/css; charset=utf-8" });
}

/** The pages a session opens, one sub-app per section. */
function signedInPages(kit: OwnerKit): Hono<WorkerBindings> {
  return new Hono<WorkerBindings>()
    .use(requireSession(kit))
    .route("/", overviewRoutes(kit))
    .route("/inbox/webmentions", receivedWebmentionRoutes())
    .route("/inbox", inboxRoutes(kit))
    .route("/outbox/webmentions", sentWebmentionRoutes())
    .route("/timeline", timelineRoutes(kit))
    .route("/outbox", outboxRoutes(kit))
    .route("/write", writeRoutes(kit))
    .route("/", appsRoutes(kit))
    .all("*", (c) => {
      c.status(404);
      return c.render(<p>There is no such page.</p>, { title: "Not found", section: "overview" });
    });
}

export function ownerPages(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const kit: OwnerKit = { config, deps };
  const app = new Hono<WorkerBindings>();
  app.use(ownerSecureHeaders, noStore, ownerLayout(config.owner.username), ownerCsrf);
  // hono/csrf refuses by throwing; the owner sees a page saying so. Every other error goes on to the Worker's onError.
  app.onError((error, c) => {
    if (!isCsrfRefusal(error)) throw error;
    c.status(403);
    return c.render(<p class="owner-error">This request did not come from your own pages; nothing was changed.</p>, {
      title: "Refused",
      section: "overview",
      signedIn: false,
    });
  });
  app.get("/style.css", stylesheet);
  app.route("/", signInRoutes(kit));
  app.route("/", signedInPages(kit));
  return app;
}
