/**
 * `npm run init` (scripts/init.ts) in throw-away project copies: --help prints the usage and changes
 * nothing (it used to run init and replace the example's user_id); unknown options, stray words and
 * a profile that would not build are one line and write nothing; the README's command makes the
 * profile yours and creates the owner token; a second run keeps the user_id unless --new-id.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { runScript } from "../support/cli.ts";

const TIMEOUT = 60_000;
const EXAMPLE_USER_ID = "8d3c6f0e-2b1a-4e57-9c4d-1f6a2e9b7c30";
const copies: ProjectCopy[] = [];
afterAll(() => {
  for (const project of copies) project.cleanup();
});

function exampleSite(): ProjectCopy {
  const project = createProjectCopy();
  copies.push(project);
  return project;
}

const profileOf = (project: ProjectCopy) => readFileSync(path.join(project.root, "site/_data/profile.yaml"), "utf8");
const userIdOf = (project: ProjectCopy) => /^user_id: (\S+)$/m.exec(profileOf(project))?.[1];
const init = (project: ProjectCopy, args: string[]) => runScript(project.root, "scripts/init.ts", args);

describe("npm run init", () => {
  it("--help prints the usage, exits 0 and changes nothing", { timeout: TIMEOUT }, async () => {
    const project = exampleSite();
    const before = profileOf(project);
    const result = await init(project, ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: npm run init");
    expect(result.stdout).toContain("--new-id");
    expect(profileOf(project)).toBe(before);
    expect(existsSync(path.join(project.root, ".dev.vars"))).toBe(false);
  });

  it("refuses an unknown option, a stray word and a bad username in one line with the usage or the reason, writing nothing", {
    timeout: TIMEOUT,
  }, async () => {
    const project = exampleSite();
    const before = profileOf(project);
    for (const [args, code, message] of [
      [["--user", "ada"], 2, "npm run init: Unknown option '--user'"],
      [["ada"], 2, 'npm run init: unexpected "ada"'],
      [["--username"], 2, "npm run init: Option '--username <value>' argument missing"],
      [["--username", "bad name!"], 1, "npm run init: site/_data/profile.yaml would not be valid, nothing changed: username:"],
    ] as const) {
      const result = await init(project, [...args]);
      expect(result.code, args.join(" ")).toBe(code);
      expect(result.stderr.split("\n")[0], args.join(" ")).toContain(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(profileOf(project)).toBe(before);
    }
    expect(existsSync(path.join(project.root, ".dev.vars"))).toBe(false);
  });

  it("makes the example profile yours (the README's command), keeps comments; a second run keeps the user_id unless --new-id", {
    timeout: TIMEOUT,
  }, async () => {
    const project = exampleSite();
    const result = await init(project, ["--username", "ada", "--name", "Ada Lovelace", "--url", "https://ada.example"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const profile = profileOf(project);
    expect(profile).toContain("username: ada");
    expect(profile).toContain("full_name: Ada Lovelace");
    expect(profile).toContain("url: https://ada.example");
    expect(profile).toMatch(/^#/m);
    const id = userIdOf(project);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).not.toBe(EXAMPLE_USER_ID);
    expect(readFileSync(path.join(project.root, ".dev.vars"), "utf8")).toMatch(/^OWNER_TOKEN=\S{20,}$/m);

    const again = await init(project, []);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already has your own user_id");
    expect(userIdOf(project)).toBe(id);

    const renewed = await init(project, ["--new-id"]);
    expect(renewed.code).toBe(0);
    expect(userIdOf(project)).not.toBe(id);
  });
});
