/**
 * The spec's two endpoints anyone may POST to (spec "Private Messaging" and "Replies/Mentions"),
 * mounted at /api by lib/worker/app.ts.
 *
 * Checks run in this order, so each mistake gets the most useful status and no refusal costs a D1
 * write: route / accept=off (404) -> client network over its limit (429) -> Content-Type (415) ->
 * size (413) -> JSON (400) -> schema (400) -> unknown post (404, replies) -> policy (403, no body)
 * -> sender over its limit (429) -> store -> 201. The network limit comes first so a flood of
 * anything, valid or not, stops before any work is done.
 *
 * 201 means "it is in D1": a duplicate of a stored item is a 201 too (idempotent POST). A reply is
 * stored `pending` and checked against the sender's feed in the background (waitUntil); if that is
 * cut off, the sweep (reverify-job.ts) checks it later.
 */
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler } from "hono";
import { Hono } from "hono/tiny";
import { Budget } from "../shared/budget.ts";
import { secondsToNextUtcDay } from "../shared/dates.ts";
import { problem } from "../shared/problem.ts";
import { hasPostId, type SiteConfig } from "../shared/site-config.ts";
import { allowLoopback, type WorkerBindings, type WorkerDeps } from "../worker-kit/env.ts";
import { jsonBody } from "../worker-kit/json-body.ts";
import { clientNetworkKey, RATE_LIMIT_PERIOD_SECONDS, senderKey, withinLimit } from "../worker-kit/rate-limit.ts";
import { invalid, missing } from "../worker-kit/validation.ts";
import { dailyCap } from "./daily-cap.ts";
import { decide, matchesAny } from "./policy.ts";
import { FIRST_CHECK_AFTER_MS } from "./reverify-job.ts";
import { messageBody, postIdParam, replyBody } from "./schemas.ts";
import { insertMessage, insertReply, type ReplyState } from "./store.ts";
import { verifyAndRecord } from "./verification.ts";

/** Our post guid: digits only; any other path is no route at all (404). */
const REPLY_PATH = "/posts/:id{[0-9]+}/reply";

const tooMany = () => problem(429, `too many requests; try again in ${RATE_LIMIT_PERIOD_SECONDS} s`, { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) });

/** The owner's own people (followed or selected): never counted against the daily cap. */
function known(config: SiteConfig, sender: { user_id: string; user_link: string }): boolean {
  return matchesAny(config.follows, sender) || matchesAny(config.selected, sender);
}

/** The day's cap is reached: nothing was stored; try again tomorrow (UTC). */
const fullToday = (nowMs: number) =>
  problem(503, "this inbox takes no more from accounts its owner does not follow today; nothing was stored, try again after 00:00 UTC", {
    "Retry-After": String(secondsToNextUtcDay(nowMs)),
  });

/** Worth verifying now: new, unreachable last time, or pending long enough that its first check died. */
function verifyNow(inserted: boolean, state: ReplyState, nowMs: number): boolean {
  if (inserted) return true;
  if (state.verification === "unreachable") return true;
  return state.verification === "pending" && Date.parse(state.received_at) + FIRST_CHECK_AFTER_MS <= nowMs;
}

export function inboxPublicRoutes(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  if (config.accept === "off") return routes;

  const networkLimit: MiddlewareHandler<WorkerBindings> = async (c, next) => {
    if (c.req.method !== "POST") return next();
    if (!(await withinLimit(c.env.INBOX_IP_LIMIT, clientNetworkKey(c.req.header("CF-Connecting-IP") ?? "unknown")))) return tooMany();
    await next();
  };
  routes.use("/message", networkLimit);
  routes.use(REPLY_PATH, networkLimit);

  routes.post("/message", jsonBody, zValidator("json", messageBody, invalid), async (c) => {
    const body = c.req.valid("json");
    // Spec "Receiving Private Messages": denied -> 403 Forbidden and no message body.
    if (decide(config, body) !== "accept") return c.body(null, 403);
    if (!(await withinLimit(c.env.INBOX_SENDER_LIMIT, senderKey(body.user_id)))) return tooMany();
    const now = deps.now();
    const stored = await insertMessage(
      c.var.db,
      {
        direction: "received",
        peer: { user_id: body.user_id, username: body.username, user_link: body.user_link },
        message: body.message,
        dateRaw: body.date.raw,
        dateEpochMs: body.date.epochMs,
        receivedAtMs: now,
      },
      dailyCap(c.env.INBOX_DAILY_CAP, now, known(config, body)),
    );
    if (stored.status === "over-cap") return fullToday(now);
    return c.body(null, 201);
  });

  routes.post(REPLY_PATH, zValidator("param", postIdParam, missing), jsonBody, zValidator("json", replyBody, invalid), async (c) => {
    const body = c.req.valid("json");
    const { id: postId } = c.req.valid("param");
    if (!hasPostId(config.post_ids, postId)) return problem(404, `there is no post ${postId} to reply to`);
    if (decide(config, body) !== "accept") return c.body(null, 403);
    if (!(await withinLimit(c.env.INBOX_SENDER_LIMIT, senderKey(body.user_id)))) return tooMany();
    const now = deps.now();
    const sender = { user_id: body.user_id, username: body.username, user_link: body.user_link };
    const stored = await insertReply(
      c.var.db,
      { postId, sender, statusId: body.status_id, receivedAtMs: now, firstCheckAtMs: now + FIRST_CHECK_AFTER_MS },
      dailyCap(c.env.INBOX_DAILY_CAP, now, known(config, body)),
    );
    if ("overCap" in stored) return fullToday(now);
    const { inserted, state } = stored;
    if (verifyNow(inserted, state, now)) {
      const task = verifyAndRecord(
        config,
        { id: state.id, post_id: postId, user_id: sender.user_id, user_link: sender.user_link, status_id: body.status_id, attempts: state.attempts },
        { db: c.env.DB, fetch: deps.fetch, allowLoopback: allowLoopback(c.env), clock: deps.now },
        new Budget(deps.verifyBudget, deps.now),
      ).then(
        () => undefined,
        (error: unknown) => console.error("skein inbox: could not store a verification outcome", error),
      );
      try {
        c.executionCtx.waitUntil(task);
      } catch {
        // No ExecutionContext (app.request() without one): the task still runs, unawaited.
      }
    }
    return c.body(null, 201);
  });

  // Known paths, other methods: 405 with Allow (registered last, so the routes above win).
  for (const path of ["/message", REPLY_PATH]) {
    routes.all(path, (c) => problem(405, `${c.req.method} is not allowed here; use POST`, { Allow: "POST, OPTIONS" }));
  }
  return routes;
}
