/**
 * Skein as its own WebSub hub (profile `hubs: [self]`), subscriber side: POST /api/websub/hub.
 * Mounted only when the profile lists `self`; elsewhere the path is nothing (404).
 *
 * §5.1 subscription request: hub.mode=subscribe|unsubscribe, hub.topic (one of OUR head pages: the
 * hub serves no one else's feeds), hub.callback, optional hub.lease_seconds and hub.secret (< 200
 * bytes). Checks, in this order, so no refusal costs a D1 write (or any D1 call at all): the client
 * network over its limit (429, a Rate Limiting binding, not D1) -> Content-Type (415) -> size (413)
 * -> the fields (400) -> the topic (400) -> the callback's address (400: the same guard as every
 * fetch of a stranger's URL) -> for a subscribe, the hub's bounds (hub-limits.ts: 429 or 503 with the
 * reason, §5.1.2, after one D1 read and no write). Then 202 Accepted (§5.1.2: "the hub MUST respond
 * ... 202 Accepted") and, in the background (waitUntil), §5.3 verification of intent: GET
 * callback?hub.mode&hub.topic&hub.challenge&hub.lease_seconds; only a 2xx echoing the challenge is
 * stored (subscribe: the subscription with its lease and secret; unsubscribe: it is deleted). Nothing
 * is stored before that, so a forged request for someone else's callback costs one GET and no write.
 * A subscription that lost a race for the last place is denied to its callback (§5.2, hub.mode=denied).
 *
 * Leases: DEFAULT_LEASE_SECONDS when none is asked, any request brought into [MIN, MAX]
 * (protocol.ts); the hub drops expired subscriptions (deliver-job.ts).
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { checkFetchUrl } from "../shared/address-guard.ts";
import { Budget } from "../shared/budget.ts";
import type { Db } from "../shared/d1.ts";
import { problem } from "../shared/problem.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import { httpUrl, integerText } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { allowLoopback, type WorkerBindings, type WorkerDeps } from "../worker-kit/env.ts";
import { formGate } from "../worker-kit/form-body.ts";
import { clientNetworkKey, RATE_LIMIT_PERIOD_SECONDS, withinLimit } from "../worker-kit/rate-limit.ts";
import { invalid } from "../worker-kit/validation.ts";
import { callbackHostOf, DEFAULT_HUB_LIMITS, type HubLimits, hubRefusal, readHubCounts } from "./hub-limits.ts";
import { grantedLease, MAX_SECRET_BYTES, randomHex, withQuery } from "./protocol.ts";
import { deleteSubscription, upsertSubscription } from "./store.ts";

/** Subscriptions the hub keeps at most (a deploy's deliveries: one subrequest and 2-3 D1 rows each). */
export const MAX_SUBSCRIPTIONS = DEFAULT_HUB_LIMITS.subscriptions;

/** A subscription request is a few hundred bytes. */
const MAX_REQUEST_BYTES = 8 * 1024;

/** The verification GET (and, rarely, the §5.2 denial after it): no redirects, a small answer, a short time. */
export const VERIFY_LIMITS = { subrequests: 2, bytes: 4096, durationMs: 10_000 };

const encoder = new TextEncoder();

const hubRequest = z.object({
  "hub.mode": z.enum(
    ["subscribe", "unsubscribe"],
    "must be subscribe or unsubscribe (this hub learns of new posts from the site's own deploys: no publish request is needed)",
  ),
  "hub.topic": z.string().check(z.minLength(1, "is required")),
  "hub.callback": httpUrl,
  "hub.lease_seconds": z.optional(integerText(1, 10 * 365 * 24 * 3600)),
  "hub.secret": z.optional(
    z.string().check(
      z.minLength(1, "must not be empty"),
      z.refine((value: string) => encoder.encode(value).byteLength <= MAX_SECRET_BYTES, `must be less than 200 bytes (WebSub §5.1)`),
    ),
  ),
});

export type HubRequest = z.output<typeof hubRequest>;

const networkOf = (connectingIp: string | undefined) => clientNetworkKey(connectingIp ?? "unknown");

const tooMany = () => problem(429, `too many requests; try again in ${RATE_LIMIT_PERIOD_SECONDS} s`, { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) });

/** 415 -> 413 -> 400 (not UTF-8), before zValidator("form"). */
const formOnly = formGate(MAX_REQUEST_BYTES, "WebSub §5.1");

export interface Verification {
  request: HubRequest;
  lease: number;
  /** What happened, for logs and tests. */
  outcome: "subscribed" | "unsubscribed" | "refused" | "denied" | "unreachable";
  detail: string;
}

/** §5.3: ask the callback whether it wants this; store only what it confirms. */
export async function verifyIntent(
  db: Db,
  request: HubRequest,
  deps: { fetch: typeof fetch; allowLoopback: boolean; now: () => number; budget: Budget; network: string; limits?: HubLimits },
): Promise<Verification> {
  const mode = request["hub.mode"];
  const lease = grantedLease(request["hub.lease_seconds"]);
  const challenge = randomHex(16);
  const url = withQuery(request["hub.callback"], {
    "hub.mode": mode,
    "hub.topic": request["hub.topic"],
    "hub.challenge": challenge,
    "hub.lease_seconds": mode === "subscribe" ? String(lease) : undefined,
  });
  const answer = await fetchRemote(url, {
    fetch: deps.fetch,
    allowLoopback: deps.allowLoopback,
    budget: deps.budget,
    limits: { maxRedirects: 0, maxBytes: 4096 },
  });
  const base = { request, lease };
  if (!answer.ok) return { ...base, outcome: "unreachable", detail: answer.error.detail };
  const echoed = new TextDecoder().decode(answer.value.bytes).trim();
  if (answer.value.status < 200 || answer.value.status > 299 || echoed !== challenge) {
    return { ...base, outcome: "refused", detail: `the callback answered HTTP ${answer.value.status}${echoed === challenge ? "" : " without the challenge"}` };
  }
  if (mode === "unsubscribe") {
    await deleteSubscription(db, request["hub.topic"], request["hub.callback"]);
    return { ...base, outcome: "unsubscribed", detail: "verified" };
  }
  const stored = await upsertSubscription(
    db,
    {
      topic: request["hub.topic"],
      callback: request["hub.callback"],
      secret: request["hub.secret"] ?? null,
      lease_seconds: lease,
      now: deps.now(),
      network: deps.network,
      callback_host: callbackHostOf(request["hub.callback"]),
    },
    deps.limits ?? DEFAULT_HUB_LIMITS,
  );
  if (stored) return { ...base, outcome: "subscribed", detail: "verified" };
  // Another request took the last place between our answer and now: §5.2, the subscriber is told.
  const reason = "the hub's limits were reached while this subscription was being verified; try again later";
  const denial = withQuery(request["hub.callback"], { "hub.mode": "denied", "hub.topic": request["hub.topic"], "hub.reason": reason });
  await fetchRemote(denial, { fetch: deps.fetch, allowLoopback: deps.allowLoopback, budget: deps.budget, limits: { maxRedirects: 0, maxBytes: 4096 } });
  return { ...base, outcome: "denied", detail: reason };
}

/** §5.1.2: a subscribe request the hub's bounds will not let it store is refused now, with the reason. */
async function boundsRefusal(db: Db, request: HubRequest, network: string, nowMs: number): Promise<Response | undefined> {
  if (request["hub.mode"] !== "subscribe") return undefined;
  const asker = { network, callbackHost: callbackHostOf(request["hub.callback"]), topic: request["hub.topic"], callback: request["hub.callback"] };
  const refusal = hubRefusal(await readHubCounts(db, asker, nowMs), DEFAULT_HUB_LIMITS, nowMs);
  if (!refusal) return undefined;
  return problem(refusal.status, refusal.detail, refusal.retryAfterSeconds ? { "Retry-After": String(refusal.retryAfterSeconds) } : {});
}

export interface HubRouteOptions {
  /** Called with each verification's outcome (tests; logs). */
  onVerified?: (verification: Verification) => void;
}

export function websubHubRoutes(config: SiteConfig, deps: WorkerDeps, options: HubRouteOptions = {}): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  const websub = config.websub;
  if (!websub?.self_hub) return routes;
  const topics = new Set(websub.topics.map((topic) => topic.url));

  routes.post(
    "/hub",
    async (c, next) => {
      if (!(await withinLimit(c.env.WEBSUB_HUB_LIMIT, networkOf(c.req.header("CF-Connecting-IP"))))) return tooMany();
      await next();
    },
    formOnly,
    zValidator("form", hubRequest, invalid),
    async (c) => {
      const request = c.req.valid("form");
      if (!topics.has(request["hub.topic"])) {
        return problem(400, `hub.topic: ${request["hub.topic"].slice(0, 200)} is not a feed of this site; this hub serves ${[...topics].join(" and ")}`);
      }
      const guard = checkFetchUrl(request["hub.callback"], allowLoopback(c.env));
      if (!guard.ok) return problem(400, `hub.callback: ${guard.error}`);
      const network = networkOf(c.req.header("CF-Connecting-IP"));
      const refused = await boundsRefusal(c.var.db, request, network, deps.now());
      if (refused) return refused;
      const task = verifyIntent(c.var.db, request, {
        network,
        fetch: deps.fetch,
        allowLoopback: allowLoopback(c.env),
        now: deps.now,
        budget: new Budget(VERIFY_LIMITS, deps.now),
      }).then(
        (verification) => options.onVerified?.(verification),
        (error: unknown) => console.error("skein hub: a verification of intent failed unexpectedly", error),
      );
      try {
        c.executionCtx.waitUntil(task);
      } catch {
        // No ExecutionContext (app.request() without one): the task still runs, unawaited.
      }
      return c.body(null, 202);
    },
  );
  routes.all("/hub", (c) => problem(405, `${c.req.method} is not allowed here; POST a WebSub subscription request`, { Allow: "POST" }));
  return routes;
}
