/**
 * The formatter and the linter (Biome, biome.json) are part of `npm test`: a file that is not
 * formatted, or that the linter flags, fails the suite like a failing test. `npx biome check --write .`
 * fixes what can be fixed automatically.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";

describe("biome ci", () => {
  it("finds nothing to format and nothing to lint", () => {
    const result = spawnSync(path.join(REPO_ROOT, "node_modules/.bin/biome"), ["ci", "--colors=off", "--diagnostic-level=warn", "."], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  }, 60_000);
});
