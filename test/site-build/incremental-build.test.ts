/**
 * The incremental build (lib/site-build/build-cache.ts) writes exactly what a full build writes.
 * Property test: a seeded PRNG picks a sequence of adds, edits, deletes, backdates and profile edits
 * on a small site with small pages (so feed archives, Atom archives and older-post pages exist); after
 * each step the incremental build's _site and a fresh full build (no cache) are `diff -r`-identical,
 * on every other step with npm start's way of updating _site in place (only changed files replaced),
 * mostly as npm start runs them (a folder it renamed into place is synced into without looking).
 * The builds after the first take the manifest from the build process's memory (npm start's fast path).
 * Then a cache that is corrupt, altered or from other options is never trusted.
 * Builds run through scripts/build.ts's buildSiteFolder (what `npm run build` runs), all in one child
 * process (test/support/build-session.ts), so the test pays for one process start.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy } from "../../lib/harness/project-copy.ts";
import { seededRandom } from "../../lib/harness/seeded-random.ts";
import { type BuildSession, type SessionResult, startBuildSession } from "../support/build-session.ts";

// Feed pages cut by bytes as well as by items: an item size remembered wrong moves a page break.
const LIMITS = { SKEIN_FEED_MAX_ITEMS: "4", SKEIN_FEED_MAX_BYTES: "5600", SKEIN_FEED_HEADER_RESERVE_BYTES: "4000", SKEIN_HTML_PAGE_SIZE: "3" };
const STEPS = 14;
const CACHE = ".cache/skein";
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const WORDS = ["bread", "wren", "river", "*bold*", "`code`", "[a link](https://example.org/)", "café", "ünïcödé", "<b>not html</b>", "&amp;"];

interface Draft {
  id: number;
  date: number;
  words: string[];
  /** A repost with a comment: its feed text is not its own words (the manifest stores both). */
  repost?: boolean;
}

const project = createProjectCopy({ posts: {} });
let session: BuildSession;
const random = seededRandom(17_2026);
const drafts = new Map<string, Draft>();
let nextId = 0;
let bioEdits = 0;

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const REPOST = 'repost:\n  user_id: u2\n  user_link: https://carmen.example/feed.xml\n  status_id: "5"\n  pubdate: 2025-12-01T00:00:00Z\n  text: Swifts!\n';
const text = (d: Draft) => `---\ndate: ${iso(d.date)}\nid: ${d.id}\n${d.repost ? REPOST : ""}---\n${d.words.join(" ")}\n`;
const put = (name: string, d: Draft) => {
  drafts.set(name, d);
  project.write(`posts/${name}`, text(d));
};
const sentence = () => Array.from({ length: random.int(1, 8) }, () => random.pick(WORDS));
const newestDate = () => Math.max(START, ...[...drafts.values()].map((d) => d.date));
const add = (date = newestDate() + random.int(1, 5) * DAY) => put(`p${nextId}.md`, { id: nextId++, date, words: sentence(), repost: nextId % 3 === 1 });

const OPERATIONS = {
  add: () => add(),
  edit: () => {
    const name = random.pick([...drafts.keys()]);
    put(name, { ...drafts.get(name)!, words: sentence() });
  },
  delete: () => {
    const name = random.pick([...drafts.keys()]);
    drafts.delete(name);
    project.remove(`posts/${name}`);
  },
  backdate: () => {
    const name = random.pick([...drafts.keys()]);
    put(name, { ...drafts.get(name)!, date: START - random.int(1, 400) * DAY });
  },
  profile: () => {
    const file = path.join(project.root, "site/_data/profile.yaml");
    const yaml = readFileSync(file, "utf8").replace(/^full_name: .*$/m, `full_name: Wren ${++bioEdits}`);
    writeFileSync(file, yaml);
  },
} as const;
type Operation = keyof typeof OPERATIONS;

async function built(request: Promise<SessionResult>): Promise<SessionResult> {
  const result = await request;
  if (!result.ok) throw new Error(`the build failed: ${result.error}`);
  return result;
}
const incremental = (env?: Record<string, string>, replace: "rename" | "sync" = "rename", servedFirst = false) =>
  built(session.build({ out: "_site", cache: CACHE, replace, servedFirst, ...(env ? { env } : {}) }));
const full = () => built(session.build({ out: "_full", cache: false }));

function diff(): string {
  const result = spawnSync("diff", ["-r", "_site", "_full"], { cwd: project.root, encoding: "utf8" });
  return `${result.status}${result.stdout}${result.stderr}`;
}

function objectFiles(): string[] {
  const root = path.join(project.root, CACHE, "objects");
  return readdirSync(root).flatMap((sub) => readdirSync(path.join(root, sub)).map((name) => path.join(root, sub, name)));
}

beforeAll(() => {
  for (let i = 0; i < 12; i++) add();
  session = startBuildSession(project.root, LIMITS);
});
afterAll(() => {
  session.close();
  project.cleanup();
});

describe("incremental build", () => {
  it("after every step of a random sequence, _site equals a fresh full build's (diff -r)", { timeout: 240_000 }, async () => {
    const first = await incremental();
    expect(first.cache?.ignored).toBe("no cache yet");
    const seen: Operation[] = [];
    for (let step = 0; step < STEPS; step++) {
      // Every kind at least once, then at random: a deterministic sequence from the seed.
      const kinds = Object.keys(OPERATIONS) as Operation[];
      const kind = step < kinds.length ? kinds[step]! : random.pick(kinds);
      OPERATIONS[kind]();
      seen.push(kind);
      // npm start's builds (servedFirst) on two steps of three: its first build renames, the rest sync
      // into the folder it remembers placing files in.
      const result = await incremental(undefined, step % 2 ? "sync" : "rename", step % 3 !== 0);
      await full();
      expect(diff(), `step ${step}: ${seen.join(", ")}`).toBe("0");
      expect(result.cache?.ignored).toBeUndefined();
      // One process builds again and again (npm start): its own manifest comes from memory, the same bytes.
      expect(result.cache?.fromMemory).toBe(true);
      // The cache did the work: an edit or an append renders a few files and reuses the rest.
      if (kind === "add" || kind === "edit") expect(result.cache!.filesReused).toBeGreaterThan(result.cache!.filesRendered);
    }
    const files = readdirSync(path.join(project.root, "_site/feed"));
    expect(files.length).toBeGreaterThan(2);
  });

  it("ignores a corrupt manifest, an altered pack of posts, an altered object and a cache made with other options", { timeout: 120_000 }, async () => {
    await incremental();
    const manifest = path.join(project.root, CACHE, "manifest.json");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace(/"files":\{"/, '"files":{"x'));
    add();
    const corrupt = await incremental();
    // The file is no longer the one this process wrote: it is read (and refused), never taken from memory.
    expect(corrupt.cache?.ignored).toBe("corrupt (checksum mismatch)");
    expect(corrupt.cache?.fromMemory).toBeUndefined();
    expect(corrupt.cache?.filesReused).toBe(0);
    await full();
    expect(diff()).toBe("0");

    // A pack of parsed posts altered: the manifest that names it is not used.
    await incremental();
    const packs = path.join(project.root, CACHE, "posts");
    const pack = path.join(packs, readdirSync(packs)[0]!);
    writeFileSync(pack, readFileSync(pack, "utf8").replace(/"date":\d/, '"date":9'));
    // The same manifest written again: no longer the file this process wrote, so it is read (with its packs).
    writeFileSync(manifest, readFileSync(manifest));
    add();
    const alteredPack = await incremental();
    expect(alteredPack.cache?.ignored).toBe("corrupt (a pack of posts is missing or altered)");
    expect(alteredPack.cache?.filesReused).toBe(0);
    await full();
    expect(diff()).toBe("0");

    // An object whose bytes no longer hash to its name is rendered again, never copied.
    for (const object of objectFiles()) writeFileSync(object, "<html>not what was built</html>\n");
    add();
    const altered = await incremental();
    expect(altered.cache?.ignored).toBeUndefined();
    expect(altered.cache?.filesReused).toBe(0);
    await full();
    expect(diff()).toBe("0");

    // Other build options (here the HTML page size): the whole cache is ignored.
    const other = await incremental({ SKEIN_HTML_PAGE_SIZE: "4" });
    expect(other.cache?.ignored).toBe("written by other code or build options");
    await full();
    expect(diff()).toBe("0");
  });
});
