// The last line of `npm test` and `.ci/run` ("N passed, N failed", lib/harness/test-summary.mjs) is
// what CI reads: a file that failed without failing a test of its own must not read as green.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "skein-summary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function summary(report: unknown): string {
  const file = path.join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(report));
  return execFileSync(process.execPath, [path.join(REPO_ROOT, "lib/harness/test-summary.mjs"), file], { encoding: "utf8" }).trim();
}

const passing = { status: "passed", assertionResults: [{ status: "passed" }, { status: "passed" }] };

it("counts the failed tests", () => {
  const failing = { status: "failed", assertionResults: [{ status: "passed" }, { status: "failed" }] };
  expect(summary({ numPassedTests: 3, numFailedTests: 1, testResults: [passing, failing] })).toBe("3 passed, 1 failed");
});

it("counts a file that did not load, and one whose beforeAll threw (every test skipped), as failed", () => {
  const notLoaded = { status: "failed", assertionResults: [] };
  const setupThrew = { status: "failed", assertionResults: [{ status: "skipped" }, { status: "skipped" }] };
  expect(summary({ numPassedTests: 2, numFailedTests: 0, testResults: [passing, notLoaded, setupThrew] })).toBe("2 passed, 2 failed");
});

it("says the run failed when there is no report", () => {
  expect(execFileSync(process.execPath, [path.join(REPO_ROOT, "lib/harness/test-summary.mjs"), path.join(dir, "missing.json")], { encoding: "utf8" })).toBe(
    "0 passed, 1 failed\n",
  );
});
