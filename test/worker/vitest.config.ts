/**
 * The "workers" test project: the Worker itself (functions/index.ts, wrangler.toml's bindings: D1,
 * the Rate Limiting bindings, static assets) runs inside workerd (@cloudflare/vitest-pool-workers),
 * with every migration applied to a real local D1 (setup.ts). A tiny fixture site stands in for
 * _site/, so the tests need no build. Node globalSetup: support/feed-server.ts serves real Open
 * Microblog feeds on 127.0.0.1 for the Worker to read.
 */
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { ensureSiteConfig } from "../../lib/site-build/site-config-file.ts";

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig(async () => {
  // functions/index.ts bundles the build's site config: a fresh checkout has not built yet.
  ensureSiteConfig(here("../.."));
  const migrations = await readD1Migrations(here("../../migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: here("../../functions/index.ts"),
        wrangler: { configPath: here("../../wrangler.toml") },
        miniflare: {
          // OWNER_TOKEN as a deployed Worker has it (a secret); the tests' token (support/worker.ts).
          bindings: { TEST_MIGRATIONS: migrations, OWNER_TOKEN: "test-owner-token-5f4dcc3b5aa765d61d8327deb882cf99" },
          // In place of _site/ (the rest of [assets] comes from wrangler.toml).
          assets: { directory: here("fixtures/site") },
        },
      }),
    ],
    test: {
      name: "workers",
      root: here("../.."),
      include: ["test/{worker,inbox,timeline,outbox,owner,websub,write,webmention,indieauth,micropub}/**/*.test.ts"],
      setupFiles: ["test/worker/setup.ts"],
      globalSetup: [
        "test/worker/support/feed-server.ts",
        "test/worker/support/feed-server-timeline.ts",
        "test/worker/support/feed-server-outbox.ts",
        "test/worker/support/feed-server-websub.ts",
        "test/worker/support/forge-server-write.ts",
        "test/worker/support/webmention-sources.ts",
        "test/worker/support/webmention-targets.ts",
        "test/worker/support/feed-server-signing.ts",
      ],
      testTimeout: 30_000,
    },
  };
});
