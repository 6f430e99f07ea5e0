/**
 * Watch a folder and everything under it for changes, for npm start's rebuilds.
 *
 * Not `fs.watch(dir, { recursive: true })`: on Linux, Node 20 implements the recursive mode by
 * watching each file, and a file replaced by a rename (how `npm run follow`, `unfollow`, `relocate`
 * and `import` write safely, and how `sed -i` and many editors save) is never seen again: after the
 * first such save, npm start stopped rebuilding for that file. One plain watch per folder (inotify on
 * the folder itself) reports every create, write and rename in it; folders created later are added
 * as they appear.
 */
import { existsSync, type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import path from "node:path";

export interface TreeWatcher {
  close(): void;
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

export function watchTree(root: string, onChange: (file: string) => void): TreeWatcher {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const forget = (dir: string) => {
    watchers.get(dir)?.close();
    watchers.delete(dir);
  };

  const add = (dir: string) => {
    if (closed || watchers.has(dir) || !isDirectory(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (closed) return;
        if (!existsSync(dir)) {
          forget(dir);
          onChange(dir);
          return;
        }
        const file = name ? path.join(dir, name.toString()) : dir;
        if (file !== dir && isDirectory(file)) addTree(file);
        onChange(file);
      });
    } catch {
      return; // gone between the listing and the watch
    }
    watcher.on("error", () => forget(dir));
    watchers.set(dir, watcher);
  };

  const addTree = (dir: string) => {
    add(dir);
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name);
    } catch {
      return;
    }
    for (const name of entries) addTree(path.join(dir, name));
  };

  addTree(root);
  return {
    close() {
      closed = true;
      for (const dir of [...watchers.keys()]) forget(dir);
    },
  };
}
