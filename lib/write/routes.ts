/**
 * The owner API of the write path (bearer token, lib/worker-kit/owner-auth.ts), mounted at /api/write:
 *
 *   POST /api/write/posts   a draft (lib/shared/post-file.ts PostDraft as JSON) -> 201 committed,
 *                           400 refused (nothing written), 502 the forge did not take it (recorded
 *                           as failed, the draft kept), 503 no content store set up (nothing written)
 *   GET  /api/write/posts   the written posts, newest first, with their state
 *
 * The owner's pages and Micropub call the same writePost() (write-post.ts).
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import { postDraft } from "../shared/post-file.ts";
import { problem } from "../shared/problem.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { bodyCap } from "../worker-kit/json-body.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { invalid } from "../worker-kit/validation.ts";
import { listWritten } from "./store.ts";
import { writePost } from "./write-post.ts";

/** Two texts of POST_TEXT_MAX characters in any script, as JSON, fit. */
export const WRITE_BODY_BYTES = 128 * 1024;

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
