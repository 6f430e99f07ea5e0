/**
 * A throw-away copy of this Skein project with other content: its own profile, lists and posts, the
 * same code (lib/, site/ templates, scripts/, functions/, migrations/), and node_modules linked, not
 * copied. Tests, benchmarks and the two-site end-to-end test build and serve such copies exactly as a
 * user's clone would be built and served.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** What a copy shares with the repository (code and configuration, never content or build output). */
const CODE_ENTRIES = [
  "lib",
  "scripts",
  "site",
  "functions",
  "migrations",
  "types",
  "eleventy.config.ts",
  "package.json",
  "tsconfig.json",
  "wrangler.toml",
  "wrangler.api-only.toml",
  "worker-configuration.d.ts",
];
const CONTENT_FILES = ["site/_data/profile.yaml", "site/_data/follows.yaml", "site/_data/blocks.yaml"];

export interface ProjectContent {
  /** YAML text of site/_data/profile.yaml (default: the repository's example profile). */
  profile?: string;
  /** YAML text of follows.yaml / blocks.yaml; `null` removes the file. Default: the example's. */
  follows?: string | null;
  blocks?: string | null;
  /** posts/<name> -> file text (or bytes). Default: the example posts. */
  posts?: Record<string, string | Uint8Array>;
}

export interface ProjectCopy {
  root: string;
  /** Write (or overwrite) a file relative to the copy's root. */
  write(relative: string, content: string | Uint8Array): void;
  remove(relative: string): void;
  cleanup(): void;
}

export function createProjectCopy(content: ProjectContent = {}, parentDir = os.tmpdir()): ProjectCopy {
  const root = mkdtempSync(path.join(parentDir, "skein-project-"));
  for (const entry of CODE_ENTRIES) {
    const from = path.join(REPO_ROOT, entry);
    if (!existsSync(from)) continue;
    cpSync(from, path.join(root, entry), {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}_generated`) && !CONTENT_FILES.some((file) => source === path.join(REPO_ROOT, file)),
    });
  }
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
  const write = (relative: string, data: string | Uint8Array) => {
    const full = path.join(root, relative);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, data);
  };
  const remove = (relative: string) => rmSync(path.join(root, relative), { recursive: true, force: true });

  const fromRepo = (relative: string) => path.join(REPO_ROOT, relative);
  if (content.profile !== undefined) write("site/_data/profile.yaml", content.profile);
  else cpSync(fromRepo("site/_data/profile.yaml"), path.join(root, "site/_data/profile.yaml"));
  for (const kind of ["follows", "blocks"] as const) {
    const value = content[kind];
    if (value === null) continue;
    if (value !== undefined) write(`site/_data/${kind}.yaml`, value);
    else if (existsSync(fromRepo(`site/_data/${kind}.yaml`))) cpSync(fromRepo(`site/_data/${kind}.yaml`), path.join(root, `site/_data/${kind}.yaml`));
  }
  mkdirSync(path.join(root, "posts"), { recursive: true });
  if (content.posts) for (const [name, text] of Object.entries(content.posts)) write(`posts/${name}`, text);
  else cpSync(fromRepo("posts"), path.join(root, "posts"), { recursive: true });

  return { root, write, remove, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
