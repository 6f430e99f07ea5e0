/**
 * The Worker's entry (wrangler.toml `main`): the site's config from the last build, bundled in, and
 * the Worker built from it. Everything else lives in lib/worker/.
 *
 * ./_generated/site-config.json is written by every build (npm run build, npm start) and by
 * `npm run build -- --worker-config`; it is build output, not committed.
 */
import type { SiteConfig } from "../lib/shared/site-config.ts";
import { createWorker } from "../lib/worker/worker.ts";
import type { WorkerEnv } from "../lib/worker-kit/env.ts";
import siteConfig from "./_generated/site-config.json";

// Compile-time check that wrangler's generated Env (worker-configuration.d.ts) gives the Worker what it reads.
type EnvFits = Env extends WorkerEnv ? true : false;
const envFits: EnvFits = true;
void envFits;

export default createWorker(siteConfig as unknown as SiteConfig) satisfies ExportedHandler<Env>;
