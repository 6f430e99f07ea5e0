/**
 * Vitest globalSetup (Node) for the write path's workerd tests (test/write/): a loopback forge
 * (lib/cli/local-forge.ts, the Forgejo/Gitea contents API) over a real git repository in a
 * temp folder, and a control server that shows the tests what only Node can see:
 *
 *   GET /control/repo          {log: [{sha, author, subject, files}], files: {path: text}} of HEAD
 *   GET /control/requests      the forge's requests so far: [{method, path}]
 *   GET /control/laptop?name=&id=   commit posts/<name> with `id:` as a laptop push would
 *   GET /control/post-page?id=      the post page the build writes from HEAD's posts/ for that id
 *   GET /own/feed.xml          our head feed, built from the repository's posts/ by the real build
 *                              (lib/publish/site.ts): the deploy a commit triggers
 *
 * Ports go to the tests with provide("writeForgePort") / provide("writeControlPort"); Micropub's
 * tests get a second repository the same way (micropubForgePort / micropubControlPort).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalForge } from "../../../lib/cli/local-forge.ts";
import { buildSiteFiles, buildSiteInMemory, profileYaml, rawPostFile } from "../../../lib/harness/factories.ts";
import { paths } from "../../../lib/shared/urls.ts";
import { OWNER } from "./people.ts";
import { WRITE_FORGE_TOKEN, WRITE_IDENTITY } from "./write-forge.ts";

const git = (repo: string, ...args: string[]) => execFileSync("git", ["-c", "commit.gpgsign=false", ...args], { cwd: repo, encoding: "utf8" }).trim();

function repoState(repo: string) {
  const log = git(repo, "log", "--format=%H%x1f%an <%ae>%x1f%s")
    .split("\n")
    .map((line) => {
      const [sha, author, subject] = line.split("\x1f");
      const files = git(repo, "show", "--name-only", "--format=", sha!).split("\n").filter(Boolean);
      return { sha, author, subject, files };
    });
  const files: Record<string, string> = {};
  for (const name of readdirSync(path.join(repo, "posts"))) files[`posts/${name}`] = readFileSync(path.join(repo, "posts", name), "utf8");
  return { log, files };
}

function ownSite(repo: string, base: string) {
  const posts = readdirSync(path.join(repo, "posts")).map((name) => rawPostFile(name, readFileSync(path.join(repo, "posts", name))));
  return { profile: profileYaml({ username: OWNER.username, user_id: OWNER.user_id, url: `${base}/own` }), posts };
}

const ownFeed = (repo: string, base: string) => buildSiteFiles(ownSite(repo, base)).get("/feed.xml")!;

/** One repository with its forge and control server. */
async function forgeOverRepo(): Promise<{ forgePort: number; controlPort: number; close: () => Promise<void> }> {
  const repo = mkdtempSync(path.join(os.tmpdir(), "skein-write-"));
  git(repo, "init", "--quiet", "-b", "main");
  mkdirSync(path.join(repo, "posts"));
  writeFileSync(path.join(repo, "posts", "2026-01-01-first.md"), "---\ndate: 2026-01-01T09:00:00Z\nid: 0\n---\nFirst.\n");
  git(repo, "add", ".");
  git(repo, "-c", "user.name=Laptop", "-c", "user.email=laptop@ada.example", "commit", "--quiet", "-m", "First post");
  const forge = await startLocalForge({ repo, flavour: "forgejo", token: WRITE_FORGE_TOKEN, owner: "ada", name: "site", identity: WRITE_IDENTITY });

  const control = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const base = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
    const json = (value: unknown) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(value));
    };
    try {
      if (url.pathname === "/control/repo") return json(repoState(repo));
      if (url.pathname === "/control/requests") return json(forge.requests.map(({ method, path }) => ({ method, path })));
      if (url.pathname === "/control/laptop") {
        const name = url.searchParams.get("name")!;
        writeFileSync(path.join(repo, "posts", name), `---\ndate: 2026-03-01T08:00:00Z\nid: ${url.searchParams.get("id")}\n---\nFrom the laptop.\n`);
        git(repo, "add", ".");
        git(repo, "-c", "user.name=Laptop", "-c", "user.email=laptop@ada.example", "commit", "--quiet", "-m", `Laptop: ${name}`);
        return json({ ok: true });
      }
      if (url.pathname === "/control/post-page") {
        const page = buildSiteInMemory(ownSite(repo, base)).stableHtml.get(paths.post(Number(url.searchParams.get("id"))));
        response.writeHead(page ? 200 : 404, { "Content-Type": "text/html; charset=utf-8" });
        return response.end(page ?? "");
      }
      if (url.pathname === "/own/feed.xml") {
        response.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" });
        return response.end(ownFeed(repo, base));
      }
    } catch (error) {
      response.writeHead(500, { "Content-Type": "text/plain" });
      return response.end(error instanceof Error ? error.message : String(error));
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  return {
    forgePort: Number(new URL(forge.url).port),
    controlPort: (control.address() as AddressInfo).port,
    close: async () => {
      await forge.close();
      await new Promise((resolve) => control.close(resolve));
      rmSync(repo, { recursive: true, force: true });
    },
  };
}

/** The write path's tests (test/write/) and Micropub's (test/micropub/) each get a repository of their own: their ids never meet. */
export default async function setup(project: TestProject) {
  const write = await forgeOverRepo();
  const micropub = await forgeOverRepo();
  project.provide("writeForgePort", write.forgePort);
  project.provide("writeControlPort", write.controlPort);
  project.provide("micropubForgePort", micropub.forgePort);
  project.provide("micropubControlPort", micropub.controlPort);
  return async () => {
    await write.close();
    await micropub.close();
  };
}
