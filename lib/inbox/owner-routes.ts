/**
 * The owner's side of the inbox (bearer token, lib/worker-kit/owner-auth.ts), mounted at /api/inbox:
 * counts, lists newest first with an opaque cursor, mark read, delete. `npm run inbox` and the
 * owner's pages read the same routes.
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import type { InboxMessage, InboxReply, ListPage } from "../shared/api-types.ts";
import { problem } from "../shared/problem.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { DEFAULT_PAGE_SIZE, idCursor, idFromCursor } from "../worker-kit/cursor.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { jsonBody } from "../worker-kit/json-body.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { invalid, missing } from "../worker-kit/validation.ts";
import { lookalikeOf, suspiciousFields, UNTRUSTED_FIELDS } from "./lookalike.ts";
import { type InboxKind, itemParam, kindParam, listQuery, moderationBody, replyParam } from "./schemas.ts";
import { countInbox, deleteItem, getReply, type ListQuery, listMessages, listReplies, markRead, setModeration } from "./store.ts";

const SINGULAR: Record<InboxKind, string> = { messages: "message", replies: "reply" };

// Cursors are opaque to clients: the kind and the last id seen (items come id DESC).
/** An item as the owner API shows it: with the notes on its sender's text (lib/inbox/lookalike.ts). */
export function annotate<T extends InboxMessage | InboxReply>(kind: InboxKind, item: T, knownNames: readonly string[]): T {
  if ("direction" in item && item.direction === "sent") return item;
  return { ...item, lookalike: lookalikeOf(item.username, knownNames) ?? null, untrusted: UNTRUSTED_FIELDS[kind], suspicious: suspiciousFields({ ...item }) };
}

/** The names a sender might imitate: the owner's and every followed account's. */
export function knownNames(config: SiteConfig): string[] {
  return [config.owner.username, ...config.follows.map((account) => account.username)];
}

export function inboxOwnerRoutes(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.use("*", requireOwner);
  const names = knownNames(config);

  routes.get("/", async (c) => c.json(await countInbox(c.var.db)));

  routes.get("/:kind", zValidator("param", kindParam, missing), zValidator("query", listQuery, invalid), async (c) => {
    const { kind } = c.req.valid("param");
    const { unread, limit, cursor, verification, moderation } = c.req.valid("query");
    if (kind === "messages" && (verification || moderation)) return problem(400, "verification and moderation filter replies, not messages");
    const query: ListQuery = { unreadOnly: unread ?? false, limit: limit ?? DEFAULT_PAGE_SIZE };
    if (verification) query.verification = verification;
    if (moderation) query.moderation = moderation;
    if (cursor) {
      const beforeId = idFromCursor(kind, cursor);
      if (beforeId === undefined) return problem(400, `cursor: not a cursor of this list; use next_cursor from the previous page of ${kind}`);
      query.beforeId = beforeId;
    }
    const listed = kind === "messages" ? await listMessages(c.var.db, query) : await listReplies(c.var.db, query);
    const page: ListPage<(typeof listed.items)[number]> = {
      items: listed.items.map((item) => annotate(kind, item, names)),
      next_cursor: listed.nextBeforeId === undefined ? null : idCursor(kind, listed.nextBeforeId),
    };
    return c.json(page);
  });

  routes.get("/replies/:id", zValidator("param", replyParam, missing), async (c) => {
    const reply = await getReply(c.var.db, c.req.valid("param").id);
    return reply ? c.json(annotate("replies", reply, names)) : problem(404, `there is no reply ${c.req.valid("param").id}`);
  });

  // Skein's own (the spec has no moderation): whether a verified reply is shown on the site (npm run replies).
  routes.post("/replies/:id/moderation", zValidator("param", replyParam, missing), jsonBody, zValidator("json", moderationBody, invalid), async (c) => {
    const { id } = c.req.valid("param");
    const { moderation } = c.req.valid("json");
    if (await setModeration(c.var.db, id, moderation, deps.now())) return c.json(await getReply(c.var.db, id));
    const reply = await getReply(c.var.db, id);
    if (!reply) return problem(404, `there is no reply ${id}`);
    return problem(409, `reply ${id} is ${reply.verification}: only a verified reply can be approved`);
  });

  routes.post("/:kind/:id/read", zValidator("param", itemParam, missing), async (c) => {
    const { kind, id } = c.req.valid("param");
    if (!(await markRead(c.var.db, kind, id, deps.now()))) return problem(404, `there is no ${SINGULAR[kind]} ${id}`);
    return c.body(null, 204);
  });

  routes.delete("/:kind/:id", zValidator("param", itemParam, missing), async (c) => {
    const { kind, id } = c.req.valid("param");
    if (!(await deleteItem(c.var.db, kind, id))) return problem(404, `there is no ${SINGULAR[kind]} ${id}`);
    return c.body(null, 204);
  });

  // Known paths, other methods: 405 with Allow (registered last, so the routes above win).
  const allowed: [string, string][] = [
    ["/", "GET"],
    ["/:kind", "GET"],
    ["/replies/:id/moderation", "POST"],
    ["/:kind/:id/read", "POST"],
    ["/:kind/:id", "DELETE"],
  ];
  for (const [path, methods] of allowed) {
    routes.all(path, (c) => problem(405, `${c.req.method} is not allowed here; use ${methods}`, { Allow: `${methods}, OPTIONS` }));
  }
  return routes;
}
