/**
 * The benchmark's yardstick: plain Eleventy (the same installed @11ty/eleventy, its own CLI, no tsx)
 * rendering the SAME post files, as markdown templates, to HTML pages only, through one minimal
 * Nunjucks layout -- what a plain Eleventy blog does with a folder of posts. Everything Skein adds
 * (validation, feeds and archives, home and older-post pages, lists) is what the ratio measures.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";

export const ELEVENTY_CLI = path.join(REPO_ROOT, "node_modules/@11ty/eleventy/cmd.cjs");

// Eleventy's defaults otherwise: markdown-it with html, Liquid run over markdown first, and the
// default permalinks (/posts/<file slug>/index.html).
const CONFIG = `// Baseline for npm run bench: a plain Eleventy blog rendering posts/*.md to HTML.
export default function (eleventyConfig) {
  eleventyConfig.addGlobalData("layout", "post.njk");
}

export const config = {
  dir: { input: ".", includes: "_includes", output: "_site" },
  templateFormats: ["md"],
};
`;

const LAYOUT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ page.fileSlug }}</title>
</head>
<body>
{{ content | safe }}
</body>
</html>
`;

export interface BaselineProject {
  root: string;
  /** Output folder the CLI writes (deleted before and after each measured run). */
  outDir: string;
  /** Arguments for `node` (after the usage preload), run with cwd = root. */
  args: string[];
}

/**
 * A baseline project under `parentDir` whose posts/ is a link to `postsDir`: the very files the
 * Skein build reads, not a copy of them.
 */
export function createBaselineProject(parentDir: string, postsDir: string): BaselineProject {
  const root = mkdtempSync(path.join(parentDir, "eleventy-baseline-"));
  writeFileSync(path.join(root, "eleventy.config.mjs"), CONFIG);
  mkdirSync(path.join(root, "_includes"));
  writeFileSync(path.join(root, "_includes", "post.njk"), LAYOUT);
  symlinkSync(postsDir, path.join(root, "posts"), "dir");
  return { root, outDir: path.join(root, "_site"), args: [ELEVENTY_CLI, "--config=eleventy.config.mjs", "--quiet"] };
}
