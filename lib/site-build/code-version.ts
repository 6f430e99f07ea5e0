/**
 * A fingerprint of the code a build runs: every file of the build's rooms (lib/publish, lib/shared,
 * lib/site-build), the templates (site/, without site/_data, which is content), the Eleventy
 * configuration, scripts/build.ts and the installed dependencies (package-lock.json). The incremental
 * build's cache (build-cache.ts) is ignored whole when it changes: new code may render every page
 * differently.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CODE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CODE_PATHS = ["lib/publish", "lib/shared", "lib/site-build", "site", "eleventy.config.ts", "scripts/build.ts", "package-lock.json"];
const CONTENT_PATHS = new Set(["site/_data"]);

function filesUnder(relative: string, out: string[]): void {
  if (CONTENT_PATHS.has(relative)) return;
  const full = path.join(CODE_ROOT, relative);
  if (!existsSync(full)) return;
  if (!statSync(full).isDirectory()) {
    out.push(relative);
    return;
  }
  for (const name of readdirSync(full).sort()) filesUnder(`${relative}/${name}`, out);
}

let memo: string | undefined;

/** sha256 over the path and bytes of each code file, in a fixed order; computed once per process. */
export function codeVersion(): string {
  if (memo) return memo;
  const hash = createHash("sha256");
  const files: string[] = [];
  for (const entry of CODE_PATHS) filesUnder(entry, files);
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(readFileSync(path.join(CODE_ROOT, file)))
      .update("\0");
  memo = hash.digest("hex");
  return memo;
}
