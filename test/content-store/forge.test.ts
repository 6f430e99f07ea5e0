/**
 * The write path's forge adapters (lib/write/forge.ts) and its retry rule (commitDraft) against
 * loopback forges that implement the documented "create a file" endpoints of GitHub and
 * Forgejo/Gitea, and GitLab's "create a commit" endpoint, with a real git repository behind them (lib/cli/local-forge.ts): every commit is
 * checked in that repository -- author, message, path, content. Create-only: an existing path is
 * refused and never overwritten; the token goes nowhere but the forge.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ForgeFlavour, type LocalForge, type LocalForgeOptions, startLocalForge } from "../../lib/cli/local-forge.ts";
import { parsePost } from "../../lib/publish/posts.ts";
import { Budget, RUN_LIMITS } from "../../lib/shared/budget.ts";
import { commitDraft } from "../../lib/write/commit-post.ts";
import { createFile, parseContentStore } from "../../lib/write/forge.ts";

const TOKEN = "forge-token-9c1f0e2d7b";
const OWNER = { name: "Ada Lovelace", email: "ada@example.org" };
const NOW = Date.UTC(2026, 11, 7, 18, 0, 0);
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const git = (repo: string, ...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" }).trim();

function repository(): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), "skein-forge-"));
  cleanups.push(() => rmSync(repo, { recursive: true, force: true }));
  git(repo, "init", "--quiet", "-b", "main");
  mkdirSync(path.join(repo, "posts"));
  writeFileSync(path.join(repo, "posts", "2026-12-07-hello.md"), "---\ndate: 2026-12-07T09:00:00Z\nid: 0\n---\nFrom the laptop.\n");
  git(repo, "add", ".");
  git(repo, "-c", "user.name=Laptop", "-c", "user.email=laptop@example.org", "commit", "--quiet", "-m", "First post");
  return repo;
}

async function forge(flavour: ForgeFlavour, extra: Partial<LocalForgeOptions> = {}): Promise<{ repo: string; forge: LocalForge }> {
  const repo = repository();
  const started = await startLocalForge({ repo, flavour, token: TOKEN, owner: "ada", name: "site", identity: OWNER, ...extra });
  cleanups.push(() => started.close());
  return { repo, forge: started };
}

const deps = () => ({ fetch, allowLoopback: true, budget: new Budget(RUN_LIMITS, Date.now) });

function storeOf(started: LocalForge) {
  const store = parseContentStore(started.contentStore, true);
  if (!store.ok) throw new Error(store.error);
  return store.value;
}

/** The documented request of each forge: method, path, and the token in the forge's own scheme. */
const DOCUMENTED = {
  github: { method: "PUT", path: "/repos/ada/site/contents/posts/2026-12-07-from-the-browser.md", token: `Bearer ${TOKEN}`, commit: "/ada/site/commit/" },
  forgejo: {
    method: "POST",
    path: "/api/v1/repos/ada/site/contents/posts/2026-12-07-from-the-browser.md",
    token: `token ${TOKEN}`,
    commit: "/ada/site/commit/",
  },
  gitlab: { method: "POST", path: "/api/v4/projects/ada%2Fsite/repository/commits", token: `PRIVATE-TOKEN ${TOKEN}`, commit: "/ada/site/-/commit/" },
} as const;

describe.each(["github", "forgejo", "gitlab"] as const)("the %s adapter", (flavour) => {
  it("creates the file in one commit on the branch: author, message, path and content in the repository", async () => {
    const { repo, forge: started } = await forge(flavour);
    const before = git(repo, "rev-parse", "HEAD");
    const content = "---\ndate: 2026-12-07T18:00:00Z\nid: 1\n---\nFrom the browser: é 😀\n";
    const result = await createFile(
      storeOf(started),
      TOKEN,
      { path: "posts/2026-12-07-from-the-browser.md", content, message: "Post 1: From the browser" },
      deps(),
    );
    expect(result.ok).toBe(true);
    const head = git(repo, "rev-parse", "HEAD");
    expect(result.ok && result.value).toEqual({
      path: "posts/2026-12-07-from-the-browser.md",
      sha: head,
      url: `${started.url}${DOCUMENTED[flavour].commit}${head}`,
    });
    expect(git(repo, "rev-parse", "HEAD~1")).toBe(before);
    expect(git(repo, "log", "-1", "--format=%an <%ae>|%s")).toBe("Ada Lovelace <ada@example.org>|Post 1: From the browser");
    expect(git(repo, "show", "--name-status", "--format=", "HEAD")).toBe("A\tposts/2026-12-07-from-the-browser.md");
    expect(git(repo, "show", "HEAD:posts/2026-12-07-from-the-browser.md")).toBe(content.trimEnd());
    const seen = started.requests.at(-1)!;
    expect({ method: seen.method, path: seen.path, token: seen.authorization }).toEqual({
      method: DOCUMENTED[flavour].method,
      path: DOCUMENTED[flavour].path,
      token: DOCUMENTED[flavour].token,
    });
    // The commit's page, as the forge names it, is served.
    expect(await (await fetch(result.ok ? result.value.url! : "")).text()).toContain("Post 1: From the browser");
  });

  it("never overwrites: an existing path is refused as 'exists' and the file and branch stay as they were", async () => {
    const { repo, forge: started } = await forge(flavour);
    const before = git(repo, "rev-parse", "HEAD");
    const result = await createFile(storeOf(started), TOKEN, { path: "posts/2026-12-07-hello.md", content: "overwritten", message: "x" }, deps());
    expect(result).toMatchObject({ ok: false, error: { kind: "exists" } });
    expect(git(repo, "rev-parse", "HEAD")).toBe(before);
    expect(readFileSync(path.join(repo, "posts", "2026-12-07-hello.md"), "utf8")).toContain("From the laptop.");
  });

  it("a wrong token is refused, and the answer never repeats a token", async () => {
    const { repo, forge: started } = await forge(flavour);
    const result = await createFile(storeOf(started), "wrong-token-123", { path: "posts/x.md", content: "x", message: "x" }, deps());
    expect(result).toMatchObject({ ok: false, error: { kind: "refused" } });
    expect(JSON.stringify(result)).not.toContain("wrong-token-123");
    expect(git(repo, "log", "--format=%s")).toBe("First post");
  });
});

describe("commitDraft: ids and retries", () => {
  it("a name taken meanwhile (a post pushed from a laptop) moves to the next id and name; the file builds", async () => {
    const { repo, forge: started } = await forge("forgejo");
    const draft = { text: "Hello" };
    const result = await commitDraft(draft, 0, { ...deps(), store: storeOf(started), token: TOKEN, now: NOW });
    expect(result).toMatchObject({ ok: true, value: { post_id: 1, path: "posts/2026-12-07-hello-2.md" } });
    const file = git(repo, "show", "HEAD:posts/2026-12-07-hello-2.md");
    const parsed = parsePost({ file: "posts/2026-12-07-hello-2.md", bytes: new TextEncoder().encode(`${file}\n`) });
    expect(parsed.ok && parsed.value.id).toBe(1);
    expect(git(repo, "log", "-1", "--format=%s")).toBe("Post 1: Hello");
  });

  it("a branch that moved (409) is tried again, at most 3 requests in all", async () => {
    let conflicts = 1;
    const { repo, forge: once } = await forge("github", { interfere: () => (conflicts-- > 0 ? 409 : undefined) });
    const result = await commitDraft({ text: "Again" }, 5, { ...deps(), store: storeOf(once), token: TOKEN, now: NOW });
    expect(result).toMatchObject({ ok: true, value: { post_id: 5, path: "posts/2026-12-07-again.md" } });
    expect(once.requests).toHaveLength(2);
    expect(git(repo, "log", "--format=%s")).toContain("Post 5: Again");

    const { repo: stuckRepo, forge: stuck } = await forge("github", { interfere: () => 409 });
    const failed = await commitDraft({ text: "Never" }, 5, { ...deps(), store: storeOf(stuck), token: TOKEN, now: NOW });
    expect(failed).toMatchObject({ ok: false, error: { kind: "conflict" } });
    expect(stuck.requests).toHaveLength(3);
    expect(git(stuckRepo, "log", "--format=%s")).toBe("First post");
  });
});

/** A server that answers every request with one fixed answer, counting what it is sent. */
async function fixedServer(status: number, headers: Record<string, string>, body: string) {
  const seen: (string | undefined)[] = [];
  const server = http.createServer((request, response) => {
    seen.push(request.headers.authorization);
    request.resume();
    response.writeHead(status, headers);
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("the forge's answers are untrusted", () => {
  it("a redirect is not followed: the token reaches no other address", async () => {
    const elsewhere = await fixedServer(201, {}, "{}");
    const redirecting = await fixedServer(307, { Location: `${elsewhere.url}/steal` }, "");
    const store = parseContentStore(`forgejo:${redirecting.url}/ada/site@main`, true);
    const result = await createFile(store.ok ? store.value : (undefined as never), TOKEN, { path: "posts/x.md", content: "x", message: "x" }, deps());
    expect(result).toMatchObject({ ok: false, error: { kind: "unreachable" } });
    expect(redirecting.seen).toEqual([`token ${TOKEN}`]);
    expect(elsewhere.seen).toEqual([]);
  });

  it("a 201 that is not the documented shape, or names another path, is not taken as a commit", async () => {
    for (const body of [
      "not json",
      JSON.stringify({ commit: { sha: "x" } }),
      JSON.stringify({ content: { path: "other.md" }, commit: { sha: "a".repeat(40) } }),
    ]) {
      const odd = await fixedServer(201, { "Content-Type": "application/json" }, body);
      const store = parseContentStore(`gitea:${odd.url}/ada/site@main`, true);
      const result = await createFile(store.ok ? store.value : (undefined as never), TOKEN, { path: "posts/x.md", content: "x", message: "x" }, deps());
      expect(result, body).toMatchObject({ ok: false, error: { kind: "unreachable" } });
    }
  });

  it("CONTENT_STORE is checked: the forms, the branch, and loopback only when allowed", () => {
    expect(parseContentStore("github:ada/site@main", false)).toEqual({
      ok: true,
      value: { kind: "github", api: "https://api.github.com", owner: "ada", repo: "site", branch: "main" },
    });
    expect(parseContentStore("forgejo:https://codeberg.org/ada/site@pages", false)).toMatchObject({
      ok: true,
      value: { api: "https://codeberg.org/api/v1", branch: "pages" },
    });
    expect(parseContentStore("gitlab:ada/site@main", false)).toEqual({
      ok: true,
      value: { kind: "gitlab", api: "https://gitlab.com/api/v4", owner: "ada", repo: "site", branch: "main" },
    });
    expect(parseContentStore("gitlab:https://git.example.org/ada/site@main", false)).toMatchObject({
      ok: true,
      value: { api: "https://git.example.org/api/v4" },
    });
    expect(parseContentStore("forgejo:ada/site@main", false)).toMatchObject({ ok: false });
    expect(parseContentStore("forgejo:http://127.0.0.1:3000/ada/site@main", false)).toMatchObject({ ok: false });
    expect(parseContentStore("forgejo:http://10.0.0.1/ada/site@main", true)).toMatchObject({ ok: false });
    expect(parseContentStore("github:ada/site@../x", false)).toMatchObject({ ok: false });
    expect(parseContentStore("", false)).toMatchObject({ ok: false, error: expect.stringContaining("CONTENT_STORE") });
  });
});
