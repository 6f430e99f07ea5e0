import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Three projects: pure core and build tests in Node, end-to-end tests (real servers, a real
// browser) in Node with long timeouts, and the functions inside workerd with a real local D1.
//
// One test file per core at a time for core and workers (vitest's default is one fewer than the
// cores: a single file at a time on a 2-core machine, while most files spend their time waiting on a
// child process -- a command, a build, workerd -- so the second core sat idle). The e2e files run
// one at a time after them: they start servers, builds and a browser of their own.
export default defineConfig({
  test: {
    maxWorkers: availableParallelism(),
    projects: [
      {
        test: {
          name: "core",
          include: ["test/**/*.test.ts"],
          exclude: ["test/{worker,inbox,timeline,outbox,owner,websub,write,webmention,indieauth,micropub}/**", "test/e2e/**"],
          environment: "node",
          // A hang guard, not a speed limit: with a file per core, a command a test runs shares
          // the machine with another file's.
          testTimeout: 30_000,
          hookTimeout: 60_000,
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
