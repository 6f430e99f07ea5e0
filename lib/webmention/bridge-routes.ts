/**
 * Ready for the fediverse bridge (Bridgy Fed, fed.brid.gy): with `bridgy_fed: true` in profile.yaml
 * the site answers WebFinger (RFC 7033) and host-meta (RFC 6415) lookups with the redirects Bridgy
 * Fed's set-up for web sites asks for, so @yourdomain@yourdomain is found from Mastodon and the
 * bridge reads the site's microformats2 and feed. The query string (`resource=acct:...`) goes along.
 * Without the opt-in these paths are the static site's (a 404). docs/reach.md says the rest.
 */
import { Hono } from "hono/tiny";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";

export const BRIDGY_FED = "https://fed.brid.gy";

export function bridgeRoutes(config: SiteConfig): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  if (!config.bridgy_fed) return routes;
  // webfinger, host-meta, host-meta.xrd, host-meta.json: the same name at the bridge.
  routes.get("/:name{webfinger|host-meta(\\.xrd|\\.json)?}", (c) =>
    c.redirect(`${BRIDGY_FED}/.well-known/${c.req.param("name")}${new URL(c.req.url).search}`, 302),
  );
  return routes;
}
