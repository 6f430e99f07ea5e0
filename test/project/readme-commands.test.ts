// Every `npm run <script>` the README tells a reader to type exists in package.json: the two drift
// apart silently otherwise (`npm run tick` was documented for a while before it existed).
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";

const README = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const scripts = Object.keys((JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

it("names only npm scripts that exist", () => {
  const named = new Set([...README.matchAll(/npm run ([a-z](?:[a-z0-9:-]*[a-z0-9])?)/g)].map((match) => match[1] as string));
  expect(named.size).toBeGreaterThan(5);
  expect([...named].filter((name) => !scripts.includes(name))).toEqual([]);
});

/** Scripts that are plumbing, not commands a reader types: npm test and npm start are the two commands; the rest are called by them. */
const PLUMBING = new Set(["test", "start", "eleventy", "types"]);

it("explains every user command of package.json", () => {
  expect(scripts).toContain("tick");
  const unexplained = scripts.filter((name) => !PLUMBING.has(name) && !README.includes(`npm run ${name}`));
  expect(unexplained).toEqual([]);
});
