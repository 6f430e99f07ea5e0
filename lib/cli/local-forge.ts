/**
 * A forge on loopback, backed by a real git repository: the "create a file" endpoints the Worker's
 * write path calls (lib/write/forge.ts), as GitHub and Forgejo/Gitea document them, and nothing
 * else. `npm start` serves the Forgejo flavour over the site's own checkout, so a post written in
 * the owner's pages becomes a file in posts/ and a real commit, and the watcher publishes it; the
 * tests serve both flavours over throw-away repositories.
 *
 *   GitHub   PUT  /repos/{owner}/{repo}/contents/{path}          {message, content, branch[, sha]}
 *   Forgejo  POST /api/v1/repos/{owner}/{repo}/contents/{path}   {message, content, branch}
 *   both     201 {content: {name, path, sha, size, type}, commit: {sha, html_url, message, author, committer}}
 *            401 bad token, 404 unknown repository or branch, 422 the path exists (or a bad body)
 *   GitLab   POST /api/v4/projects/{owner%2Frepo}/repository/commits  {branch, commit_message,
 *            actions: [{action: "create", file_path, content, encoding}]} ("Create a commit with
 *            multiple files and actions"; token in PRIVATE-TOKEN or Authorization: Bearer)
 *            201 the commit {id, short_id, title, message, parent_ids, ..., web_url}
 *            401 bad token, 404 unknown project, 400 a path that exists, an unknown branch or a bad body
 *   GET /{owner}/{repo}[/-]/commit/{sha}: the commit as text (what html_url / web_url points at)
 *
 * Create only: a request with `sha` (an update) or another action than `create` is refused, as is
 * a path that exists on the branch or in the work tree. Requests are served one at a time.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export type ForgeFlavour = "github" | "forgejo" | "gitlab";

export interface LocalForgeOptions {
  /** A git checkout (with a work tree); its checked-out branch is the only branch served. */
  repo: string;
  flavour: ForgeFlavour;
  token: string;
  owner: string;
  name: string;
  /** The token's user: author and committer of every commit. */
  identity: { name: string; email: string };
  /** Tests: answer this status instead of committing (a branch that moved: 409). */
  interfere?: (filePath: string) => number | undefined;
}

export interface LocalForge {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The CONTENT_STORE value that points the Worker here. */
  contentStore: string;
  /** What each request sent; `authorization` is the token's scheme as sent ("Bearer t", "token t", "PRIVATE-TOKEN t"). */
  requests: { method: string; path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

const MAX_BODY = 2 * 1024 * 1024;

function git(repo: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", ["-c", "commit.gpgsign=false", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function currentBranch(repo: string): string | undefined {
  try {
    return git(repo, ["symbolic-ref", "--short", "HEAD"]).trim() || undefined;
  } catch {
    return undefined;
  }
}

function pathExists(repo: string, file: string): boolean {
  if (existsSync(path.join(repo, file))) return true;
  try {
    git(repo, ["cat-file", "-e", `HEAD:${file}`]);
    return true;
  } catch {
    return false;
  }
}

function readBody(request: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on("end", () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8")));
    request.on("error", () => resolve(undefined));
  });
}

interface Answer {
  status: number;
  body: unknown;
}

const message = (status: number, text: string): Answer => ({ status, body: { message: text } });

/** The file path a contents request names; for GitLab's commits endpoint "" (the paths are in the body). */
function routeOf(options: LocalForgeOptions, method: string, pathname: string): string | undefined {
  if (options.flavour === "gitlab") {
    const project = `/api/v4/projects/${encodeURIComponent(`${options.owner}/${options.name}`)}/repository/commits`;
    return method === "POST" && (pathname === project || pathname === project.replace("%2F", "%2f")) ? "" : undefined;
  }
  const prefix = options.flavour === "github" ? "" : "/api/v1";
  const wanted = options.flavour === "github" ? "PUT" : "POST";
  const base = `${prefix}/repos/${options.owner}/${options.name}/contents/`;
  if (method !== wanted || !pathname.startsWith(base)) return undefined;
  try {
    return decodeURIComponent(pathname.slice(base.length));
  } catch {
    return undefined;
  }
}

/** A safe repository path: relative, no "..", nothing inside .git. */
function safePath(file: string): boolean {
  const parts = file.split("/");
  return file.length > 0 && file.length < 1000 && !file.startsWith("/") && parts.every((p) => p !== "" && p !== "." && p !== "..") && parts[0] !== ".git";
}

function create(options: LocalForgeOptions, baseUrl: string, file: string, text: string | undefined): Answer {
  let body: { message?: unknown; content?: unknown; branch?: unknown; sha?: unknown };
  try {
    body = JSON.parse(text ?? "") as typeof body;
  } catch {
    return message(400, "Problems parsing JSON");
  }
  if (typeof body.content !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(body.content)) return message(422, "content must be base64");
  if (typeof body.message !== "string" || !body.message.trim()) return message(422, "message is required");
  const branch = currentBranch(options.repo);
  if (body.branch !== undefined && body.branch !== branch) return message(404, `Branch ${String(body.branch)} not found`);
  if (!safePath(file)) return message(422, "path is not a file path in the repository");
  if (body.sha !== undefined) return message(422, "this stand-in creates files only");
  if (pathExists(options.repo, file)) {
    return options.flavour === "github"
      ? message(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
      : message(422, `repository file already exists [path: ${file}]`);
  }
  const interfered = options.interfere?.(file);
  if (interfered) return message(interfered, `is at ${"0".repeat(40)} but expected ${"1".repeat(40)}`);
  const bytes = Buffer.from(body.content, "base64");
  const { sha, person } = commitFile(options, file, bytes, body.message);
  const blob = git(options.repo, ["rev-parse", `HEAD:${file}`]).trim();
  return {
    status: 201,
    body: {
      content: { name: path.basename(file), path: file, sha: blob, size: bytes.length, type: "file" },
      commit: { sha, html_url: `${baseUrl}/${options.owner}/${options.name}/commit/${sha}`, message: body.message, author: person, committer: person },
    },
  };
}

/** The file written into the work tree and committed alone, by the token's user. */
function commitFile(options: LocalForgeOptions, file: string, bytes: Buffer, subject: string) {
  mkdirSync(path.dirname(path.join(options.repo, file)), { recursive: true });
  writeFileSync(path.join(options.repo, file), bytes);
  const who = options.identity;
  const env = { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email };
  git(options.repo, ["add", "--", file]);
  git(options.repo, ["commit", "--no-verify", "--quiet", "-m", subject, "--", file], env);
  const sha = git(options.repo, ["rev-parse", "HEAD"]).trim();
  const person = { name: who.name, email: who.email, date: git(options.repo, ["show", "-s", "--format=%cI", "HEAD"]).trim() };
  return { sha, person };
}

interface GitLabCommitBody {
  branch?: unknown;
  commit_message?: unknown;
  actions?: { action?: unknown; file_path?: unknown; content?: unknown; encoding?: unknown }[];
}

/** GitLab's "Create a commit with multiple files and actions", for one `create` action. */
function createCommit(options: LocalForgeOptions, baseUrl: string, text: string | undefined): Answer {
  let body: GitLabCommitBody;
  try {
    body = JSON.parse(text ?? "") as GitLabCommitBody;
  } catch {
    return message(400, "400 Bad request - body is not JSON");
  }
  if (typeof body.branch !== "string") return message(400, "branch is missing");
  if (typeof body.commit_message !== "string" || !body.commit_message.trim()) return message(400, "commit_message is missing");
  const action = Array.isArray(body.actions) && body.actions.length === 1 ? body.actions[0] : undefined;
  if (action?.action !== "create") return message(400, "this stand-in commits exactly one create action");
  const file = typeof action.file_path === "string" ? action.file_path : "";
  const encoding = action.encoding ?? "text";
  if (typeof action.content !== "string" || (encoding !== "text" && encoding !== "base64")) return message(400, "actions[0][content] is invalid");
  if (encoding === "base64" && !/^[A-Za-z0-9+/]*={0,2}$/.test(action.content)) return message(400, "actions[0][content] is not base64");
  if (body.branch !== currentBranch(options.repo)) return message(400, `You can only create or edit files when you are on a branch`);
  if (!safePath(file)) return message(400, "actions[0][file_path] is invalid");
  if (pathExists(options.repo, file)) return message(400, "A file with this name already exists");
  const bytes = Buffer.from(action.content, encoding === "base64" ? "base64" : "utf8");
  const parent = git(options.repo, ["rev-parse", "HEAD"]).trim();
  const { sha, person } = commitFile(options, file, bytes, body.commit_message);
  return {
    status: 201,
    body: {
      id: sha,
      short_id: sha.slice(0, 11),
      title: body.commit_message.split("\n")[0],
      author_name: person.name,
      author_email: person.email,
      committer_name: person.name,
      committer_email: person.email,
      created_at: person.date,
      message: body.commit_message,
      parent_ids: [parent],
      committed_date: person.date,
      authored_date: person.date,
      status: null,
      web_url: `${baseUrl}/${options.owner}/${options.name}/-/commit/${sha}`,
    },
  };
}

function authorized(options: LocalForgeOptions, header: string | undefined): boolean {
  const match = /^(?:token|Bearer)\s+(\S+)$/i.exec(header ?? "");
  return match?.[1] === options.token;
}

function commitPage(options: LocalForgeOptions, pathname: string): Answer | undefined {
  const match = new RegExp(`^/${options.owner}/${options.name}/(?:-/)?commit/([0-9a-f]{40})$`).exec(pathname);
  if (!match) return undefined;
  try {
    return { status: 200, body: git(options.repo, ["show", "--stat", "--format=fuller", match[1]!]) };
  } catch {
    return message(404, "Not Found");
  }
}

export async function startLocalForge(options: LocalForgeOptions): Promise<LocalForge> {
  const requests: LocalForge["requests"] = [];
  let queue: Promise<unknown> = Promise.resolve();
  let baseUrl = "";
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? "/", "http://x").pathname;
    const privateToken = request.headers["private-token"];
    requests.push({
      method: request.method ?? "",
      path: pathname,
      authorization: typeof privateToken === "string" ? `PRIVATE-TOKEN ${privateToken}` : request.headers.authorization,
    });
    const answer = async (): Promise<Answer> => {
      const page = request.method === "GET" ? commitPage(options, pathname) : undefined;
      if (page) return page;
      const file = routeOf(options, request.method ?? "", pathname);
      if (file === undefined) return message(404, "Not Found");
      const text = await readBody(request);
      if (options.flavour === "gitlab") {
        const token = request.headers["private-token"];
        const scheme = typeof token === "string" ? `Bearer ${token}` : request.headers.authorization;
        if (!authorized(options, scheme)) return message(401, "401 Unauthorized");
        return createCommit(options, baseUrl, text);
      }
      if (!authorized(options, request.headers.authorization)) return message(401, "Bad credentials");
      return create(options, baseUrl, file, text);
    };
    const served = queue.then(answer).then(
      ({ status, body }) => {
        const text = typeof body === "string" ? body : JSON.stringify(body);
        response.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json" });
        response.end(text);
      },
      (error: unknown) => {
        response.writeHead(500, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ message: `git failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` }));
      },
    );
    queue = served;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const branch = currentBranch(options.repo) ?? "main";
  const contentStore = `${options.flavour}:${baseUrl}/${options.owner}/${options.name}@${branch}`;
  return {
    url: baseUrl,
    contentStore,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function gitConfig(repo: string, key: string): string | undefined {
  try {
    return git(repo, ["config", "--get", key]).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * npm start's content store: the Forgejo flavour over the site's own checkout, so the Worker's write
 * path commits into it (by the owner's git identity). Undefined, with why, when the folder is not a
 * git checkout on a branch.
 */
export async function serveCheckout(root: string, token: string): Promise<{ forge: LocalForge } | { why: string }> {
  const branch = currentBranch(root);
  if (!branch || !existsSync(path.join(root, ".git"))) return { why: "this folder is not a git checkout on a branch (run `git init`)" };
  const identity = { name: gitConfig(root, "user.name") ?? "Skein", email: gitConfig(root, "user.email") ?? "skein@localhost" };
  const forge = await startLocalForge({ repo: root, flavour: "forgejo", token, owner: "local", name: "site", identity });
  return { forge };
}
