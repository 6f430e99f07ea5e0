/**
 * The "workers" test project: the inbox functions run inside workerd (@cloudflare/vitest-pool-workers)
 * with the D1 binding from wrangler.toml and every migration applied (setup.ts). Node globalSetups:
 * feed-server.ts serves real Open Microblog feeds on 127.0.0.1 for the reply verifier to read;
 * generated-config.ts makes sure the build's functions/_generated/inbox-config.json exists.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig(async () => {
  const migrations = await readD1Migrations(here("../../migrations"));
  // Pages functions get an ASSETS binding; a tiny fixture page stands in for _site. A plain function,
  // not buildPagesASSETSBinding: that one keeps a handle open and every vitest run then hung 10 s on exit.
  const page = readFileSync(here("fixtures/site/index.html"));
  const assets = async (request: Request) =>
    new URL(request.url).pathname === "/" ? new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }) : new Response("Not found", { status: 404 });
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: here("../../wrangler.toml") },
        miniflare: { bindings: { TEST_MIGRATIONS: migrations }, serviceBindings: { ASSETS: assets } },
      }),
    ],
    test: {
      name: "workers",
      root: here("."),
      include: ["**/*.test.ts"],
      setupFiles: ["./setup.ts"],
      globalSetup: ["./feed-server.ts", "./generated-config.ts"],
      testTimeout: 30_000,
    },
  };
});
