/**
 * What the page modules (timeline-routes.tsx, outbox-routes.tsx) get from routes.tsx, which
 * registers them after the session check: the site, the clock and network, and the owner's frame.
 * Its own file, so the page modules depend on it and not on routes.tsx that imports them.
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerDeps } from "../worker-kit/env.ts";
import type { OwnerSection } from "./layout.tsx";

export interface OwnerPageKit {
  config: SiteConfig;
  deps: WorkerDeps;
  /** A whole page in the owner's frame, with this status. */
  render(c: Context, status: ContentfulStatusCode, title: string, section: OwnerSection, body: Child, signedIn?: boolean): Promise<Response>;
}
