/**
 * Writing under `npm start`: the Worker's write path (POST /api/write/posts, the same code the
 * deployed Worker runs) commits into the local checkout through npm start's loopback forge
 * (lib/cli/local-forge.ts) -- a file in posts/ and a real git commit by the owner's git identity
 * -- the watcher rebuilds, our feed carries the post, and the write.live job marks it live.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readDevVar } from "../../lib/cli/dev-vars.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { type NpmStart, npmStart } from "./support/npm-start.ts";

const git = (root: string, ...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

let project: ProjectCopy | undefined;
let server: NpmStart | undefined;
afterAll(async () => {
  await server?.interrupt();
  project?.cleanup();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("npm start: writing into the local checkout", () => {
  it("a post written through the Worker is committed to the checkout, rebuilt into the feed and marked live", { timeout: 240_000 }, async () => {
    project = createProjectCopy();
    const root = project.root;
    git(root, "init", "--quiet", "-b", "main");
    git(root, "config", "user.name", "Ada Local");
    git(root, "config", "user.email", "ada@local.example");
    git(root, "add", "posts", "site");
    git(root, "commit", "--quiet", "-m", "My site");
    server = await npmStart(project, await freePort(), { watch: true });
    expect(server.output()).toContain("commits posts into this checkout");
    const token = readDevVar(root, "OWNER_TOKEN")!;
    const api = (pathname: string, init: RequestInit = {}) =>
      fetch(`${server!.url}${pathname}`, { ...init, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...init.headers } });

    const response = await api("/api/write/posts", { method: "POST", body: JSON.stringify({ text: "Written in the browser, <em>committed</em> by git." }) });
    expect(response.status).toBe(201);
    const written = (await response.json()) as { post_id: number; path: string; commit_sha: string };
    expect(git(root, "rev-parse", "HEAD")).toBe(written.commit_sha);
    expect(git(root, "log", "-1", "--format=%an <%ae>|%s")).toBe(
      `Ada Local <ada@local.example>|Post ${written.post_id}: Written in the browser, <em>committed</em> by git.`,
    );
    expect(readFileSync(path.join(root, written.path), "utf8")).toMatch(
      new RegExp(`^---\\ndate: \\S+Z\\nid: ${written.post_id}\\n---\\nWritten in the browser`),
    );
    expect(git(root, "status", "--porcelain", "posts")).toBe("");
    // The watcher rebuilds: our feed carries the post.
    await until("the rebuilt feed", async () => {
      const feed = await (await fetch(`${server!.url}/feed.xml`)).text();
      return feed.includes(`<guid isPermaLink="false">${written.post_id}</guid>`) ? true : undefined;
    });
    await api("/api/jobs/run", { method: "POST", body: "{}" });
    const listed = (await (await api("/api/write/posts")).json()) as { items: { post_id: number; state: string }[] };
    expect(listed.items.find((item) => item.post_id === written.post_id)?.state).toBe("live");
  });
});
