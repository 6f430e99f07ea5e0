/**
 * The write path's one entry for every writer in the Worker: the owner API (routes.ts), the owner's
 * Write page (lib/owner/write-routes.tsx) and Micropub (lib/micropub/) call writePost(). It reads the
 * content store and its token from the env -- the token never leaves this call but to the forge --
 * and hands the draft to commitPost() (commit-post.ts).
 */
import { Budget } from "../shared/budget.ts";
import type { Db } from "../shared/d1.ts";
import type { Result } from "../shared/result.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { allowLoopback, type WorkerDeps, type WorkerEnv } from "../worker-kit/env.ts";
import { commitPost, type WriteFailure, type WrittenResult } from "./commit-post.ts";
import { parseContentStore } from "./forge.ts";

/** A post costs at most MAX_ATTEMPTS forge requests and 2 D1 calls; the budget leaves room. */
export const WRITE_BUDGET = { subrequests: 8, bytes: 1024 * 1024, durationMs: 25_000 };

export type WriteOutcome = Result<WrittenResult, WriteFailure | { kind: "unavailable"; detail: string }>;

/** A draft (lib/shared/post-file.ts PostDraft, checked again here) -> one commit, recorded in D1. */
export async function writePost(input: unknown, config: SiteConfig, env: WorkerEnv, db: Db, deps: WorkerDeps, via?: string): Promise<WriteOutcome> {
  const loopback = allowLoopback(env);
  const store = parseContentStore(env.CONTENT_STORE, loopback);
  if (!store.ok) return { ok: false, error: { kind: "unavailable", detail: store.error } };
  const token = env.CONTENT_STORE_TOKEN?.trim();
  if (!token) return { ok: false, error: { kind: "unavailable", detail: "no forge token is set: set the CONTENT_STORE_TOKEN secret (docs/writing.md)" } };
  return commitPost(input, {
    db,
    config,
    store: store.value,
    token,
    now: deps.now(),
    fetch: deps.fetch,
    allowLoopback: loopback,
    budget: new Budget(WRITE_BUDGET, deps.now),
    via,
  });
}
