/**
 * The yardstick: Debian's `hugo` building the SAME post files (hard links, not copies) with
 * minimal templates -- a page per post and a paginated list of 20 per page, Hugo's own RSS feed and
 * sitemap -- what a plain Hugo microblog does with a folder of posts. Taxonomies are off (Skein has
 * none). Hugo uses every core; so do we only where the work is ours to split.
 *
 * Hugo is not a node process, so its peak RSS and CPU time are read from /proc/<pid> while it runs
 * (measureProcess in measure.ts), not from the preload that reports ours.
 */
import { spawnSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const CONFIG = `baseURL = "https://wren.example/"
languageCode = "en"
title = "Bench"
disableKinds = ["taxonomy", "term"]
[pagination]
pagerSize = 20
`;

const SINGLE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><article><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ .Content }}</article></main></body>
</html>
`;

const LIST = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main>{{ range .Paginator.Pages }}<article><a href="{{ .RelPermalink }}">{{ .Date.Format "2 January 2006" }}</a>
{{ .Content }}</article>
{{ end }}{{ with .Paginator.Next }}<a href="{{ .URL }}">Older</a>{{ end }}</main></body>
</html>
`;

export interface HugoProject {
  root: string;
  outDir: string;
  command: string;
  args: string[];
  version: string;
}

/** `hugo version`, or undefined when hugo is not installed. */
export function hugoVersion(command = "hugo"): string | undefined {
  const result = spawnSync(command, ["version"], { encoding: "utf8" });
  if (result.status !== 0 || !result.stdout) return undefined;
  return result.stdout.trim().split(/\s+/).slice(0, 2).join(" ");
}

export function createHugoProject(parentDir: string, postsDir: string, version: string): HugoProject {
  const root = mkdtempSync(path.join(parentDir, "hugo-baseline-"));
  writeFileSync(path.join(root, "hugo.toml"), CONFIG);
  mkdirSync(path.join(root, "layouts/_default"), { recursive: true });
  writeFileSync(path.join(root, "layouts/_default/single.html"), SINGLE);
  writeFileSync(path.join(root, "layouts/_default/list.html"), LIST);
  // Hugo does not follow a symlinked content folder: link each file instead.
  const content = path.join(root, "content/posts");
  mkdirSync(content, { recursive: true });
  for (const name of readdirSync(postsDir)) if (name.endsWith(".md")) linkSync(path.join(postsDir, name), path.join(content, name));
  return { root, outDir: path.join(root, "public"), command: "hugo", args: ["--quiet"], version };
}
