/**
 * Many builds in one Node process, as `npm run build` runs them (scripts/build.ts buildSiteFolder, with
 * tsx), for tests that build a project copy again and again: one process start instead of one per
 * build. Eleventy loads the copy's eleventy.config.ts, which vitest's own loader cannot, so the builds
 * run in a child: test/support/build-session-child.ts, one JSON line per build each way.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";
import type { CacheStats } from "../../lib/site-build/build-cache.ts";

export interface SessionBuild {
  /** Output folder, relative to the project. */
  out: string;
  /** The cache folder, or false for a full build without one. */
  cache: string | false;
  /** How the output replaces the previous one (scripts/build.ts BuildFolderOptions; "sync" is npm start's). */
  replace?: "rename" | "sync";
  /** npm start's builds: the served files first, then the bookkeeping; a renamed folder is remembered for the next sync. */
  servedFirst?: boolean;
  /** Environment variables set for this build and the ones after it. */
  env?: Record<string, string>;
}

export interface SessionResult {
  ok: boolean;
  error?: string;
  cache?: CacheStats;
}

export interface BuildSession {
  build(request: SessionBuild): Promise<SessionResult>;
  close(): void;
}

export function startBuildSession(root: string, env: Record<string, string> = {}): BuildSession {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith("SKEIN_")) base[key] = value;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "test/support/build-session-child.ts")], {
    cwd: root,
    env: { ...base, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const waiting: ((result: SessionResult) => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => waiting.shift()?.(JSON.parse(line) as SessionResult));
  child.on("exit", () => {
    for (const resolve of waiting.splice(0)) resolve({ ok: false, error: "the build session ended" });
  });
  return {
    build: (request) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin!.write(`${JSON.stringify(request)}\n`);
      }),
    close: () => child.kill(),
  };
}
