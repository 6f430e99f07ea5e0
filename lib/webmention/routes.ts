/**
 * The Webmention receiver (W3C Recommendation, §3.2) at POST /api/webmention, and the owner's view
 * of what arrived at /api/webmentions (bearer token).
 *
 * The same rules as the inbox's Open Microblog endpoints, in the same order, so no refusal costs a
 * D1 write: accept=off (no route) -> client network over its limit (429, the inbox's binding) ->
 * Content-Type (415) -> size (413) -> form fields (400) -> source == target (400, §3.2.1) -> target
 * not a page of ours (400, §3.2.1) -> blocked domain (403) -> accept policy (403) -> source host
 * over its limit (429) -> one write within the inbox's daily cap (503 when reached) -> 202.
 *
 * 202 Accepted (§3.2.1: "SHOULD queue and process the request asynchronously"): the scheduled job
 * webmention.verify reads the source within a minute or two (verify-job.ts).
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { dailyCap } from "../inbox/daily-cap.ts";
import { secondsToNextUtcDay } from "../shared/dates.ts";
import { problem } from "../shared/problem.ts";
import { httpUrl, integerText } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink, parseHttpUrl } from "../shared/urls.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { formGate } from "../worker-kit/form-body.ts";
import { requireOwner } from "../worker-kit/owner-auth.ts";
import { clientNetworkKey, RATE_LIMIT_PERIOD_SECONDS, senderKey, withinLimit } from "../worker-kit/rate-limit.ts";
import { invalid, missing } from "../worker-kit/validation.ts";
import { acceptWebmention, deleteWebmention, listWebmentions, moderateWebmention, type WebmentionState } from "./store.ts";
import { blockedHost, comparableUrl, ourTarget } from "./target.ts";

/** A webmention is two URLs: 2 x 2,048 characters, percent-encoded, fits in 16 KiB. */
export const MAX_WEBMENTION_BYTES = 16 * 1024;
const PAGE_SIZE = 50;

const webmentionForm = z.object({ source: httpUrl, target: httpUrl });
const STATES = ["pending", "verified", "rejected", "gone", "unreachable"] as const satisfies readonly WebmentionState[];
const listQuery = z.object({ state: z.optional(z.enum(STATES)), before: z.optional(integerText(1, Number.MAX_SAFE_INTEGER)) });
const idParam = z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER) });
const moderationForm = z.object({ moderation: z.enum(["approved", "hidden", "undecided"]) });

const tooMany = () => problem(429, `too many requests; try again in ${RATE_LIMIT_PERIOD_SECONDS} s`, { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) });

/** Under accept=follows/selected, a source on the site of someone followed or selected. */
function acceptedSource(config: SiteConfig, source: URL): boolean {
  if (config.accept === "everyone") return true;
  const site = normalizeUserLink(source.origin);
  const hostOf = (link: string | undefined) => link?.split("/")[0];
  return [...config.follows, ...config.selected].some((who) => hostOf(who.link) === site);
}

export function webmentionRoutes(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  if (config.accept === "off") return routes;
  routes.post(
    "/webmention",
    async (c, next) => {
      if (!(await withinLimit(c.env.INBOX_IP_LIMIT, clientNetworkKey(c.req.header("CF-Connecting-IP") ?? "unknown")))) return tooMany();
      await next();
    },
    formGate(MAX_WEBMENTION_BYTES, "Webmention §3.1.3"),
    zValidator("form", webmentionForm, invalid),
    async (c) => {
      const { source, target } = c.req.valid("form");
      if (comparableUrl(source) === comparableUrl(target)) return problem(400, "source and target are the same URL (Webmention §3.2.1)");
      const ours = ourTarget(config, target);
      if (!ours) return problem(400, "target is not a page of this site that takes webmentions (a post page or the profile page)");
      const sourceUrl = parseHttpUrl(source) as URL;
      if (blockedHost(config, source) || !acceptedSource(config, sourceUrl)) return c.body(null, 403);
      if (!(await withinLimit(c.env.INBOX_SENDER_LIMIT, senderKey(`site:${sourceUrl.host.toLowerCase()}`)))) return tooMany();
      const now = deps.now();
      // No exemption from the strangers' cap: nothing about the sender is proven before its page is read.
      const stored = await acceptWebmention(
        c.var.db,
        { source, target, postId: ours.page === "post" ? ours.postId : null, sourceHost: sourceUrl.host.toLowerCase(), receivedAtMs: now },
        dailyCap(c.env.INBOX_DAILY_CAP, now, false),
      );
      if (!stored) {
        return problem(503, "this site takes no more webmentions today; nothing was stored, try again after 00:00 UTC", {
          "Retry-After": String(secondsToNextUtcDay(now)),
        });
      }
      return c.text("Accepted: the source will be checked within a few minutes.\n", 202);
    },
  );
  routes.all("/webmention", (c) => problem(405, `${c.req.method} is not allowed here; use POST`, { Allow: "POST, OPTIONS" }));
  return routes;
}

/** The owner's view: GET /api/webmentions, POST /api/webmentions/:id/moderation, DELETE /api/webmentions/:id. */
export function webmentionOwnerRoutes(): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.use("*", requireOwner);
  routes.get("/", zValidator("query", listQuery, invalid), async (c) => {
    const { state, before } = c.req.valid("query");
    const items = await listWebmentions(c.var.db, { limit: PAGE_SIZE, ...(state ? { state } : {}), ...(before ? { before } : {}) });
    const last = items.at(-1);
    return c.json({ items, next: items.length === PAGE_SIZE && last ? String(last.id) : null });
  });
  routes.post("/:id/moderation", zValidator("param", idParam, missing), zValidator("json", moderationForm, invalid), async (c) => {
    const { moderation } = c.req.valid("json");
    const done = await moderateWebmention(c.var.db, c.req.valid("param").id, moderation === "undecided" ? null : moderation);
    return done ? c.body(null, 204) : problem(404, "no such webmention");
  });
  routes.delete("/:id", zValidator("param", idParam, missing), async (c) =>
    (await deleteWebmention(c.var.db, c.req.valid("param").id)) ? c.body(null, 204) : problem(404, "no such webmention"),
  );
  return routes;
}
