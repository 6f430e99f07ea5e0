/**
 * What each section of the owner's pages is built from (app.tsx passes it to every section): the
 * site, the clock and the network. The frame comes from the renderer (layout.tsx), the session from
 * app.tsx's middleware: a section only registers its routes.
 */
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerDeps } from "../worker-kit/env.ts";

export interface OwnerKit {
  config: SiteConfig;
  deps: WorkerDeps;
}
