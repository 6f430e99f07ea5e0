/**
 * Writing under `npm start`: the Worker's write path (POST /api/write/posts, the same code the
 * deployed Worker runs) commits into the local checkout through npm start's loopback forge
 * (lib/cli/local-forge.ts) -- a file in posts/ and a real git commit by the owner's git identity
 * -- the watcher rebuilds, our feed carries the post, and the write.live job marks it live.
 * Micropub (POST /api/micropub, an IndieAuth token) takes the same path, form-encoded and JSON:
 * both posts are committed, rebuilt into the feed, and the feed passes Skein's validator.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readDevVar } from "../../lib/cli/dev-vars.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { devFetch, migrateLocal, QUIET_WRANGLER, WRANGLER } from "../../lib/harness/wrangler-server.ts";
import { checkPage } from "../../lib/validate/page-rules.ts";
import { type NpmStart, npmStart } from "./support/npm-start.ts";

const git = (root: string, ...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

let project: ProjectCopy | undefined;
let server: NpmStart | undefined;
/** An IndieAuth access token for a Micropub app, put in the local D1 before npm start (as the token endpoint stores it: its SHA-256). */
const MICROPUB_TOKEN = "a1".repeat(32);
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
    const port = await freePort();
    // Before the server opens the local D1 (a second process writing it while wrangler runs is not safe).
    migrateLocal(project);
    const hash = createHash("sha256").update(MICROPUB_TOKEN).digest("hex");
    const sql = `INSERT INTO indieauth_tokens (token_hash, client_id, scope, me, created_at, expires_at) VALUES ('${hash}', 'https://app.example/', 'create', 'http://127.0.0.1:${port}/', ${Date.now()}, ${Date.now() + 86_400_000})`;
    execFileSync(WRANGLER, ["d1", "execute", "DB", "--local", "--command", sql], { cwd: root, env: { ...process.env, ...QUIET_WRANGLER }, stdio: "pipe" });
    server = await npmStart(project, port, { watch: true });
    // npm start prints its summary right after "Skein is running at", which npmStart waits for.
    await until("npm start's summary", async () => (server!.output().includes("commits posts into this checkout") ? true : undefined), 15_000);
    const token = readDevVar(root, "OWNER_TOKEN")!;
    const api = (pathname: string, init: RequestInit = {}) =>
      devFetch(`${server!.url}${pathname}`, { ...init, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...init.headers } });

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

  it("Micropub creates, form-encoded and JSON, take the same path: committed, rebuilt into a feed that validates", { timeout: 180_000 }, async () => {
    const root = project!.root;
    const micropub = (body: string, contentType: string) =>
      devFetch(`${server!.url}/api/micropub`, { method: "POST", headers: { Authorization: `Bearer ${MICROPUB_TOKEN}`, "Content-Type": contentType }, body });
    const viaForm = await micropub("h=entry&content=Hello+from+a+Micropub+app&category[]=ignored", "application/x-www-form-urlencoded");
    expect(viaForm.status).toBe(202);
    const viaJson = await micropub(
      JSON.stringify({ type: ["h-entry"], properties: { content: [{ html: "<p>An <b>HTML</b> post &lt;script&gt;</p><script>alert(1)</script>" }] } }),
      "application/json",
    );
    expect(viaJson.status).toBe(202);
    const ids = [viaForm, viaJson].map((response) => {
      const location = response.headers.get("Location") ?? "";
      expect(location).toMatch(new RegExp(`^${server!.url}/posts/\\d+/$`));
      return Number(/(\d+)\/$/.exec(location)![1]);
    });
    const log = git(root, "log", "-2", "--format=%s%n%b");
    expect(log).toContain(`Post ${ids[0]}: Hello from a Micropub app`);
    expect(log.match(/Written with https:\/\/app\.example\/ \(Micropub\)\./g)).toHaveLength(2);
    const feed = await until("both posts in the rebuilt feed", async () => {
      const text = await (await fetch(`${server!.url}/feed.xml`)).text();
      return ids.every((id) => text.includes(`<guid isPermaLink="false">${id}</guid>`)) ? text : undefined;
    });
    expect(feed).toContain("<p>An <b>HTML</b> post &lt;script&gt;</p>");
    expect(feed).not.toContain("<script>");
    const report = checkPage({ text: feed, bytes: Buffer.byteLength(feed), encoding: "utf-8", page: "feed.xml", kind: "main", head: true });
    expect(report.problems.filter((problem) => problem.severity === "error")).toEqual([]);
    const page = await (await fetch(`${server!.url}/posts/${ids[0]}/`)).text();
    expect(page).toContain("Hello from a Micropub app");
    expect(page).toContain(`<link rel="micropub" href="${server!.url}/api/micropub">`);
  });
});
