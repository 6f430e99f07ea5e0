/**
 * watchTree (lib/cli/watch-tree.ts), what npm start rebuilds on: a file replaced by a rename (how
 * follow, unfollow, relocate, import, `sed -i` and many editors save) is seen every time, not only
 * the first (Node 20's recursive fs.watch on Linux lost it after one); in-place writes, files in
 * folders created after the start and deletions are seen; nothing is reported after close().
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type TreeWatcher, watchTree } from "../../lib/cli/watch-tree.ts";

let root: string;
let watcher: TreeWatcher | undefined;
afterEach(() => {
  watcher?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Wait (up to 5 s) until `seen` holds a path ending in `suffix`; then empty it. */
async function sawChange(seen: string[], suffix: string): Promise<boolean> {
  for (let waited = 0; waited < 5000; waited += 25) {
    if (seen.some((file) => file.endsWith(suffix))) {
      seen.length = 0;
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

function replaceByRename(file: string, text: string): void {
  writeFileSync(`${file}.tmp-1`, text);
  renameSync(`${file}.tmp-1`, file);
}

describe("watchTree", () => {
  it("sees a file replaced by a rename every time, in-place writes, new folders' files and deletions", async () => {
    root = mkdtempSync(path.join(os.tmpdir(), "skein-watch-"));
    mkdirSync(path.join(root, "_data"));
    const profile = path.join(root, "_data", "profile.yaml");
    writeFileSync(profile, "username: ada\n");
    const seen: string[] = [];
    watcher = watchTree(root, (file) => seen.push(file));

    for (const round of [1, 2, 3]) {
      replaceByRename(profile, `username: ada${round}\n`);
      expect(await sawChange(seen, path.join("_data", "profile.yaml")), `rename ${round}`).toBe(true);
    }
    writeFileSync(profile, "username: in_place\n");
    expect(await sawChange(seen, path.join("_data", "profile.yaml"))).toBe(true);

    mkdirSync(path.join(root, "replies"));
    expect(await sawChange(seen, "replies")).toBe(true);
    writeFileSync(path.join(root, "replies", "6.yaml"), "[]\n");
    expect(await sawChange(seen, path.join("replies", "6.yaml"))).toBe(true);

    unlinkSync(path.join(root, "replies", "6.yaml"));
    expect(await sawChange(seen, path.join("replies", "6.yaml"))).toBe(true);

    watcher.close();
    replaceByRename(profile, "username: after_close\n");
    expect(await sawChange(seen, "profile.yaml")).toBe(false);
  }, 30_000);
});
