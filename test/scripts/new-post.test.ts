/**
 * `npm run new` (scripts/new-post.ts) in throw-away project copies: --help prints the usage on
 * stdout and exits 0 creating nothing; an unknown option is refused (it used to become the post's
 * text); text that starts with "-" is still text; --language is checked; the post gets the next id.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixedDate, postMarkdown } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { runScript } from "../support/cli.ts";

const TIMEOUT = 60_000;
const copies: ProjectCopy[] = [];
afterAll(() => {
  for (const project of copies) project.cleanup();
});

function siteWithTwoPosts(): ProjectCopy {
  const project = createProjectCopy({
    posts: {
      "a.md": postMarkdown({ date: fixedDate(0), id: 0, body: "First.\n" }),
      "b.md": postMarkdown({ date: fixedDate(1), id: 4, body: "Second.\n" }),
    },
  });
  copies.push(project);
  return project;
}

const postFiles = (project: ProjectCopy) => readdirSync(path.join(project.root, "posts")).sort();
const newPost = (project: ProjectCopy, args: string[]) => runScript(project.root, "scripts/new-post.ts", args);

describe("npm run new", () => {
  it("--help prints the usage on stdout, exits 0 and creates nothing", { timeout: TIMEOUT }, async () => {
    const project = siteWithTwoPosts();
    const result = await newPost(project, ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run new -- "Your post text"');
    expect(postFiles(project)).toEqual(["a.md", "b.md"]);
  });

  it("refuses an unknown option, a bad language and no text in one line with the usage, creating nothing", { timeout: TIMEOUT }, async () => {
    const project = siteWithTwoPosts();
    for (const [args, message] of [
      [["--bogus", "x"], "npm run new: Unknown option '--bogus'"],
      [["Bonjour", "--language", "f r"], "npm run new: --language "],
      [[], "npm run new: write the post text in quotes"],
    ] as const) {
      const result = await newPost(project, [...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr.split("\n")[0], args.join(" ")).toContain(message);
      expect(result.stderr).toContain("Usage: npm run new");
      expect(postFiles(project)).toEqual(["a.md", "b.md"]);
    }
  });

  it("writes the text (also text that starts with '-') with the next id and the language", { timeout: TIMEOUT }, async () => {
    const project = siteWithTwoPosts();
    const cold = await newPost(project, ["-5 degrees this morning"]);
    expect(cold.stderr).toBe("");
    expect(cold.code).toBe(0);
    const coldFile = /Created (posts\/\S+\.md) \(id 5\)/.exec(cold.stdout)?.[1];
    expect(coldFile).toMatch(/^posts\/\d{4}-\d{2}-\d{2}-5-degrees-this-morning\.md$/);
    expect(readFileSync(path.join(project.root, coldFile!), "utf8")).toMatch(/^---\ndate: \S+Z\nid: 5\n---\n-5 degrees this morning\n$/);

    const french = await newPost(project, ["Bonjour", "--language", "fr"]);
    expect(french.code).toBe(0);
    const frenchFile = /Created (posts\/\S+\.md) \(id 6\)/.exec(french.stdout)?.[1];
    expect(readFileSync(path.join(project.root, frenchFile!), "utf8")).toMatch(/^---\ndate: \S+Z\nid: 6\nlanguage: fr\n---\nBonjour\n$/);

    const optionLike = await newPost(project, ["--", "--verbose is my nickname"]);
    expect(optionLike.code).toBe(0);
    const optionLikeFile = /Created (posts\/\S+\.md) \(id 7\)/.exec(optionLike.stdout)?.[1];
    expect(readFileSync(path.join(project.root, optionLikeFile!), "utf8")).toContain("\n---\n--verbose is my nickname\n");
  });
});
