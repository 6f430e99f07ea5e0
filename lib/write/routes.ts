/**
 * The owner API of the write path (bearer token, lib/worker-kit/owner-auth.ts), mounted at /api/write:
 *
 *   POST /api/write/posts   a draft (lib/shared/post-file.ts PostDraft as JSON) -> 201 committed,
 *                           400 refused (nothing written), 502 the forge did not take it (recorded
 *                           as failed, the draft kept), 503 no content store set up (nothing written)
 *   GET  /api/write/posts   the written posts, newest first, with their state
 *
 * The owner's pages call the same writePost() (lib/owner), and so will Micropub.
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import { Budget } from "../shared/budget.ts";
import type { Db } from "../shared/d1.ts";
import { postDraft } from "../shared/post-file.ts";
import { problem } from "../shared/problem.ts";
import type { Result } from "../shared/result.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { allowLoopback, type WorkerBindings, type WorkerDeps, type WorkerEnv } from "../worker-kit/env.ts";
import { bodyCap } from "../worker-kit/json-body.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { invalid } from "../worker-kit/validation.ts";
import { commitPost, type WriteFailure, type WrittenResult } from "./commit-post.ts";
import { parseContentStore } from "./forge.ts";
import { listWritten } from "./store.ts";

/** Two texts of POST_TEXT_MAX characters in any script, as JSON, fit. */
export const WRITE_BODY_BYTES = 128 * 1024;
/** A post costs at most MAX_ATTEMPTS forge requests and 2 D1 calls; the budget leaves room. */
export const WRITE_BUDGET = { subrequests: 8, bytes: 1024 * 1024, durationMs: 25_000 };

export type WriteOutcome = Result<WrittenResult, WriteFailure | { kind: "unavailable"; detail: string }>;

/** The one entry of every writer: the store from the env, the token never leaving this call but to the forge. */
export async function writePost(input: unknown, config: SiteConfig, env: WorkerEnv, db: Db, deps: WorkerDeps): Promise<WriteOutcome> {
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
  });
}

export function writeRoutes(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.use("*", requireOwner);

  routes.post("/posts", bodyCap(WRITE_BODY_BYTES), zValidator("json", postDraft, invalid), async (c) => {
    const written = await writePost(c.req.valid("json"), config, c.env, c.var.db, deps);
    if (written.ok) {
      const { row, post_id, path, sha, url } = written.value;
      return c.json({ id: row, state: "committed", post_id, path, commit_sha: sha, commit_url: url ?? null }, 201);
    }
    const { kind, detail } = written.error;
    if (kind === "invalid") return problem(400, detail);
    if (kind === "unavailable") return problem(503, `writing is not set up: ${detail}`);
    return problem(502, `the post was not committed: ${detail}; it is kept as written post ${written.error.row}`);
  });

  routes.get("/posts", async (c) => c.json({ items: await listWritten(c.var.db, 50) }));
  return routes;
}
