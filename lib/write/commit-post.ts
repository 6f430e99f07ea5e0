/**
 * The write path: a post draft in, one commit in the site's repository out, recorded in D1. The
 * owner's pages and the owner API call commitPost(); Micropub calls it too. Nothing else writes.
 *
 * Which id: one past the highest of (every id the deployed site publishes -- the build's
 * config.post_ids -- and every id this Worker has committed, in D1). A post pushed from a laptop
 * and not yet deployed is not known here; if both take the same id, the build refuses the second
 * file naming both and the next free id (lib/publish/guids.ts), and nothing is published until one
 * is changed: the collision is loud, never silent. A path that exists on the branch is refused by
 * the forge (create-only): the next id and the next name are tried. A branch that moved while we
 * wrote (409) is tried again. At most MAX_ATTEMPTS forge requests per post.
 */
import type { Budget } from "../shared/budget.ts";
import type { Db } from "../shared/d1.ts";
import { type PostDraft, postDraft, postFile } from "../shared/post-file.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { describeIssues } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { type Committed, type ContentStore, createFile, type ForgeFailure } from "./forge.ts";
import { highestWrittenId, recordWritten } from "./store.ts";

export const MAX_ATTEMPTS = 3;
/** The directory posts live in (lib/site-build/site-source.ts SOURCE_PATHS.posts). */
export const POSTS_DIR = "posts";

export interface WriteDeps {
  db: Db;
  config: SiteConfig;
  store: ContentStore;
  token: string;
  now: number;
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
  /** Who wrote it, for the commit message ("Written with <via>."); the owner's pages when not given. */
  via?: string | undefined;
}

export interface WrittenResult extends Committed {
  /** The written_posts row. */
  row: number;
  post_id: number;
}

export type WriteFailure =
  /** The draft fails its checks: nothing was tried, no row was written. */
  | { kind: "invalid"; detail: string }
  /** The forge did not take it: recorded as failed (the row keeps the draft). */
  | { kind: "failed"; detail: string; row: number };

/** One past every id in use that the Worker can know of. */
export function nextPostId(config: SiteConfig, written: number | undefined): number {
  const published = config.post_ids.at(-1)?.[1];
  return Math.max(published === undefined ? 0 : published + 1, written === undefined ? 0 : written + 1);
}

/** "Reply to @bob: first words" -- the commit's one line; then which writer (the owner's pages, or the Micropub app). */
export function commitMessage(draft: PostDraft, id: number, via = "Skein's owner pages"): string {
  const words = draft.text.replace(/\s+/g, " ").trim();
  const short = words.length > 60 ? `${words.slice(0, 57)}...` : words;
  const who = (ref: { username?: string | undefined; user_link: string }) => (ref.username ? `@${ref.username}` : ref.user_link);
  const head = draft.reply_to
    ? `Reply ${id} to ${who(draft.reply_to)}`
    : draft.in_reply_to
      ? `Reply ${id} to ${draft.in_reply_to}`
      : draft.repost
        ? `Repost ${id} of ${who(draft.repost)}`
        : `Post ${id}`;
  return `${head}${short ? `: ${short}` : ""}\n\nWritten with ${via}.`;
}

export type ForgeDeps = Omit<WriteDeps, "db" | "config">;

/** The commits tried for one checked draft: create-only, the next id and name when the path exists, again when the branch moved. */
export async function commitDraft(draft: PostDraft, firstId: number, deps: ForgeDeps): Promise<Result<Committed & { post_id: number }, ForgeFailure>> {
  const triedNames = new Set<string>();
  let id = firstId;
  let failure: ForgeFailure = { kind: "unreachable", detail: "not tried" };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const file = postFile(draft, { now: deps.now, id }, (name) => triedNames.has(name));
    const path = `${POSTS_DIR}/${file.name}`;
    const result = await createFile(deps.store, deps.token, { path, content: file.content, message: commitMessage(draft, id, deps.via) }, deps);
    if (result.ok) return ok({ ...result.value, post_id: id });
    failure = result.error;
    if (failure.kind === "exists") {
      // Someone else's file holds this name: it may hold this id too (a post from a laptop).
      triedNames.add(file.name);
      id++;
    } else if (failure.kind !== "conflict") break;
  }
  return err(failure.kind === "exists" || failure.kind === "conflict" ? { ...failure, detail: `${failure.detail} (after ${MAX_ATTEMPTS} tries)` } : failure);
}

/** Check the draft, commit it, record the outcome. */
export async function commitPost(input: unknown, deps: WriteDeps): Promise<Result<WrittenResult, WriteFailure>> {
  const checked = postDraft.safeParse(input);
  if (!checked.success) return err({ kind: "invalid", detail: describeIssues(checked.error.issues).join("; ") });
  const draft = checked.data;
  const firstId = nextPostId(deps.config, await highestWrittenId(deps.db));
  const result = await commitDraft(draft, firstId, deps);
  if (!result.ok) {
    const row = await recordWritten(deps.db, draft, { state: "failed", error: result.error.detail }, deps.now);
    return err({ kind: "failed", detail: result.error.detail, row });
  }
  const { post_id, path, sha, url } = result.value;
  const row = await recordWritten(deps.db, draft, { state: "committed", post_id, path, commit_sha: sha, commit_url: url }, deps.now);
  return ok({ ...result.value, row });
}
