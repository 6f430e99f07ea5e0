/**
 * `npm run init` (scripts/init.ts) in throw-away project copies: --help prints the usage and changes
 * nothing (it used to run init and replace the example's user_id); unknown options, stray words and
 * a profile that would not build are one line and write nothing; the README's command makes the
 * profile yours and creates the owner token; a second run keeps the user_id unless --new-id.
 * The signing key pair (docs/signing.md): init puts the secret in .dev.vars only (git ignores it, the
 * built site never holds it) and its public half in the profile, which the head feed publishes;
 * `npm run keys -- rotate` (the CLI), then show and prune: list, rotate with a grace period, drop expired keys.
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureSigningKey, pruneSigningKeys, publishedKeys } from "../../lib/cli/signing-keys.ts";
import { createProjectCopy, type ProjectCopy, REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { buildProject } from "../../lib/harness/wrangler-server.ts";
import { readSigningKeys } from "../../lib/shared/signing-keys.ts";
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

const secretOf = (project: ProjectCopy) => /^SIGNING_KEY=(\S+)$/m.exec(readFileSync(path.join(project.root, ".dev.vars"), "utf8"))?.[1];
/** The public half of a secret, by node:crypto (not the code under test). */
const publicHalf = (secret: string) =>
  createPublicKey(createPrivateKey({ key: Buffer.from(secret, "base64url"), format: "der", type: "pkcs8" })).export({ format: "jwk" }).x;
const keys = async (project: ProjectCopy, ...args: string[]) => {
  const result = await runScript(project.root, "scripts/keys.ts", [...args, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => readFileSync(file).includes(needle));
}

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

  it("makes the example profile yours (the README's command), keeps comments and creates the signing pair; a second run keeps both unless --new-id", {
    timeout: 2 * TIMEOUT,
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
    // The signing pair (docs/signing.md): the secret in .dev.vars, its public half in the profile.
    const secret = secretOf(project)!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{60,}$/);
    const publicKey = publicHalf(secret);
    expect(profile).toContain(`key: ${publicKey}`);

    const again = await init(project, []);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already has your own user_id");
    expect(userIdOf(project)).toBe(id);
    expect(secretOf(project)).toBe(secret);

    // Git (the repository's .gitignore) never takes the secret; the built site never holds it, the head feed publishes the public key.
    copyFileSync(path.join(REPO_ROOT, ".gitignore"), path.join(project.root, ".gitignore"));
    execFileSync("git", ["init", "--quiet"], { cwd: project.root });
    const staged = execFileSync("git", ["add", "--all", "--dry-run"], { cwd: project.root, encoding: "utf8" });
    expect(staged).toContain("site/_data/profile.yaml");
    expect(staged).not.toContain(".dev.vars");
    buildProject(project, "https://ada.example");
    expect(filesContaining(path.join(project.root, "_site"), secret)).toEqual([]);
    expect(filesContaining(path.join(project.root, "functions"), secret)).toEqual([]);
    expect(readSigningKeys(readFileSync(path.join(project.root, "_site/feed.xml"), "utf8"))).toEqual([{ key: publicKey }]);

    const renewed = await init(project, ["--new-id"]);
    expect(renewed.code).toBe(0);
    expect(userIdOf(project)).not.toBe(id);
  });
});

describe("npm run keys", () => {
  it("rotate publishes a new key and keeps the old one 7 days; show lists both; prune drops a key past its grace period", { timeout: TIMEOUT }, async () => {
    const project = exampleSite();
    const first = ensureSigningKey(project.root).publicKey;
    expect(publicHalf(secretOf(project)!)).toBe(first);
    const before = Date.now();
    const rotated = (await keys(project, "rotate")) as { key: string; retiring: { key: string; until: string }[] };
    const second = publicHalf(secretOf(project)!);
    expect(rotated.key).toBe(second);
    expect(second).not.toBe(first);
    expect(rotated.retiring.map((entry) => entry.key)).toEqual([first]);
    const until = rotated.retiring[0]!.until;
    expect(Math.abs(Date.parse(until) - before - 7 * 86_400_000)).toBeLessThan(120_000);
    expect(publishedKeys(project.root)).toEqual([{ key: second }, { key: first, until }]);
    expect(await keys(project, "show")).toEqual({
      keys: [
        { key: second, signs: true },
        { key: first, until, signs: false },
      ],
      local_secret: second,
    });
    // Within the grace period prune keeps both; after it, it drops the old key only.
    expect(pruneSigningKeys(project.root, before + 86_400_000)).toEqual([]);
    expect(pruneSigningKeys(project.root, Date.parse(until) + 1_000)).toEqual([{ key: first, until }]);
    expect(publishedKeys(project.root)).toEqual([{ key: second }]);
  });
});
