// Every `npm run <script>` the README or docs/ tell a reader to type exists in package.json, and every
// command a user types is explained there: the two drift apart silently otherwise.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { ALL_DOCS, DOC_PAGES, README } from "../support/docs.ts";

const scripts = Object.keys((JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

it("names only npm scripts that exist", () => {
  const named = new Set([...ALL_DOCS.matchAll(/npm run ([a-z](?:[a-z0-9:-]*[a-z0-9])?)/g)].map((match) => match[1] as string));
  expect(named.size).toBeGreaterThan(5);
  expect([...named].filter((name) => !scripts.includes(name))).toEqual([]);
});

/** Scripts that are plumbing, not commands a reader types: npm test and npm start are the two commands; the rest are called by them. */
const PLUMBING = new Set(["test", "start", "eleventy", "types"]);

it("explains every user command of package.json", () => {
  expect(scripts).toContain("tick");
  const unexplained = scripts.filter((name) => !PLUMBING.has(name) && !ALL_DOCS.includes(`npm run ${name}`));
  expect(unexplained).toEqual([]);
});

it("the README is a front door: at most 250 lines, and every page it points to exists", () => {
  expect(README.split("\n").length).toBeLessThanOrEqual(250);
  const linked = [...README.matchAll(/\]\(((?:docs\/)?[^)#\s]+\.(?:md|png))\)/g)].map((match) => match[1]!);
  expect(linked.length).toBeGreaterThan(5);
  expect(linked.filter((target) => !existsSync(path.join(REPO_ROOT, target)))).toEqual([]);
});

it("the docs' relative links and pictures point at files that exist", () => {
  const broken = [...DOC_PAGES].flatMap(([page, text]) =>
    [...text.matchAll(/\]\(([^)#\s:]+)(?:#[^)]*)?\)/g)]
      .map((match) => match[1]!)
      .filter((target) => !existsSync(path.join(REPO_ROOT, path.dirname(page), target)))
      .map((target) => `${page} -> ${target}`),
  );
  expect(broken).toEqual([]);
});
