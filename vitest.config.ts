import { defineConfig } from "vitest/config";

// Three projects: pure core and build tests in Node, end-to-end tests (real servers, a real
// browser) in Node with long timeouts, and the functions inside workerd with a real local D1.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "core",
          include: ["test/**/*.test.ts"],
          exclude: ["test/{worker,inbox,timeline,outbox,owner,websub,write,webmention,indieauth}/**", "test/e2e/**"],
          environment: "node",
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      // A glob, so the other projects still run while this file is being written.
      "./test/worker/vitest.config.{ts,mts}",
    ],
  },
});
