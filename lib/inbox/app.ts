/**
 * The inbox as one Hono app: the spec's two POST endpoints (spec "Private Messaging" and
 * "Replies/Mentions") plus the owner API. functions/ only wires it to Cloudflare Pages; everything
 * it needs to know about the site comes in as an InboxConfig, the clock and fetch as options.
 *
 * POST checks run in this order, so each client mistake gets the most useful status:
 *   route / accept=off (404) -> Content-Type (415) -> size (413) -> JSON (400) -> schema (400)
 *   -> unknown post (404, replies) -> policy (403, no body) -> rate limit (429) -> store -> 201.
 * 201 means "it is in D1": a duplicate of a stored item is a 201 too (idempotent POST).
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { Hono } from "hono/tiny";
import { hasPostId, type InboxConfig } from "../shared/site-config.ts";
import type { InboxEnv } from "../shared/d1.ts";
import { checkJsonContentType, parseJsonText, readBodyText } from "./json-body.ts";
import {
  countInbox,
  deleteItem,
  insertMessage,
  insertReply,
  listMessages,
  listReplies,
  markRead,
  recordVerification,
  type InboxKind,
  type StoreOutcome,
} from "./store.ts";
import { checkOwner } from "../worker/owner-auth.ts";
import { decide } from "./policy.ts";
import { problem } from "../shared/problem.ts";
import { rateGate, rateLimitConfig } from "./rate-limit.ts";
import { describeIssues, messageBody, replyBody } from "../shared/schemas.ts";
import { INBOX_ROUTE, MESSAGE_ROUTE, REPLY_ROUTE } from "../shared/urls.ts";
import { verifyReply, type VerifyLimits, type VerifyOutcome } from "./verify-reply.ts";

export interface AppOptions {
  /** Epoch milliseconds; tests pass a fixed clock. */
  now?: () => number;
  /** Used by the reply verifier to read senders' feeds. */
  fetch?: typeof fetch;
  /** Overrides of the verifier's caps (tests shorten the timeout). */
  verifyLimits?: Partial<VerifyLimits>;
}

export type InboxBindings = { Bindings: InboxEnv };
export type InboxApp = Hono<InboxBindings>;
type InboxContext = Context<InboxBindings>;

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** `:id` of the reply route: digits only, anything else is no route at all (404). */
const REPLY_PATH = REPLY_ROUTE.replace(":id", ":id{[0-9]+}");
const KIND_PATH = `${INBOX_ROUTE}/:kind{messages|replies}`;
const ITEM_PATH = `${KIND_PATH}/:id{[0-9]+}`;

/** Our post guid from the path, or undefined when it is not one we published (canonical digits only). */
function postIdFrom(text: string | undefined, config: InboxConfig): number | undefined {
  if (!text || !/^(0|[1-9]\d{0,14})$/.test(text)) return undefined;
  const id = Number(text);
  return hasPostId(config.post_ids, id) ? id : undefined;
}

const SINGULAR: Record<InboxKind, string> = { messages: "message", replies: "reply" };

function itemIdFrom(text: string | undefined): number | undefined {
  return text && /^[1-9]\d{0,14}$/.test(text) ? Number(text) : undefined;
}

/** Opaque to clients; encodes the kind and the last id seen (items come id DESC). */
export function encodeCursor(kind: InboxKind, beforeId: number): string {
  return btoa(`${kind}:${beforeId}`).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

export function decodeCursor(kind: InboxKind, cursor: string): number | undefined {
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return undefined;
  }
  const m = /^(messages|replies):([1-9]\d{0,14})$/.exec(text);
  return m && m[1] === kind ? Number(m[2]) : undefined;
}

type ListParams = { ok: true; unreadOnly: boolean; limit: number; beforeId?: number } | { ok: false; detail: string };

function listParams(c: InboxContext, kind: InboxKind): ListParams {
  const unread = c.req.query("unread");
  const limitText = c.req.query("limit");
  const cursor = c.req.query("cursor");
  let unreadOnly = false;
  if (unread !== undefined) {
    if (["", "1", "true", "yes"].includes(unread.toLowerCase())) unreadOnly = true;
    else if (!["0", "false", "no"].includes(unread.toLowerCase())) return { ok: false, detail: "unread: must be 1 or 0" };
  }
  let limit = DEFAULT_PAGE_SIZE;
  if (limitText !== undefined) {
    limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : 0;
    if (limit < 1 || limit > MAX_PAGE_SIZE) return { ok: false, detail: `limit: must be an integer from 1 to ${MAX_PAGE_SIZE}` };
  }
  const params: ListParams = { ok: true, unreadOnly, limit };
  if (cursor !== undefined && cursor !== "") {
    const beforeId = decodeCursor(kind, cursor);
    if (beforeId === undefined) return { ok: false, detail: `cursor: not a cursor of this list; use next_cursor from the previous page of ${kind}` };
    params.beforeId = beforeId;
  }
  return params;
}

/** Keep the request alive for background work when the runtime allows (Workers' waitUntil). */
function inBackground(c: InboxContext, task: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(task);
  } catch {
    // No ExecutionContext (e.g. app.request() without one): the task still runs, unawaited.
  }
}

export function createApp(config: InboxConfig, options: AppOptions = {}): InboxApp {
  const now = options.now ?? (() => Date.now());
  const fetcher: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const app = new Hono<InboxBindings>();

  // Browser-based Open Microblog clients post from other origins; no cookies are involved.
  app.use(
    "*",
    cors({
      origin: "*",
      allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
      allowHeaders: ["Content-Type", "Authorization"],
      exposeHeaders: ["Retry-After"],
      maxAge: 86400,
    }),
  );

  /** 415 -> 413 -> 400, then hands the text to the validator below (it parses it again, cheaply). */
  const jsonBody: MiddlewareHandler<InboxBindings> = async (c, next) => {
    const type = checkJsonContentType(c.req.header("Content-Type"));
    if (!type.ok) return problem(type.status, type.detail);
    const text = await readBodyText(c.req.raw);
    if (!text.ok) return problem(text.status, text.detail);
    const json = parseJsonText(text.value);
    if (!json.ok) return problem(json.status, json.detail);
    // The stream is consumed: hand the checked text on as the request body (as hono/body-limit does).
    // Content-Length goes: the text may be shorter than the bytes sent (a BOM is dropped).
    const headers = new Headers(c.req.raw.headers);
    headers.delete("Content-Length");
    c.req.raw = new Request(c.req.raw, { body: text.value, headers });
    await next();
  };

  const invalidBody = (result: { success: boolean; error?: { issues: Parameters<typeof describeIssues>[0] } }): Response | undefined => {
    if (result.success || !result.error) return undefined;
    return problem(400, describeIssues(result.error.issues).join("; ").slice(0, 1000));
  };

  const store = async (c: InboxContext, senderUserId: string, write: (gate: ReturnType<typeof rateGate>) => Promise<StoreOutcome>) => {
    const gate = rateGate(rateLimitConfig(c.env), c.req.header("CF-Connecting-IP") ?? "unknown", senderUserId, now());
    const outcome = await write(gate);
    if (outcome.status === "limited") {
      return problem(429, `too many requests; try again in ${outcome.retryAfter} s`, { "Retry-After": String(outcome.retryAfter) });
    }
    return outcome;
  };

  const verifyInBackground = (c: InboxContext, replyId: number, postId: number, sender: { user_id: string; user_link: string }, statusId: string) => {
    const db = c.env.DB;
    const allowPrivateHosts = c.env.VERIFY_ALLOW_PRIVATE_HOSTS === "true";
    const task = (async () => {
      let outcome: VerifyOutcome;
      try {
        outcome = await verifyReply(
          { owner: config.owner, postId, sender, statusId },
          { fetch: fetcher, allowPrivateHosts, ...(options.verifyLimits ? { limits: options.verifyLimits } : {}) },
        );
      } catch (error) {
        console.error("skein inbox: reply verification failed", error);
        outcome = { verification: "unreachable", detail: "verification stopped on an unexpected error" };
      }
      try {
        await recordVerification(db, replyId, outcome.verification, outcome.detail, now());
      } catch (error) {
        console.error("skein inbox: could not store a verification outcome", error);
      }
    })();
    inBackground(c, task);
  };

  if (config.accept !== "off") {
    app.post(
      MESSAGE_ROUTE,
      jsonBody,
      zValidator("json", messageBody, invalidBody),
      async (c) => {
        const body = c.req.valid("json");
        // Spec "Receiving Private Messages": denied -> 403 Forbidden and no message body.
        if (decide(config, body) !== "accept") return c.body(null, 403);
        const sender = { user_id: body.user_id, username: body.username, user_link: body.user_link };
        const result = await store(c, body.user_id, (gate) =>
          insertMessage(c.env.DB, { sender, message: body.message, dateRaw: body.date.raw, dateEpochMs: body.date.epochMs, receivedAtMs: now() }, gate),
        );
        if (result instanceof Response) return result;
        return c.body(null, 201);
      },
    );

    app.post(
      REPLY_PATH,
      jsonBody,
      zValidator("json", replyBody, invalidBody),
      async (c) => {
        const body = c.req.valid("json");
        const postId = postIdFrom(c.req.param("id"), config);
        if (postId === undefined) return problem(404, `there is no post ${c.req.param("id")} to reply to`);
        if (decide(config, body) !== "accept") return c.body(null, 403);
        const sender = { user_id: body.user_id, username: body.username, user_link: body.user_link };
        const result = await store(c, body.user_id, (gate) => insertReply(c.env.DB, { postId, sender, statusId: body.status_id, receivedAtMs: now() }, gate));
        if (result instanceof Response) return result;
        // New: verify in the background. Known but unreachable last time: try again.
        const retry = result.status === "duplicate" && result.verification === "unreachable";
        if ((result.status === "inserted" || retry) && result.id !== undefined) verifyInBackground(c, result.id, postId, sender, body.status_id);
        return c.body(null, 201);
      },
    );
  }

  // Owner API: every route under /api/inbox needs the bearer token.
  app.use(`${INBOX_ROUTE}/*`, async (c, next) => {
    if (c.req.method === "OPTIONS") return next();
    const auth = await checkOwner(c.env.OWNER_TOKEN, c.req.header("Authorization"));
    if (!auth.ok) return problem(401, auth.detail, { "WWW-Authenticate": 'Bearer realm="skein-inbox"' });
    await next();
  });

  app.get(INBOX_ROUTE, async (c) => c.json(await countInbox(c.env.DB)));

  app.get(KIND_PATH, async (c) => {
    const kind = c.req.param("kind") as InboxKind;
    const params = listParams(c, kind);
    if (!params.ok) return problem(400, params.detail);
    const query = { unreadOnly: params.unreadOnly, limit: params.limit, ...(params.beforeId !== undefined ? { beforeId: params.beforeId } : {}) };
    const page = kind === "messages" ? await listMessages(c.env.DB, query) : await listReplies(c.env.DB, query);
    return c.json({ items: page.items, next_cursor: page.nextBeforeId === undefined ? null : encodeCursor(kind, page.nextBeforeId) });
  });

  app.post(`${ITEM_PATH}/read`, async (c) => {
    const kind = c.req.param("kind") as InboxKind;
    const id = itemIdFrom(c.req.param("id"));
    if (id === undefined || !(await markRead(c.env.DB, kind, id, now()))) return problem(404, `there is no ${SINGULAR[kind]} ${c.req.param("id")}`);
    return c.body(null, 204);
  });

  app.delete(ITEM_PATH, async (c) => {
    const kind = c.req.param("kind") as InboxKind;
    const id = itemIdFrom(c.req.param("id"));
    if (id === undefined || !(await deleteItem(c.env.DB, kind, id))) return problem(404, `there is no ${SINGULAR[kind]} ${c.req.param("id")}`);
    return c.body(null, 204);
  });

  // Known paths, other methods: 405 with Allow (registered last, so the routes above win).
  const allowed: [string, string][] = [
    [INBOX_ROUTE, "GET"],
    [KIND_PATH, "GET"],
    [`${ITEM_PATH}/read`, "POST"],
    [ITEM_PATH, "DELETE"],
  ];
  if (config.accept !== "off") allowed.push([MESSAGE_ROUTE, "POST"], [REPLY_PATH, "POST"]);
  for (const [path, methods] of allowed) {
    app.all(path, (c) => problem(405, `${c.req.method} is not allowed here; use ${methods}`, { Allow: `${methods}, OPTIONS` }));
  }

  app.notFound((c) => problem(404, `nothing at ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`));

  app.onError((error, c) => {
    // Client-caused errors that escaped a handler (e.g. Hono's HTTPException for a bad body) stay 4xx.
    if (error instanceof HTTPException && error.status >= 400 && error.status < 500) {
      return problem(error.status, error.message || "the request could not be read");
    }
    console.error(`skein inbox: unexpected error on ${c.req.method} ${new URL(c.req.url).pathname}`, error);
    return problem(500, "an unexpected error on our side; please try again later");
  });

  return app;
}
