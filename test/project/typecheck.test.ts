/**
 * TypeScript strict, checked as part of `npm test`: the Node side (build, scripts, benchmarks, tests),
 * the Workers side (the Worker's rooms, with wrangler's generated Env) and the Node-side helpers of the
 * workers tests. Run as `npm run typecheck` in a copy of the project that has never been built (no
 * functions/_generated/), as in a fresh clone: it must pass there too.
 */

import { spawnSync } from "node:child_process";
import { cpSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";

const project = createProjectCopy();
// What the type check covers beyond what a site needs to build.
for (const entry of ["test", "bench", "tsconfig.worker.json", "vitest.config.ts"]) {
  cpSync(path.join(REPO_ROOT, entry), path.join(project.root, entry), { recursive: true, filter: (source) => !source.includes("_generated") });
}
afterAll(() => project.cleanup());

describe("npm run typecheck", () => {
  it("passes in a checkout that has never been built", () => {
    expect(existsSync(path.join(project.root, "functions/_generated"))).toBe(false);
    const result = spawnSync("npm", ["run", "--silent", "typecheck"], { cwd: project.root, encoding: "utf8" });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe("");
    expect(result.status).toBe(0);
  }, 240_000);
});
