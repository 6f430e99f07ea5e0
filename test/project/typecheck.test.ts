/**
 * TypeScript strict, checked as part of `npm test`: the Node side (build, scripts, tests), the Workers
 * side (functions and the inbox core, with wrangler's generated Env) and the Node-side helpers of the
 * workers tests. A type error anywhere fails the suite, not just an editor.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureInboxConfig } from "../../scripts/inbox-config-file.ts";
import { REPO_ROOT } from "../support/project-copy.ts";

const TSC = path.join(REPO_ROOT, "node_modules/typescript/bin/tsc");

beforeAll(() => {
  // functions/_app.ts imports the build's generated config: a fresh checkout has not built yet.
  ensureInboxConfig(REPO_ROOT);
});

describe("npm run typecheck", () => {
  for (const project of ["tsconfig.json", "tsconfig.worker.json", "test/functions/tsconfig.node.json"]) {
    it(`tsc -p ${project} finds no errors`, () => {
      const result = spawnSync(process.execPath, [TSC, "-p", project, "--noEmit"], { cwd: REPO_ROOT, encoding: "utf8" });
      expect(`${result.stdout}${result.stderr}`.trim()).toBe("");
      expect(result.status).toBe(0);
    }, 120_000);
  }
});
