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
import { Budget } from "../shared/budget.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { allowLoopback, type WorkerBindings, type WorkerDeps } from "../worker-kit/env.ts";
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

/** One fetch of at most 256 KiB: the site's stylesheet, when the site is served elsewhere. */
const STYLESHEET_BUDGET = { subrequests: 1, bytes: 256 * 1024, durationMs: 5_000 };

/**
 * The public site's stylesheet: through ASSETS when this Worker serves the site, otherwise (the site
 * served elsewhere: wrangler.api-only.toml, or npm start's own static server) from the site itself,
 * beside the feed. Our own file either way; without it the pages still work, with the owner's rules only.
 */
async function siteStylesheet(c: Context<WorkerBindings>, kit: OwnerKit): Promise<string> {
  if (c.env.ASSETS) {
    const response = await c.env.ASSETS.fetch(new Request(new URL("/assets/style.css", c.req.url)));
    return response.ok ? response.text() : "";
  }
  const url = new URL("assets/style.css", kit.config.owner.feed_url).href;
  const answer = await fetchRemote(url, {
    fetch: kit.deps.fetch,
    allowLoopback: allowLoopback(c.env),
    budget: new Budget(STYLESHEET_BUDGET, kit.deps.now),
    limits: { maxRedirects: 0, maxBytes: STYLESHEET_BUDGET.bytes, timeoutMs: STYLESHEET_BUDGET.durationMs },
  });
  return answer.ok && answer.value.status === 200 ? new TextDecoder().decode(answer.value.bytes) : "";
}

/** The pages' stylesheet: the public site's and the owner's own rules. */
const stylesheet = (kit: OwnerKit) => async (c: Context<WorkerBindings>) =>
  c.body(`${await siteStylesheet(c, kit)}\n${OWNER_CSS}`, 200, { "Content-Type": "text/css; charset=utf-8" });

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
  app.get("/style.css", stylesheet(kit));
  app.route("/", signInRoutes(kit));
  app.route("/", signedInPages(kit));
  return app;
}
