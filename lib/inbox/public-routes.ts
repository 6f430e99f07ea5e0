/**
 * The spec's two endpoints anyone may POST to (spec "Private Messaging" and "Replies/Mentions"),
 * mounted at /api by lib/worker/app.ts.
 *
 * Checks run in this order, so each mistake gets the most useful status and no refusal costs a D1
 * write: route / accept=off (404) -> client network over its limit (429) -> Content-Type (415) ->
 * size (413) -> JSON (400) -> schema (400) -> unknown post (404, replies) -> policy (403, no body)
 * -> signature (sender-proof.ts: 400 / 403 / 503 when one is there and cannot be used) -> signatures
 * required from followed accounts (403) -> sender over its limit (429) -> store -> a replay of a
 * stored signed request (409) -> 201. The network limit comes first so a flood of anything, valid or
 * not, stops before any work is done.
 *
 * Exemptions follow proof (docs/signing.md): only a signed sender that is followed or selected is
 * exempt from the daily cap, and the per-sender limit counts a signed sender by its feed, an unsigned
 * one by its claimed user_id AND by its client network, so fresh claimed ids gain nothing.
 *
 * 201 means "it is in D1": a duplicate of a stored item is a 201 too (idempotent POST). A reply is
 * stored `pending` and checked against the sender's feed in the background (waitUntil); if that is
 * cut off, the sweep (reverify-job.ts) checks it later.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler } from "hono";
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
import { storeKeys } from "./key-cache.ts";
import { decide, matchesAny, type Sender } from "./policy.ts";
import { FIRST_CHECK_AFTER_MS } from "./reverify-job.ts";
import { messageBody, postIdParam, replyBody } from "./schemas.ts";
import { type Proof, proveSender } from "./sender-proof.ts";
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

type Admitted = { proof: Exclude<Proof, { kind: "refused" }>; exempt: boolean };

/**
 * Everything between the schema and the store, the same for both endpoints: policy, proof, the
 * required signatures, the sender's limit. A Response is a refusal (nothing was written).
 */
async function admit(c: Context<WorkerBindings>, config: SiteConfig, deps: WorkerDeps, body: Sender): Promise<Admitted | Response> {
  // Spec "Receiving Private Messages": denied -> 403 Forbidden and no message body. Blocks win over a signature.
  if (decide(config, body) !== "accept") return c.body(null, 403);
  const request = { method: c.req.method, url: c.req.url, headers: c.req.raw.headers };
  const proof = await proveSender(request, c.get("rawBody") ?? new Uint8Array(), body.user_link, {
    db: c.var.db,
    fetch: deps.fetch,
    allowLoopback: allowLoopback(c.env),
    now: deps.now,
  });
  if (proof.kind === "refused") return problem(proof.status, proof.detail, proof.status === 503 ? { "Retry-After": "60" } : undefined);
  const friend = known(config, body);
  if (proof.kind === "unsigned" && friend && config.signing?.require_signatures) {
    return problem(403, "this inbox takes messages from the accounts its owner follows only when they are signed (RFC 9421; docs/signing.md)");
  }
  const signed = proof.kind === "signed";
  const key = signed ? senderKey(`signed:${proof.signature.signedBy}`) : senderKey(body.user_id);
  if (!(await withinLimit(c.env.INBOX_SENDER_LIMIT, key))) return tooMany();
  if (!signed && !(await withinLimit(c.env.INBOX_SENDER_LIMIT, `unproven:${clientNetworkKey(c.req.header("CF-Connecting-IP") ?? "unknown")}`))) {
    return tooMany();
  }
  return { proof, exempt: signed && friend };
}

const replayed = () => problem(409, "this signed request was received already (a replay); sign each request anew");

/** After an accepted signed request: the sender's keys, if they were just read (the only write a signature costs). */
async function keepKeys(c: Context<WorkerBindings>, proof: Admitted["proof"], nowMs: number): Promise<void> {
  if (proof.kind === "signed" && proof.freshKeys) await storeKeys(c.var.db, proof.signature.signedBy, proof.freshKeys, nowMs);
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
    const admitted = await admit(c, config, deps, body);
    if (admitted instanceof Response) return admitted;
    const { proof } = admitted;
    const signature = proof.kind === "signed" ? proof.signature : undefined;
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
        ...(signature ? { signature } : {}),
      },
      dailyCap(c.env.INBOX_DAILY_CAP, now, admitted.exempt),
    );
    if (stored.status === "over-cap") return fullToday(now);
    if (stored.status === "duplicate" && signature && stored.signatureHash === signature.hash) return replayed();
    await keepKeys(c, proof, now);
    return c.body(null, 201);
  });

  routes.post(REPLY_PATH, zValidator("param", postIdParam, missing), jsonBody, zValidator("json", replyBody, invalid), async (c) => {
    const body = c.req.valid("json");
    const { id: postId } = c.req.valid("param");
    if (!hasPostId(config.post_ids, postId)) return problem(404, `there is no post ${postId} to reply to`);
    const admitted = await admit(c, config, deps, body);
    if (admitted instanceof Response) return admitted;
    const { proof } = admitted;
    const signature = proof.kind === "signed" ? proof.signature : undefined;
    const now = deps.now();
    const sender = { user_id: body.user_id, username: body.username, user_link: body.user_link };
    const stored = await insertReply(
      c.var.db,
      { postId, sender, statusId: body.status_id, receivedAtMs: now, firstCheckAtMs: now + FIRST_CHECK_AFTER_MS, ...(signature ? { signature } : {}) },
      dailyCap(c.env.INBOX_DAILY_CAP, now, admitted.exempt),
    );
    if ("overCap" in stored) return fullToday(now);
    const { inserted, state } = stored;
    if (!inserted && signature && state.signature_hash === signature.hash) return replayed();
    await keepKeys(c, proof, now);
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
