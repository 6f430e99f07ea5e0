/**
 * The incremental build knows unchanged files by their signature (lib/site-build/cache-files.ts
 * stableSignature: inode, size, mtime), as the previous build's manifest recorded them: a post file is
 * not read and a cached object not hashed again. Each build here runs in a process of its own (as
 * `npm run build` does), so nothing comes from a process's memory; after each one, _site equals a full
 * build's. A cache restored from an archive as actions/cache makes it keeps its objects known (size and
 * mtime survive, inodes do not). What must not be trusted is tested too: a file changed since (same
 * size), and a file changed within its mtime's granularity of the build that read it ("racily clean").
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createProjectCopy } from "../../lib/harness/project-copy.ts";
import { type SessionBuild, type SessionResult, startBuildSession } from "../support/build-session.ts";

const LIMITS = { SKEIN_FEED_MAX_ITEMS: "3", SKEIN_FEED_MAX_BYTES: "20000", SKEIN_FEED_HEADER_RESERVE_BYTES: "4000", SKEIN_HTML_PAGE_SIZE: "3" };
const CACHE = ".cache/skein";
const POSTS = 7;

const post = (id: number, words: string) => `---\ndate: 2026-0${1 + (id % 9)}-1${id % 10}T08:00:00Z\nid: ${id}\n---\n${words}\n`;
const project = createProjectCopy({ posts: Object.fromEntries(Array.from({ length: POSTS }, (_, id) => [`p${id}.md`, post(id, `Wren number ${id}.`)])) });
afterAll(() => project.cleanup());

/** One build in a fresh process. */
async function buildOnce(request: SessionBuild): Promise<SessionResult> {
  const session = startBuildSession(project.root, LIMITS);
  try {
    const result = await session.build(request);
    if (!result.ok) throw new Error(`the build failed: ${result.error}`);
    return result;
  } finally {
    session.close();
  }
}
const incremental = () => buildOnce({ out: "_site", cache: CACHE, replace: "sync" });

async function sameAsFullBuild(): Promise<string> {
  await buildOnce({ out: "_full", cache: false });
  const result = spawnSync("diff", ["-r", "_site", "_full"], { cwd: project.root, encoding: "utf8" });
  return `${result.status}${result.stdout}${result.stderr}`;
}

function filesUnder(relative: string): string[] {
  const root = path.join(project.root, relative);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every post file and cached object last changed an hour ago (older than RACY_MS). */
function age(): void {
  const hourAgo = Date.now() / 1000 - 3600;
  for (const file of [...filesUnder("posts"), ...filesUnder(`${CACHE}/objects`)]) utimesSync(file, hourAgo, hourAgo);
}

describe("the build cache's signatures", () => {
  it("an unchanged post is not read and an unchanged object not hashed; a changed one (same size) is", { timeout: 120_000 }, async () => {
    await buildOnce({ out: "_site", cache: CACHE });
    age();
    // Files this old get their signatures recorded; then a build in a new process knows them all by them.
    const recording = await incremental();
    expect(recording.cache?.postsKnownByStat).toBe(0);
    const known = await incremental();
    expect(known.cache?.postsKnownByStat).toBe(POSTS);
    expect(known.cache?.postsParsed).toBe(0);
    expect(known.cache?.objectsKnownByStat).toBe(known.cache?.filesReused);
    expect(known.cache?.filesRendered).toBe(0);
    expect(await sameAsFullBuild()).toBe("0");

    // Same size, new words: the edit's new mtime tells it apart.
    project.write("posts/p3.md", post(3, "Wren NUMBER 3."));
    const edited = await incremental();
    expect(edited.cache?.postsKnownByStat).toBe(POSTS - 1);
    expect(edited.cache?.postsParsed).toBe(1);
    expect(readFileSync(path.join(project.root, "_site/posts/3/index.html"), "utf8")).toContain("Wren NUMBER 3.");
    expect(await sameAsFullBuild()).toBe("0");

    // Every object altered in place (same size): none is known by its old signature, none is used.
    age();
    await incremental();
    for (const object of filesUnder(`${CACHE}/objects`)) {
      const bytes = readFileSync(object);
      writeFileSync(object, Buffer.alloc(bytes.length, "x"));
    }
    const altered = await incremental();
    expect(altered.cache?.objectsKnownByStat).toBe(0);
    expect(altered.cache?.filesReused).toBe(0);
    expect(await sameAsFullBuild()).toBe("0");
  });

  it("a cache and _site restored from a tar --posix archive (actions/cache) keep their objects known", { timeout: 120_000 }, async () => {
    age();
    await incremental();
    const object = filesUnder(`${CACHE}/objects`)[0]!;
    const before = statSync(object, { bigint: true });
    // As actions/cache saves and restores them: one archive, so the hard links between the two survive.
    const archive = path.join(project.root, "..", `${path.basename(project.root)}.tar`);
    const tar = (args: string[]) => expect(spawnSync("tar", args, { cwd: project.root, encoding: "utf8" }).status).toBe(0);
    tar(["--posix", "-cf", archive, "-P", "-C", project.root, CACHE, "_site"]);
    rmSync(path.join(project.root, CACHE), { recursive: true });
    rmSync(path.join(project.root, "_site"), { recursive: true });
    tar(["-xf", archive, "-P", "-C", project.root]);
    rmSync(archive);
    const after = statSync(object, { bigint: true });
    expect(after.ino).not.toBe(before.ino);
    expect([after.size, after.mtimeNs]).toEqual([before.size, before.mtimeNs]);
    const restored = await incremental();
    expect(restored.cache?.ignored).toBeUndefined();
    expect(restored.cache?.filesRendered).toBe(0);
    expect(restored.cache?.objectsKnownByStat).toBe(restored.cache?.filesReused);
    expect(await sameAsFullBuild()).toBe("0");
  });

  it("a post changed just before a build is read again next time even with the same size and mtime", { timeout: 120_000 }, async () => {
    age();
    await incremental();
    // Changed as the build reads it: its mtime a whole second a minute ahead stands for "within
    // RACY_MS of the reading" however long a loaded machine takes to start the build. Its signature
    // is not recorded.
    const file = path.join(project.root, "posts/p5.md");
    const second = Math.ceil(Date.now() / 1000) + 60;
    writeFileSync(file, post(5, "Wren number 5!"));
    utimesSync(file, second, second);
    await incremental();
    // Changed again, same inode, size and mtime (a coarse clock's same tick).
    const before = statSync(file, { bigint: true });
    writeFileSync(file, post(5, "Wren number 5?"));
    utimesSync(file, second, second);
    const after = statSync(file, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    const result = await incremental();
    expect(result.cache?.postsKnownByStat).toBe(POSTS - 1);
    expect(readFileSync(path.join(project.root, "_site/posts/5/index.html"), "utf8")).toContain("Wren number 5?");
    expect(await sameAsFullBuild()).toBe("0");
  });
});
