/**
 * The timeline's WebSub callback (mounted at /api/websub/callback by lib/worker/app.ts): where hubs
 * verify the subscriptions websub-subscribe-job.ts asked for and push the feeds we follow.
 *
 *   GET  /api/websub/callback/<token>?hub.mode=...   §5.3 verification of intent (and §5.2 denial)
 *   POST /api/websub/callback/<token>                §7 content distribution
 *
 * The token (128 random bits, one per followed feed) names the subscription; an unknown token is
 * 404 (GET) or 410 Gone (POST: §7, the hub drops the subscription). Both are rate limited per client
 * network by a Rate Limiting binding (no D1 write for a refusal).
 *
 * Verification: the challenge is echoed ONLY for what a row says we asked for -- subscribe while the
 * row is subscribing (or active: a renewal) for the row's topic; unsubscribe while it is
 * unsubscribing. Anything else is 404, so nobody can subscribe us to anything.
 *
 * Distribution: every delivery must carry X-Hub-Signature, the HMAC of the body with the secret we
 * gave (§8: sha1, sha256, sha384 or sha512). A delivery that does not -- forged, or altered on the
 * way -- is answered 202 and DISCARDED: nothing stored, no D1 write. §8 says subscribers "MUST locally
 * ignore the message as invalid" and "MAY still acknowledge this request with a 2xx response code ...
 * to prevent brute-force attempts of the signature"; a 4xx would tell a forger which guesses fail.
 * A valid delivery is read like a poll (the lenient reader, up to the first item already stored) and
 * its new items are stored at once with the timeline's own functions (items.ts, store.ts): the same
 * rows, deduplicated by (user_id, guid), mentions flagged, reposts of blocked accounts skipped. The
 * poller's marker moves only when the pushed page reaches an item already stored, so a hub that sends
 * only the newest entries can never make the poller skip the ones in between. 204 once stored.
 */
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler } from "hono";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { readCappedBytes } from "../shared/capped-body.ts";
import type { Db } from "../shared/d1.ts";
import { problem } from "../shared/problem.ts";
import { type Feed, FeedReadError, readFeed } from "../shared/remote-feed-reader.ts";
import { DEFAULT_FETCH_LIMITS } from "../shared/remote-fetch.ts";
import { integerText } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { decodeXmlBytes } from "../shared/xml-decoding.ts";
import { DEFAULT_LEASE_SECONDS, signatureMatches } from "../websub/protocol.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { clientNetworkKey, RATE_LIMIT_PERIOD_SECONDS, withinLimit } from "../worker-kit/rate-limit.ts";
import { invalid, missing } from "../worker-kit/validation.ts";
import { matchesIdentity, mentionTest, type NewTimelineItem, timelineItem } from "./items.ts";
import { advanceMarker, isSeen, itemKey, markerText, parseMarker } from "./seen.ts";
import { insertItemsStatement, updateFollowStatement } from "./store.ts";
import { type CallbackTarget, deleteWebSubFollow, findByToken, markActive, markDenied, pushedStatement } from "./websub-store.ts";
import { RECHECK_MS } from "./websub-subscribe-job.ts";

/** Items of one delivery read at most (the 10 ms of CPU; the poller reads the rest, if any). */
export const PUSH_ITEMS = 150;

const tokenParam = z.object({ token: z.string().check(z.regex(/^[0-9a-f]{32}$/)) });

const verificationQuery = z.object({
  "hub.mode": z.enum(["subscribe", "unsubscribe", "denied"], "must be subscribe, unsubscribe or denied"),
  "hub.topic": z.string().check(z.minLength(1, "is required"), z.maxLength(2048, "is too long")),
  "hub.challenge": z.optional(z.string().check(z.minLength(1, "must not be empty"), z.maxLength(1024, "must be at most 1024 characters"))),
  "hub.lease_seconds": z.optional(integerText(0, 10 * 365 * 24 * 3600)),
  "hub.reason": z.optional(z.string().check(z.maxLength(1024, "is too long"))),
});

const notOurs = () => problem(404, "no subscription of ours asked for this");
const tooMany = () => problem(429, `too many requests; try again in ${RATE_LIMIT_PERIOD_SECONDS} s`, { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) });

/** What a delivery came to (for the response, logs and tests). */
export type PushResult = { kind: "stored"; stored: number; read: number; markerMoved: boolean } | { kind: "discarded"; reason: string };

/** A verified delivery's new items and the follow's new marker, in one D1 batch. */
export async function storePush(
  db: Db,
  target: CallbackTarget,
  feed: Feed,
  keysRead: string[],
  boundary: boolean,
  config: SiteConfig,
  nowMs: number,
): Promise<PushResult> {
  const pageUrl = target.feed_url ?? target.topic ?? "";
  const channelId = feed.channel.user_id;
  if (channelId !== undefined && channelId !== target.user_id)
    return { kind: "discarded", reason: `the pushed feed belongs to user_id ${channelId.slice(0, 128)}` };
  if (matchesIdentity(config.blocks, target.user_id, pageUrl)) return { kind: "discarded", reason: "the account is in blocks.yaml" };
  if (target.username === null) return { kind: "discarded", reason: "the account is not in the timeline yet (the poller adds it)" };
  const marker = parseMarker(target.seen);
  const mentions = mentionTest(config.owner);
  const newestFirst: NewTimelineItem[] = [];
  const oldestFirstFeed = target.oldest_first === 1;
  const ordered = oldestFirstFeed ? [...feed.items].reverse() : feed.items;
  const keys = new Set<string>();
  for (const item of ordered) {
    const key = itemKey(item);
    if (key === undefined || isSeen(key, marker) || keys.has(key)) continue;
    keys.add(key);
    const verdict = timelineItem(item, pageUrl, nowMs, config, mentions);
    if (verdict.item) newestFirst.push(verdict.item);
  }
  const items = newestFirst.reverse();
  const statements = [];
  if (items.length) {
    const name = feed.channel.user_full_name?.slice(0, 100) ?? target.name;
    statements.push(insertItemsStatement(db, { user_id: target.user_id, username: target.username, name, user_link: pageUrl }, items, nowMs));
  }
  // The marker moves only when the push reaches an item already stored (see the header).
  const markerMoved = marker !== null && boundary;
  const update: Parameters<typeof updateFollowStatement>[2] = {};
  if (markerMoved) update.seen = markerText(advanceMarker(marker, oldestFirstFeed ? [...keysRead].reverse() : keysRead));
  let newest = target.newest_item_ms;
  for (const item of items) if (newest === null || item.published_ms > newest) newest = item.published_ms;
  if (newest !== target.newest_item_ms && newest !== null) update.newest_item_ms = newest;
  const follow = updateFollowStatement(db, target.user_id, update);
  if (follow) statements.push(follow);
  statements.push(pushedStatement(db, target.user_id, nowMs));
  const results = await db.batch(statements);
  return { kind: "stored", stored: items.length ? (results[0]?.meta.changes ?? 0) : 0, read: feed.items.length, markerMoved };
}

export interface CallbackRouteOptions {
  /** Called with each delivery's outcome (tests; logs). */
  onPush?: (result: PushResult) => void;
}

export function websubCallbackRoutes(config: SiteConfig, deps: WorkerDeps, options: CallbackRouteOptions = {}): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  const limit: MiddlewareHandler<WorkerBindings> = async (c, next) => {
    if (!(await withinLimit(c.env.WEBSUB_CALLBACK_LIMIT, clientNetworkKey(c.req.header("CF-Connecting-IP") ?? "unknown")))) return tooMany();
    await next();
  };

  routes.get("/:token", limit, zValidator("param", tokenParam, missing), zValidator("query", verificationQuery, invalid), async (c) => {
    const { token } = c.req.valid("param");
    const query = c.req.valid("query");
    const target = await findByToken(c.var.db, token);
    if (!target || target.topic !== query["hub.topic"]) return notOurs();
    const now = deps.now();
    const mode = query["hub.mode"];
    if (mode === "denied") {
      // §5.2: the hub refused (or ended) the subscription. Look for a hub again in a day.
      if (target.state !== "subscribing" && target.state !== "active") return notOurs();
      await markDenied(
        c.var.db,
        target.user_id,
        `the hub denied the subscription${query["hub.reason"] ? `: ${query["hub.reason"].slice(0, 200)}` : ""}`,
        now + RECHECK_MS,
      );
      return c.body(null, 204);
    }
    const challenge = query["hub.challenge"];
    if (challenge === undefined) return problem(400, "hub.challenge: is required");
    if (mode === "subscribe") {
      if (target.state !== "subscribing" && target.state !== "active") return notOurs();
      const lease = query["hub.lease_seconds"] ?? DEFAULT_LEASE_SECONDS;
      await markActive(c.var.db, target.user_id, now, lease);
    } else {
      if (target.state !== "unsubscribing") return notOurs();
      await deleteWebSubFollow(c.var.db, target.user_id);
    }
    return c.text(challenge, 200);
  });

  routes.post("/:token", limit, zValidator("param", tokenParam, missing), async (c) => {
    const { token } = c.req.valid("param");
    const declared = c.req.header("Content-Length");
    const maxBytes = DEFAULT_FETCH_LIMITS.maxBytes;
    if (declared !== undefined && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes) return problem(413, `the body is larger than ${maxBytes} bytes`);
    const target = await findByToken(c.var.db, token);
    if (!target || (target.state !== "active" && target.state !== "subscribing")) {
      await c.req.raw.body?.cancel().catch(() => {});
      return problem(410, "no subscription of ours is called back here");
    }
    const bytes = await readCappedBytes(c.req.raw.body, maxBytes);
    if (!bytes) return problem(413, `the body is larger than ${maxBytes} bytes`);
    const report = (result: PushResult) => {
      options.onPush?.(result);
      if (result.kind === "discarded") console.warn(`skein timeline: a delivery for ${target.user_id} was discarded: ${result.reason}`);
    };
    if (!(await signatureMatches(c.req.header("X-Hub-Signature"), target.secret, bytes))) {
      report({ kind: "discarded", reason: "the X-Hub-Signature does not match (forged or altered)" });
      return c.body(null, 202);
    }
    const decoded = decodeXmlBytes(bytes, c.req.header("Content-Type"));
    if (!decoded.ok) {
      report({ kind: "discarded", reason: decoded.error });
      return c.body(null, 202);
    }
    const marker = parseMarker(target.seen);
    const keysRead: string[] = [];
    let boundary = false;
    let feed: Feed;
    try {
      feed = readFeed(decoded.value.text, {
        stopAfter: (item, index) => {
          const key = itemKey(item);
          if (key !== undefined) keysRead.push(key);
          if (key !== undefined && isSeen(key, marker)) {
            boundary = true;
            if (target.oldest_first !== 1) return true;
          }
          return index + 1 >= PUSH_ITEMS;
        },
      });
    } catch (error) {
      if (!(error instanceof FeedReadError)) throw error;
      report({ kind: "discarded", reason: `not a readable RSS feed: ${error.message}`.slice(0, 300) });
      return c.body(null, 202);
    }
    const result = await storePush(c.var.db, target, feed, keysRead, boundary, config, deps.now());
    report(result);
    return c.body(null, result.kind === "stored" ? 204 : 202);
  });

  routes.all("/:token", (c) => problem(405, `${c.req.method} is not allowed here`, { Allow: "GET, POST" }));
  return routes;
}
