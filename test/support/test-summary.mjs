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
// A test file that failed to load has no tests but must still count as a failure.
for (const suite of report.testResults ?? []) {
  if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) failed += 1;
}
console.log(`${report.numPassedTests ?? 0} passed, ${failed} failed`);
