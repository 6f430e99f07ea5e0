/**
 * The commands of the README and docs/ work as written: the literal `npm start` serves the example site, and every
 * curl example answers the status line the README promises next to it (`# HTTP/1.1 201 Created`);
 * `npm run new`, `npm run build` and `npm run init` do what the README says.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { ALL_DOCS, README } from "../support/docs.ts";
import { type NpmStart, npmStart } from "./support/npm-start.ts";

/** Fenced shell blocks of the README and docs/. */
function shellBlocks(): string[] {
  return [...ALL_DOCS.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

interface CurlExample {
  script: string;
  expected: string;
}

/** Shell blocks with a curl command and the status line they promise. */
function curlExamples(): CurlExample[] {
  return shellBlocks()
    .filter((block) => block.includes("curl "))
    .map((block) => {
      const expected = /^# (HTTP\/1\.1 \d{3}.*)$/m.exec(block)?.[1];
      if (!expected) throw new Error(`README curl example without a "# HTTP/1.1 ..." line:\n${block}`);
      return { script: block, expected };
    });
}

const examples = curlExamples();

it("the README and docs have curl examples for messages, replies, refusals and the owner API", () => {
  expect(examples.length).toBeGreaterThanOrEqual(5);
  const statuses = examples.map((example) => example.expected.split(" ")[1]);
  expect(new Set(statuses)).toEqual(new Set(["201", "403", "200", "401"]));
});

describe("with `npm start` running the example site", () => {
  let project: ProjectCopy;
  let server: NpmStart;
  let port: number;

  beforeAll(async () => {
    project = createProjectCopy();
    port = await freePort();
    server = await npmStart(project, port, { viaNpm: true });
  });
  afterAll(async () => {
    await server?.interrupt();
    project?.cleanup();
  });

  it("serves the site it printed", async () => {
    expect(server.output()).toContain(`Skein is running at ${server.url}/`);
    // The first screen names the owner's pages and where the token is, and none of wrangler's
    // warnings that are not true under npm start (it runs the jobs; the types are checked).
    expect(server.output()).toContain(`${server.url}/owner/  (sign in with OWNER_TOKEN from .dev.vars)`);
    expect(server.output()).not.toContain("Scheduled Workers are not automatically triggered");
    expect(server.output()).not.toContain("Your types might be out of date");
    expect((await fetch(`${server.url}/`)).status).toBe(200);
  });

  for (const [index, example] of examples.entries()) {
    it(`curl example ${index + 1} answers "${example.expected}"`, () => {
      // The README uses the default port; this server has its own.
      const script = example.script.replaceAll("127.0.0.1:8788", `127.0.0.1:${port}`);
      const stdout = execFileSync("bash", ["-euo", "pipefail", "-c", script], { cwd: project.root, encoding: "utf8" });
      expect(stdout.split("\n")[0]?.trim()).toBe(example.expected);
    });
  }
});

describe("the README's other commands, in a fresh copy", () => {
  let project: ProjectCopy;
  beforeAll(() => {
    project = createProjectCopy();
  });
  afterAll(() => project?.cleanup());

  const npm = (args: string[]) => execFileSync("npm", args, { cwd: project.root, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "error" } });

  it('npm run new -- "Hello, open web!" writes the next post with the next id', () => {
    expect(README).toContain('npm run new -- "Hello, open web!"');
    const out = npm(["run", "new", "--", "Hello, open web!"]);
    const created = /Created (posts\/\S+\.md) \(id (\d+)\)/.exec(out);
    expect(created?.[2]).toBe("6");
    expect(created?.[1]).toMatch(/^posts\/\d{4}-\d{2}-\d{2}-hello-open-web\.md$/);
    const text = readFileSync(path.join(project.root, created![1]!), "utf8");
    expect(text).toMatch(/^---\ndate: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\nid: 6\n---\nHello, open web!\n$/);
  });

  it("npm run build publishes it", () => {
    npm(["run", "build"]);
    expect(existsSync(path.join(project.root, "_site/posts/6/index.html"))).toBe(true);
    expect(readFileSync(path.join(project.root, "_site/feed.xml"), "utf8")).toContain("Hello, open web!");
  });

  it("npm run init -- --username ada ... makes the profile yours and creates the owner token", () => {
    expect(README).toContain('npm run init -- --username ada --name "Ada Lovelace" --url https://ada.example');
    npm(["run", "init", "--", "--username", "ada", "--name", "Ada Lovelace", "--url", "https://ada.example"]);
    const profile = readFileSync(path.join(project.root, "site/_data/profile.yaml"), "utf8");
    expect(profile).toContain("username: ada");
    expect(profile).toContain("full_name: Ada Lovelace");
    expect(profile).not.toContain("8d3c6f0e-2b1a-4e57-9c4d-1f6a2e9b7c30");
    expect(readFileSync(path.join(project.root, ".dev.vars"), "utf8")).toMatch(/^OWNER_TOKEN=\S{20,}$/m);
  });
});
