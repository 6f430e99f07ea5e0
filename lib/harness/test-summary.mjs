// Prints "N passed, N failed" from vitest's JSON report (CI reads this line, not vitest's own).
import { existsSync, readFileSync } from "node:fs";

const file = process.argv[2] ?? "test-results/vitest.json";
if (!existsSync(file)) {
  console.log("0 passed, 1 failed");
  console.error(`(no vitest report at ${file}: the run did not finish)`);
  process.exit(0);
}
const report = JSON.parse(readFileSync(file, "utf8"));
let failed = report.numFailedTests ?? 0;
// A test file that failed without a failed test of its own -- it did not load, or its beforeAll
// threw and every test was skipped -- must still count as a failure.
for (const suite of report.testResults ?? []) {
  const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === "failed").length;
  if (suite.status === "failed" && failedTests === 0) failed += 1;
}
console.log(`${report.numPassedTests ?? 0} passed, ${failed} failed`);
