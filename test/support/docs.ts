/** The user's documentation: README.md, the front door, and the reference pages in docs/. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";

export const README = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** docs/*.md, by file name. */
export const DOC_PAGES: ReadonlyMap<string, string> = new Map(
  readdirSync(path.join(REPO_ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => [`docs/${name}`, readFileSync(path.join(REPO_ROOT, "docs", name), "utf8")]),
);

/** README.md and every page of docs/, one after the other. */
export const ALL_DOCS = [README, ...DOC_PAGES.values()].join("\n");
