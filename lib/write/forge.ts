/**
 * The content store: the site's git repository on its forge, written through the forge's "create a
 * file" endpoint, one commit per post. Create-only on every forge: no blob sha is ever sent, so an
 * existing path is refused by the forge, never overwritten.
 *
 *   GitHub          PUT  {api}/repos/{owner}/{repo}/contents/{path}   {message, content, branch}
 *                   201 {content, commit}; 422 when the path exists ("sha" wasn't supplied);
 *                   409 when the branch moved meanwhile. Token: fine-grained, Contents: write.
 *   Forgejo/Gitea   POST {base}/api/v1/repos/{owner}/{repo}/contents/{path}  CreateFileOptions
 *                   {message, content, branch}; 201 FileResponse {content, commit}; 422 when the
 *                   file exists; 409 on a conflict.
 *   GitLab          POST {base}/api/v4/projects/{owner%2Frepo}/repository/commits ("Create a commit
 *                   with multiple files and actions", one `create` action, base64) {branch,
 *                   commit_message, actions}; 201 the commit {id, web_url}; 400 "A file with this name
 *                   already exists". Token: PRIVATE-TOKEN, a project access token (role Developer,
 *                   scope api). GitLab's "create a file" endpoint names no commit; this one does.
 *
 * The token goes to the forge's API origin and nowhere else: no redirect is followed (a 3xx is a
 * failure), and it is never part of an error text. The forge's answer is untrusted input: read
 * through shared/remote-fetch.ts (time and byte caps) and checked against a schema before use.
 */
import * as z from "zod/mini";
import { checkFetchUrl } from "../shared/address-guard.ts";
import type { Budget } from "../shared/budget.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { httpUrl } from "../shared/schemas.ts";

export type ForgeKind = "github" | "forgejo" | "gitlab";

export interface ContentStore {
  kind: ForgeKind;
  /** The API's base: https://api.github.com, https://codeberg.org/api/v1, https://gitlab.com/api/v4. */
  api: string;
  owner: string;
  repo: string;
  branch: string;
}

export interface FileToCreate {
  /** "posts/2026-12-07-hello.md" */
  path: string;
  content: string;
  message: string;
}

export interface Committed {
  path: string;
  /** The commit's sha (hex). */
  sha: string;
  /** The commit's page on the forge, when it names one. */
  url?: string;
}

/**
 * exists: the path is taken (choose another and retry); conflict: the branch moved under us (retry);
 * refused: the token, the repository or the branch is wrong (retrying will not help); unreachable:
 * no usable answer (network, 5xx, an answer that is not what the forge documents).
 */
export interface ForgeFailure {
  kind: "exists" | "conflict" | "refused" | "unreachable";
  detail: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\.lock$|.*\/$)[A-Za-z0-9_./-]{1,200}$/;

/**
 * CONTENT_STORE: "github:owner/repo@branch" (GitHub Enterprise Server: "github:https://host/api/v3/
 * owner/repo@branch"), "forgejo:https://codeberg.org/owner/repo@branch" ("gitea:" is the same
 * API) or "gitlab:owner/repo@branch" (gitlab.com; self-managed: "gitlab:https://host/owner/repo@
 * branch"). The forge's address passes the address guard. Answers why not in words.
 */
export function parseContentStore(text: string | undefined, allowLoopback: boolean): Result<ContentStore> {
  const value = (text ?? "").trim();
  if (!value) return err("no content store is set: set CONTENT_STORE (docs/writing.md)");
  const match = /^(github|forgejo|gitea|gitlab):(?:(https?:\/\/[^\s@]+?)\/)?([^/@\s]+)\/([^/@\s]+)@(\S+)$/.exec(value);
  if (!match || ((match[1] === "forgejo" || match[1] === "gitea") && !match[2])) {
    return err('CONTENT_STORE must look like "github:owner/repo@main", "gitlab:owner/repo@main" or "forgejo:https://codeberg.org/owner/repo@main"');
  }
  const kind: ForgeKind = match[1] === "github" || match[1] === "gitlab" ? match[1] : "forgejo";
  // GitHub: api.github.com, or a GitHub Enterprise Server's API base (https://host/api/v3).
  const base = match[2] ?? (kind === "gitlab" ? "https://gitlab.com" : "https://api.github.com");
  const site = checkFetchUrl(`${base.replace(/\/+$/, "")}/`, allowLoopback);
  if (!site.ok) return err(`CONTENT_STORE: the forge's address is refused: ${site.error}`);
  const api = kind === "github" ? site.value.href.replace(/\/$/, "") : `${site.value.href}api/${kind === "gitlab" ? "v4" : "v1"}`;
  const store: ContentStore = { kind, api, owner: match[3]!, repo: match[4]!, branch: match[5]! };
  if (!NAME.test(store.owner) || !NAME.test(store.repo)) return err("CONTENT_STORE: the owner and repository names may hold letters, digits, '_', '.' and '-'");
  if (!BRANCH.test(store.branch)) return err("CONTENT_STORE: the branch after @ is not a branch name");
  return ok(store);
}

const sha = z.string().check(z.regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "must be a commit id"));
/** GitHub's and Forgejo's create answer alike: the file's path and the commit (sha, its page). */
const createdAnswer = z.object({
  content: z.object({ path: z.string().check(z.maxLength(1000)) }),
  commit: z.object({ sha, html_url: z.optional(z.nullable(httpUrl)) }),
});
/** GitLab's: the commit itself. */
const gitlabCommit = z.object({ id: sha, web_url: z.optional(z.nullable(httpUrl)) });
const errorAnswer = z.object({ message: z.optional(z.string()) });

export interface ForgeOptions {
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
}

/** Bytes -> base64, in chunks (no Buffer in Workers). */
export function base64OfText(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

interface ForgeRequest {
  url: string;
  method: "PUT" | "POST";
  headers: Record<string, string>;
  body: string;
}

function request(store: ContentStore, token: string, file: FileToCreate): ForgeRequest {
  const json = { "Content-Type": "application/json", Accept: "application/json" };
  const content = base64OfText(file.content);
  if (store.kind === "gitlab") {
    return {
      url: `${store.api}/projects/${encodeURIComponent(`${store.owner}/${store.repo}`)}/repository/commits`,
      method: "POST",
      headers: { ...json, "PRIVATE-TOKEN": token },
      body: JSON.stringify({
        branch: store.branch,
        commit_message: file.message,
        actions: [{ action: "create", file_path: file.path, content, encoding: "base64" }],
      }),
    };
  }
  const path = file.path.split("/").map(encodeURIComponent).join("/");
  const url = `${store.api}/repos/${store.owner}/${store.repo}/contents/${path}`;
  const body = JSON.stringify({ message: file.message, content, branch: store.branch });
  if (store.kind === "github") {
    return {
      url,
      method: "PUT",
      headers: { ...json, Accept: "application/vnd.github+json", Authorization: `Bearer ${token}`, "X-GitHub-Api-Version": "2022-11-28" },
      body,
    };
  }
  return { url, method: "POST", headers: { ...json, Authorization: `token ${token}` }, body };
}

/** What the forge said, in one line: its `message` (schema-checked, cut short), never the token. */
function forgeMessage(bytes: Uint8Array): string {
  try {
    const parsed = errorAnswer.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success && parsed.data.message ? `: ${parsed.data.message.replace(/\s+/g, " ").slice(0, 200)}` : "";
  } catch {
    return "";
  }
}

function failureOf(status: number, message: string, store: ContentStore): ForgeFailure {
  const where = `${store.owner}/${store.repo}@${store.branch}`;
  if (status === 422 && (store.kind === "forgejo" || /sha/i.test(message))) return { kind: "exists", detail: `the file already exists${message}` };
  if (status === 400 && store.kind === "gitlab" && /already exists/i.test(message)) return { kind: "exists", detail: `the file already exists${message}` };
  if (status === 409) return { kind: "conflict", detail: `the branch moved while we wrote${message}` };
  if (status === 401 || status === 403)
    return { kind: "refused", detail: `the forge refused the token (HTTP ${status})${message}: it needs contents: write on ${where}` };
  if (status === 404) return { kind: "refused", detail: `the forge knows no ${where} for this token (HTTP 404)${message}` };
  if (status >= 500) return { kind: "unreachable", detail: `the forge failed (HTTP ${status})${message}` };
  return { kind: "refused", detail: `the forge answered HTTP ${status}${message}` };
}

/** One create request; never an overwrite (no sha is sent). */
export async function createFile(store: ContentStore, token: string, file: FileToCreate, options: ForgeOptions): Promise<Result<Committed, ForgeFailure>> {
  const { url, method, headers, body } = request(store, token, file);
  const answer = await fetchRemote(url, {
    fetch: options.fetch,
    allowLoopback: options.allowLoopback,
    budget: options.budget,
    method,
    headers,
    body,
    // No redirect is followed: the token must not travel to another address.
    limits: { maxRedirects: 0, maxBytes: 256 * 1024, timeoutMs: 15_000 },
  });
  if (!answer.ok) return err({ kind: "unreachable", detail: answer.error.detail.replace(token, "<token>") });
  const { status, bytes } = answer.value;
  if (status !== 201) return err(failureOf(status, forgeMessage(bytes), store));
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return err({ kind: "unreachable", detail: "the forge's answer to a created file is not JSON" });
  }
  if (store.kind === "gitlab") {
    const commit = gitlabCommit.safeParse(json);
    if (!commit.success) return err({ kind: "unreachable", detail: "the forge's answer to a created file is not the documented shape" });
    return ok({ path: file.path, sha: commit.data.id, ...(commit.data.web_url ? { url: commit.data.web_url } : {}) });
  }
  const parsed = createdAnswer.safeParse(json);
  if (!parsed.success) return err({ kind: "unreachable", detail: "the forge's answer to a created file is not the documented shape" });
  if (parsed.data.content.path !== file.path)
    return err({ kind: "unreachable", detail: `the forge created ${parsed.data.content.path.slice(0, 200)}, not ${file.path}` });
  const committed: Committed = { path: file.path, sha: parsed.data.commit.sha };
  if (parsed.data.commit.html_url) committed.url = parsed.data.commit.html_url;
  return ok(committed);
}
