/**
 * The inbox app with this site's config. The build writes ./_generated/inbox-config.json (owner,
 * accept policy, follows/blocks/selected, published post ids), so the functions never fetch the
 * site to answer a request. Not a route itself: Pages only routes files exporting onRequest*.
 */
import { createApp } from "../lib/inbox/app.ts";
import type { InboxConfig } from "../lib/shared/site-config.ts";
import type { InboxEnv } from "../lib/shared/d1.ts";
import generated from "./_generated/inbox-config.json";

// Compile-time check that wrangler's generated Env (worker-configuration.d.ts) gives the app what it reads.
type EnvFits = Env extends InboxEnv ? true : false;
const envFits: EnvFits = true;
void envFits;

export const app = createApp(generated as InboxConfig);
