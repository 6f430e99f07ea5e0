/**
 * npm run build's precompiled entry (scripts/build.mjs) is known by a stamp, the signatures of the
 * files its key and check read, once they are older than RACY_MS: the build then stats those files
 * instead of reading and hashing them. A code file changed, added or removed since must still make a
 * new entry, whose output shows the change.
 */
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createProjectCopy } from "../../lib/harness/project-copy.ts";
import { runBuildEntry } from "../support/cli.ts";

const project = createProjectCopy();
afterAll(() => project.cleanup());
const STAMP = path.join(project.root, ".cache/skein/entry-stamp.json");
const ENTRY_DIR = path.join(project.root, ".cache/skein/entry");

/** Every file of the project copy (not node_modules, a link to the repository's) last changed an hour ago. */
function age(): void {
  const hourAgo = Date.now() / 1000 - 3600;
  for (const entry of readdirSync(project.root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !full.includes(`${path.sep}node_modules${path.sep}`)) utimesSync(full, hourAgo, hourAgo);
  }
}

async function build(): Promise<void> {
  const result = await runBuildEntry(project.root, ["--quiet"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}

const notFoundPage = () => readFileSync(path.join(project.root, "_site/404.html"), "utf8");
const stamp = () => JSON.parse(readFileSync(STAMP, "utf8")) as { key: string; files: Record<string, string> };

describe("the precompiled entry's stamp", () => {
  it("is written once the files are old enough, and a changed, added or removed code file still makes a new entry", { timeout: 240_000 }, async () => {
    await build();
    const [first] = readdirSync(ENTRY_DIR);
    // The entry was just made: too recent for a stamp.
    expect(() => readFileSync(STAMP)).toThrow();
    age();
    await build();
    expect(stamp().key).toBe(first!.replace(/\.mjs$/, ""));
    expect(Object.keys(stamp().files)).toContain(path.join(project.root, "site/404.11ty.ts"));

    // Known by the stamp, the entry is not read: bytes changed behind a kept size and mtime run as
    // they are (as make would). A build through the entry's check would have made it again.
    const entryFile = path.join(ENTRY_DIR, first!);
    const { mtime } = statSync(entryFile);
    writeFileSync(entryFile, readFileSync(entryFile, "utf8").replace('"Page not found"', '"Page NOT found"'));
    utimesSync(entryFile, mtime, mtime);
    await build();
    expect(notFoundPage()).toContain("Page NOT found");

    // Changed: the page says so; the stamp no longer matched, a new entry was made.
    const template = path.join(project.root, "site/404.11ty.ts");
    writeFileSync(template, readFileSync(template, "utf8").replace('title: "Page not found"', 'title: "Nothing here"'));
    await build();
    expect(notFoundPage()).toContain("Nothing here");
    expect(readdirSync(ENTRY_DIR)).not.toEqual([first]);

    // Added: a new file under lib/ is part of the key (no stamp lists it).
    age();
    await build();
    const keyBefore = stamp().key;
    project.write("lib/shared/an-added-file.ts", "export const added = 1;\n");
    await build();
    expect(readdirSync(ENTRY_DIR)).not.toEqual([`${keyBefore}.mjs`]);

    // Removed: the same again without it.
    age();
    await build();
    const keyWithFile = stamp().key;
    rmSync(path.join(project.root, "lib/shared/an-added-file.ts"));
    await build();
    expect(readdirSync(ENTRY_DIR)).not.toEqual([`${keyWithFile}.mjs`]);
    expect(notFoundPage()).toContain("Nothing here");
  });
});
