/**
 * The publishing path (issue 17): a push of posts or site data deploys without the test suite; a push
 * that changes code deploys once the Test workflow has passed on that code. The split lives in two
 * places that must agree -- scripts/publish-gate.sh's CONTENT_PATHS and test.yml's paths-ignore -- and
 * the gate itself runs here on a real git repository, as the deploy workflow runs it.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";
import { DEFAULT_CACHE_DIR } from "../../lib/site-build/build-cache.ts";

interface Step {
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, { paths?: string[]; "paths-ignore"?: string[]; workflows?: string[]; branches?: string[] } | null>;
  jobs: Record<string, { steps: Step[] }>;
}

const workflow = (name: string) => parse(readFileSync(path.join(REPO_ROOT, ".github/workflows", name), "utf8")) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);
const GATE = path.join(REPO_ROOT, "scripts/publish-gate.sh");

function contentPaths(): string[] {
  const line = /^CONTENT_PATHS=\(([^)]*)\)$/m.exec(readFileSync(GATE, "utf8"));
  if (!line) throw new Error("scripts/publish-gate.sh has no CONTENT_PATHS=(...) line");
  return line[1]!.trim().split(/\s+/);
}

describe("the workflows split tests from publishing", () => {
  it("the deploy workflows never run the test suite", () => {
    for (const name of ["deploy.yml", "deploy-api-only-and-github-pages.yml"]) {
      const runs = steps(workflow(name)).map((step) => step.run ?? "");
      expect(
        runs.filter((run) => /npm (run )?test|vitest|scripts\/test\.sh/.test(run)),
        name,
      ).toEqual([]);
      expect(
        runs.some((run) => run.includes("bash scripts/deploy.sh")),
        name,
      ).toBe(true);
    }
  });

  it("Test runs on pull requests and on pushes outside the content paths, the gate's own list", () => {
    const test = workflow("test.yml");
    expect(steps(test).some((step) => step.run === "npm test")).toBe(true);
    const ignored = contentPaths().map((prefix) => `${prefix}**`);
    expect(ignored).toEqual(["posts/**", "site/_data/**", "site/assets/**"]);
    expect(test.on.push?.["paths-ignore"]).toEqual(ignored);
    expect(test.on.pull_request?.["paths-ignore"]).toEqual(ignored);
  });

  it("Deploy runs on pushes to main and after Test on main, gated by scripts/publish-gate.sh", () => {
    const deploy = workflow("deploy.yml");
    expect(deploy.on.push?.branches).toEqual(["main"]);
    expect(deploy.on.workflow_run?.workflows).toEqual(["Test"]);
    expect(deploy.on.workflow_run?.branches).toEqual(["main"]);
    const all = steps(deploy);
    const gateAt = all.findIndex((step) => step.run?.includes("bash scripts/publish-gate.sh"));
    const deployAt = all.findIndex((step) => step.run?.includes("bash scripts/deploy.sh worker"));
    expect(gateAt).toBeGreaterThanOrEqual(0);
    expect(deployAt).toBeGreaterThan(gateAt);
    for (const step of all.slice(gateAt + 1)) expect(step.if, JSON.stringify(step)).toContain("steps.gate.outputs.deploy == 'true'");
  });

  it("Deploy keeps the incremental build's cache and _site/ between deploys (one actions/cache entry, before the build), and builds in place", () => {
    const all = steps(workflow("deploy.yml"));
    const cached = (step: Step) => (step.with?.path ?? "").split("\n").map((line) => line.trim());
    const cacheAt = all.findIndex(
      (step) => step.uses?.startsWith("actions/cache@") && cached(step).includes(DEFAULT_CACHE_DIR) && cached(step).includes("_site"),
    );
    const deployAt = all.findIndex((step) => step.run?.includes("bash scripts/deploy.sh worker"));
    expect(cacheAt).toBeGreaterThanOrEqual(0);
    expect(cacheAt).toBeLessThan(deployAt);
    // A new key each run (a cache entry is never overwritten), the newest earlier one restored.
    expect(all[cacheAt]!.with?.key).toContain("github.run_id");
    expect(all[cacheAt]!.with?.["restore-keys"]).toBe("skein-build-");
    // The restored _site/ is updated in place (only changed files written), not rebuilt beside it.
    expect(readFileSync(path.join(REPO_ROOT, "scripts/deploy.sh"), "utf8")).toMatch(/^npm run --silent build -- --sync$/m);
  });
});

describe("scripts/publish-gate.sh on a real repository", () => {
  const repo = mkdtempSync(path.join(os.tmpdir(), "skein-gate-"));
  afterAll(() => rmSync(repo, { recursive: true, force: true }));
  const git = (...args: string[]) => {
    const result = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    writeFileSync(path.join(repo, file), text);
  };
  const commit = (message: string) => {
    git("add", "-A");
    git("-c", "user.name=Wren", "-c", "user.email=wren@example.com", "commit", "-q", "-m", message);
    return git("rev-parse", "HEAD");
  };
  const gate = (...tested: string[]) => {
    const result = spawnSync("bash", ["scripts/publish-gate.sh", ...tested], { cwd: repo, encoding: "utf8" });
    return { code: result.status, out: result.stdout.trim(), why: result.stderr.trim() };
  };

  git("init", "-q", "-b", "main");
  mkdirSync(path.join(repo, "scripts"));
  copyFileSync(GATE, path.join(repo, "scripts/publish-gate.sh"));
  write("lib/publish/site.ts", "export const v = 1;\n");
  write("posts/2026-01-01-hello.md", "---\nid: 1\n---\nHello\n");
  write("site/_data/profile.yaml", "username: wren\n");
  const tested = commit("code and a first post");

  it("the tested commit itself deploys", () => {
    expect(gate(tested)).toMatchObject({ code: 0, out: "deploy=true" });
  });

  it("new, edited, renamed and deleted posts, site data and pictures deploy at once", () => {
    write("posts/2026-01-02-more.md", "---\nid: 2\n---\nMore\n");
    write("site/_data/profile.yaml", "username: wren\nbio: hi\n");
    write("site/assets/me.png", "png");
    commit("two posts, a bio, a picture");
    renameSync(path.join(repo, "posts/2026-01-01-hello.md"), path.join(repo, "posts/2026-01-01-hi.md"));
    rmSync(path.join(repo, "posts/2026-01-02-more.md"));
    commit("renamed and deleted");
    const result = gate(tested);
    expect(result).toMatchObject({ code: 0, out: "deploy=true" });
    expect(result.why).toContain(tested);
  });

  it("a change of code waits for its tests; once tested, it deploys", () => {
    write("lib/publish/site.ts", "export const v = 2;\n");
    write("posts/2026-01-03-third.md", "---\nid: 3\n---\nThird\n");
    const changed = commit("code and a post together");
    const waiting = gate(tested);
    expect(waiting).toMatchObject({ code: 0, out: "deploy=false" });
    expect(waiting.why).toContain("lib/publish/site.ts");
    // Newest tested first, as gh run list gives them; any tested commit with the same code will do.
    expect(gate(changed, tested).out).toBe("deploy=true");
    write("posts/2026-01-04-fourth.md", "---\nid: 4\n---\nFourth\n");
    commit("a post after the tested code");
    expect(gate(tested, changed).out).toBe("deploy=true");
  });

  it("no tested commit, or one this checkout lacks, means wait", () => {
    expect(gate()).toMatchObject({ code: 0, out: "deploy=false" });
    const unknown = gate("0123456789abcdef0123456789abcdef01234567");
    expect(unknown.out).toBe("deploy=false");
    expect(unknown.why).toContain("not in this checkout");
  });

  it("a file whose name only starts like a content folder is code", () => {
    write("posts.ts", "export {};\n");
    const head = commit("a file named like a folder");
    write("site/_database.ts", "export {};\n");
    commit("another");
    expect(gate(head).out).toBe("deploy=false");
  });
});
