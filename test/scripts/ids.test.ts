/**
 * `npm run ids` (scripts/ids.ts) in throw-away project copies: the posts without an id get the guid
 * they are published with today, written into their front matter and nothing else; a second run has
 * nothing to do; --dry-run and a post that does not build write nothing.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixedDate, postMarkdown } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { readTree, runBuildCli, runScript } from "../support/cli.ts";

const TIMEOUT = 60_000;
const copies: ProjectCopy[] = [];
afterAll(() => {
  for (const project of copies) project.cleanup();
});

/** A site as an older Skein left it: no ids, one post with an explicit id (an import) in between. */
function legacySite(): ProjectCopy {
  const project = createProjectCopy({
    posts: {
      "a.md": postMarkdown({ date: fixedDate(0), body: "First.\n" }),
      "b.md": "\uFEFF---\r\ndate: 2026-01-02T09:00:00Z\r\nlanguage: fr\r\n---\r\nDeuxième.\r\n",
      "c.md": postMarkdown({ date: fixedDate(2), id: 40, body: "Imported.\n" }),
      "d.md": postMarkdown({ date: fixedDate(3), body: "After the import.\n" }),
    },
  });
  copies.push(project);
  return project;
}

const read = (project: ProjectCopy, name: string) => readFileSync(path.join(project.root, "posts", name), "utf8");

describe("npm run ids", () => {
  it("writes each missing id (the guid it has today) and nothing else; the build then passes; a second run has nothing to do", {
    timeout: TIMEOUT,
  }, async () => {
    const project = legacySite();
    const before = await runBuildCli(project.root);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain("posts/a.md: has no `id:`");
    expect(before.stderr).toContain("run `npm run ids`");

    const result = await runScript(project.root, "scripts/ids.ts");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Writing ids into 3 of 4 posts:");
    expect(result.stdout).toContain("posts/a.md: id: 0");
    expect(result.stdout).toContain("posts/b.md: id: 1");
    expect(result.stdout).toContain("posts/d.md: id: 41");
    expect(read(project, "a.md")).toBe(postMarkdown({ date: fixedDate(0), id: 0, body: "First.\n" }));
    expect(read(project, "b.md")).toBe("\uFEFF---\r\ndate: 2026-01-02T09:00:00Z\r\nid: 1\r\nlanguage: fr\r\n---\r\nDeuxième.\r\n");
    expect(read(project, "c.md")).toBe(postMarkdown({ date: fixedDate(2), id: 40, body: "Imported.\n" }));

    const build = await runBuildCli(project.root);
    expect(build.stderr).toBe("");
    expect(build.code).toBe(0);
    const site = readTree(path.join(project.root, "_site"));
    for (const guid of [0, 1, 40, 41]) expect(site.has(`posts/${guid}/index.html`), `posts/${guid}/`).toBe(true);
    expect([...site.keys()].filter((file) => /^posts\/\d+\/index\.html$/.test(file))).toHaveLength(4);

    const again = await runScript(project.root, "scripts/ids.ts");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Every post in posts/ has an id (4 posts): nothing to write.");
    expect(readTree(path.join(project.root, "posts")).size).toBe(4);
  });

  it("--dry-run prints the plan and writes nothing", { timeout: TIMEOUT }, async () => {
    const project = legacySite();
    const before = readTree(path.join(project.root, "posts"));
    const result = await runScript(project.root, "scripts/ids.ts", ["--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Would write ids into 3 of 4 posts:");
    const after = readTree(path.join(project.root, "posts"));
    for (const [file, bytes] of before) expect(after.get(file)!.equals(bytes), file).toBe(true);
  });

  it("a post that does not build: exit 1, one message naming it, nothing written", { timeout: TIMEOUT }, async () => {
    const project = legacySite();
    project.write("posts/broken.md", "---\ndate: yesterday\n---\nx\n");
    const before = readTree(path.join(project.root, "posts"));
    const result = await runScript(project.root, "scripts/ids.ts");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("npm run ids: nothing was written: the ids depend on every post, and these do not build:");
    expect(result.stderr).toContain("posts/broken.md: date:");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const after = readTree(path.join(project.root, "posts"));
    for (const [file, bytes] of before) expect(after.get(file)!.equals(bytes), file).toBe(true);
  });

  it("unknown arguments are a usage error (exit 2)", { timeout: TIMEOUT }, async () => {
    const project = legacySite();
    const result = await runScript(project.root, "scripts/ids.ts", ["--all"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage: npm run ids");
  });
});
