/**
 * Deterministic output: two full builds of the example site (the real CLI, in one project copy)
 * into two folders, the second under another time zone and locale, give byte-identical files,
 * including the functions' site-config.json; so do the same builds through npm run build's precompiled
 * entry (scripts/build.mjs). Small limits make sure archive pages and older-post pages exist and are
 * part of the comparison.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { buildSiteInMemory } from "../../lib/harness/factories.ts";
import { createProjectCopy } from "../../lib/harness/project-copy.ts";
import { optionsFromEnv, readSiteSources } from "../../lib/site-build/site-source.ts";
import { SITE_CONFIG_PATH } from "../../scripts/build.ts";
import { readTree, runBuildCli, runBuildEntry } from "../support/cli.ts";

const LIMITS = { SKEIN_FEED_MAX_ITEMS: "2", SKEIN_FEED_MAX_BYTES: "20000", SKEIN_FEED_HEADER_RESERVE_BYTES: "4000", SKEIN_HTML_PAGE_SIZE: "2" };
const FIRST = { ...LIMITS, TZ: "UTC", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
// UTC+13:45 in (southern) summer, and a locale whose case rules differ ("i".toUpperCase() is "İ").
const SECOND = { ...LIMITS, TZ: "Pacific/Chatham", LANG: "tr_TR.UTF-8", LC_ALL: "tr_TR.UTF-8" };

const project = createProjectCopy();
afterAll(() => project.cleanup());

describe("two builds of the same sources", () => {
  it("the second environment really has another zone and locale", async () => {
    const script = "const o = Intl.DateTimeFormat().resolvedOptions(); console.log(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset(), o.timeZone, o.locale)";
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], { env: { ...process.env, ...SECOND } });
    expect(stdout.trim()).toBe("-825 Pacific/Chatham tr-TR");
  });

  it("are byte-identical, whatever the machine's zone and locale", { timeout: 150_000 }, async () => {
    const a = await runBuildCli(project.root, ["--out", "out-a"], FIRST);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    copyFileSync(path.join(project.root, SITE_CONFIG_PATH), path.join(project.root, "inbox-config-a.json"));
    const b = await runBuildCli(project.root, ["--out", "out-b"], SECOND);
    expect(b.stderr).toBe("");
    expect(b.code).toBe(0);

    const first = readTree(path.join(project.root, "out-a"));
    const second = readTree(path.join(project.root, "out-b"));
    expect([...second.keys()]).toEqual([...first.keys()]);
    const differing = [...first].filter(([file, bytes]) => !second.get(file)!.equals(bytes)).map(([file]) => file);
    expect(differing).toEqual([]);
    expect(readFileSync(path.join(project.root, SITE_CONFIG_PATH)).equals(readFileSync(path.join(project.root, "inbox-config-a.json")))).toBe(true);

    // npm run build's precompiled entry (scripts/build.mjs): made on its first run, then reused; a
    // damaged one is made again. Its output is the same bytes as the build through tsx.
    const entryDir = path.join(project.root, ".cache/skein/entry");
    const c = await runBuildEntry(project.root, ["--out", "out-c"], FIRST);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    const entries = readdirSync(entryDir);
    expect(entries).toHaveLength(1);
    appendFileSync(path.join(entryDir, entries[0]!), "\nthrow new Error('a damaged entry was run');\n");
    const d = await runBuildEntry(project.root, ["--out", "out-d"], SECOND);
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    expect(readdirSync(entryDir)).toEqual(entries);
    // A package file bundled in it that no longer has those bytes (a package patched in place): made again.
    const entryFile = path.join(entryDir, entries[0]!);
    const made = readFileSync(entryFile, "utf8");
    const rest = made.slice(made.indexOf("\n") + 1).replace(/("[^"]*\/node_modules\/[^"]*":")[0-9a-f]{64}/, `$1${"0".repeat(64)}`);
    expect(rest).not.toBe(made.slice(made.indexOf("\n") + 1));
    writeFileSync(entryFile, `// sha256 ${createHash("sha256").update(rest).digest("hex")}\n${rest}`);
    const e = await runBuildEntry(project.root, ["--out", "out-e"], FIRST);
    expect(e.stderr).toBe("");
    expect(e.code).toBe(0);
    expect(readFileSync(entryFile, "utf8")).toBe(made);
    for (const out of ["out-c", "out-d", "out-e"]) {
      const tree = readTree(path.join(project.root, out));
      expect([...tree.keys()]).toEqual([...first.keys()]);
      expect([...first].filter(([file, bytes]) => !tree.get(file)!.equals(bytes)).map(([file]) => file)).toEqual([]);
    }

    // The limits applied: archives and older-post pages are among the compared files...
    expect(first.has("feed/1.xml")).toBe(true);
    expect(first.has("follows/1.xml")).toBe(true);
    expect(first.has("page/1/index.html")).toBe(true);
    // ...and both builds wrote what lib/ renders for these sources and options.
    const expected = buildSiteInMemory(readSiteSources(project.root), optionsFromEnv(LIMITS));
    for (const [permalink, xml] of expected.xml) expect(first.get(permalink.slice(1))?.toString("utf8"), permalink).toBe(xml);
    for (const [permalink, html] of expected.stableHtml) expect(first.get(`${permalink.slice(1)}index.html`)?.toString("utf8"), permalink).toBe(html);
  });
});
