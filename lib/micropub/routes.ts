/**
 * The Micropub endpoint (W3C Recommendation, 23 May 2017), mounted at /api/micropub and advertised
 * by every page (`<link rel="micropub">` and a `Link` header, §5.3):
 *
 *   POST /api/micropub        create an h-entry (§3.3), form-encoded, multipart without files, or
 *                             JSON -> 202 Accepted + Location: the post's permalink once the deploy
 *                             publishes it (§3.3.6: the commit is made now, the page a minute later)
 *   GET  /api/micropub?q=...  config, source, syndicate-to (§3.7)
 *
 * The checks run cheapest first, so that no refusal writes a D1 row: media type (415) -> size (413,
 * hono/body-limit) -> UTF-8 and JSON syntax (400) -> zValidator (400) -> a token at all (401, no D1)
 * -> the entry read (400, no D1) -> the token verified (401/403; one D1 read, and the token's
 * last-used time at most once an hour, lib/indieauth/tokens.ts) -> scope (401) -> the timeline
 * items named (one D1 read each) -> the write path (writePost: its own checks, then one commit and
 * one D1 write of 2 rows). Update and delete are answered 400 (docs/micropub.md): the forges'
 * adapters are create-only.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono/tiny";
import type * as z from "zod/mini";
import type { Db } from "../shared/d1.ts";
import { describeIssues } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { timelineItemOf } from "../timeline/queries.ts";
import { findTimelineItemByUrl } from "../timeline/store.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { bodyCap, bodyText, parseJsonText, replaceBody } from "../worker-kit/json-body.ts";
import { writtenByPostId } from "../write/store.ts";
import { writePost } from "../write/write-post.ts";
import { type AuthContext, authorize, CREATE_SCOPE, tokenOf } from "./auth.ts";
import { entryDraft, readEntry, urlSpellings } from "./entry.ts";
import { invalidRequest, micropubError } from "./errors.ts";
import { configAnswer, sourceAnswer } from "./queries.ts";
import { fromForm, fromJson, type MicropubForm, type MicropubJson, type MicropubRequest, micropubForm, micropubJson, micropubQuery } from "./request.ts";

/** A post's text (10,000 characters in any script) percent-encoded fits, with room for HTML's tags. */
export const MICROPUB_BODY_BYTES = 128 * 1024;
export const MICROPUB_DOCS = "docs/micropub.md (in Skein's repository)";

const MEDIA_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json"];

/** zValidator's hook: the issues as one invalid_request (§3.8). */
function invalid(result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }): Response | undefined {
  if (result.success || !result.error) return undefined;
  return invalidRequest(describeIssues(result.error.issues).join("; "));
}

const mediaTypeOf = (c: Context) => (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();

/** 415 -> 413 -> 400 (not UTF-8, not JSON), in Micropub's error shape; a multipart body is left for the form validator. */
const gate: MiddlewareHandler<WorkerBindings> = async (c, next) => {
  const type = mediaTypeOf(c);
  if (!MEDIA_TYPES.includes(type)) {
    return micropubError(
      415,
      "invalid_request",
      `send the request form-encoded or as JSON (§3.1), not ${JSON.stringify(type.slice(0, 60) || "without a Content-Type")}`,
    );
  }
  const capped = await bodyCap(MICROPUB_BODY_BYTES, (detail) => micropubError(413, "invalid_request", detail))(c, async () => {
    if (type === "multipart/form-data") return;
    const text = await bodyText(c);
    if (!text.ok) throw new TextProblem(text.error.detail);
    if (type === "application/json") {
      const json = parseJsonText(text.value);
      if (!json.ok) throw new TextProblem(json.error.detail);
    }
    replaceBody(c, text.value);
  }).catch((error: unknown) => (error instanceof TextProblem ? invalidRequest(error.message) : Promise.reject(error)));
  if (capped instanceof Response) return capped;
  await next();
};

class TextProblem extends Error {}

// One endpoint takes both encodings (§3.3): the validator for the body's media type is run here, so
// the route's input is not typed by either; the data is read back as the schema's output below.
const viaForm = zValidator("form", micropubForm, invalid) as unknown as MiddlewareHandler<WorkerBindings>;
const viaJson = zValidator("json", micropubJson, invalid) as unknown as MiddlewareHandler<WorkerBindings>;

/** The body through its zValidator, read into one request shape. */
async function readRequest(c: Context<WorkerBindings>): Promise<MicropubRequest | Response> {
  const json = mediaTypeOf(c) === "application/json";
  const answer = await (json ? viaJson : viaForm)(c, async () => {});
  if (answer instanceof Response) return answer;
  const valid = c.req.valid.bind(c.req) as unknown as (target: "json" | "form") => unknown;
  return json ? fromJson(valid("json") as MicropubJson) : fromForm(valid("form") as MicropubForm);
}

/** Their item, when the URL names one in our timeline (the same items the owner's Reply button answers). */
async function timelineItem(db: Db, url: string | undefined) {
  if (!url) return undefined;
  const { links, feedItem } = urlSpellings(url);
  const row = await findTimelineItemByUrl(db, links, feedItem);
  return row ? timelineItemOf(row) : undefined;
}

/** A client's name for the commit message: its client_id URL, one line. */
const viaOf = (clientId: string) => `${clientId.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "").slice(0, 200)} (Micropub)`;

async function create(c: Context<WorkerBindings>, config: SiteConfig, deps: WorkerDeps, request: MicropubRequest, auth: AuthContext): Promise<Response> {
  if (request.kind === "action") {
    const action = request.action.slice(0, 40);
    return invalidRequest(`action=${action} is not supported by this site: edit or remove the post's file in git (docs/micropub.md); only creating posts is`);
  }
  const parts = readEntry(request.type, request.properties, request.commands);
  if (!parts.ok) return invalidRequest(parts.error);
  const token = tokenOf(c.req.header("Authorization"), request.accessToken);
  if (!token.ok) return token.error;
  const grant = await authorize(token.value, CREATE_SCOPE, auth);
  if (!grant.ok) return grant.error;
  const [replyItem, repostItem] = [await timelineItem(auth.db, parts.value.inReplyTo), await timelineItem(auth.db, parts.value.repostOf)];
  const draft = entryDraft(parts.value, replyItem, repostItem);
  if (!draft.ok) return invalidRequest(draft.error);
  const written = await writePost(draft.value, config, c.env, auth.db, deps, viaOf(grant.value.client_id));
  if (written.ok) return c.body(null, 202, { Location: `${config.owner.post_url_prefix}${written.value.post_id}/` });
  const { kind, detail } = written.error;
  if (kind === "invalid") return invalidRequest(detail);
  if (kind === "unavailable") return micropubError(503, "temporarily_unavailable", `writing is not set up on this site: ${detail}`);
  return micropubError(502, "server_error", `the post was not committed: ${detail}; it is kept as written post ${written.error.row} (the owner's Write page)`);
}

/** The post id a URL of ours names (/posts/<id>/), or undefined. */
function ownPostId(config: SiteConfig, url: string | undefined): number | undefined {
  const prefix = config.owner.post_url_prefix;
  if (!url?.startsWith(prefix)) return undefined;
  const match = /^(\d{1,15})\/?$/.exec(url.slice(prefix.length));
  return match ? Number(match[1]) : undefined;
}

export function micropubRoutes(config: SiteConfig, deps: WorkerDeps): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  const authOf = (c: Context<WorkerBindings>): AuthContext => ({ db: c.var.db, env: c.env, config, now: deps.now(), ip: c.req.header("CF-Connecting-IP") });

  routes.post("/", gate, async (c) => {
    const request = await readRequest(c);
    if (request instanceof Response) return request;
    // A form's access_token alone, or a header alone: 401 before anything else is read into a post.
    if (!c.req.header("Authorization") && request.accessToken === undefined) {
      const refused = await authorize(undefined, CREATE_SCOPE, authOf(c));
      if (!refused.ok) return refused.error;
    }
    return create(c, config, deps, request, authOf(c));
  });

  routes.get("/", zValidator("query", micropubQuery, invalid), async (c) => {
    const query = c.req.valid("query");
    if (!query.q) return invalidRequest("ask with q=config, q=source&url=... or q=syndicate-to (§3.7)");
    const token = tokenOf(c.req.header("Authorization"), undefined);
    if (!token.ok) return token.error;
    const grant = await authorize(token.value, undefined, authOf(c));
    if (!grant.ok) return grant.error;
    if (query.q === "config") return c.json(configAnswer(MICROPUB_DOCS));
    if (query.q === "syndicate-to") return c.json({ "syndicate-to": [] });
    if (query.q !== "source") return invalidRequest(`q=${query.q.slice(0, 40)} is not a query this endpoint answers: config, source, syndicate-to`);
    const postId = ownPostId(config, query.url);
    const post = postId === undefined ? undefined : await writtenByPostId(c.var.db, postId);
    // §3.8 example 25; a post written in git has its source there.
    if (!post) return invalidRequest("The post with the requested URL was not found among the posts written through this site's Worker");
    const asked = [query.properties ?? [], query["properties[]"] ?? []].flat();
    return c.json(sourceAnswer(post, `${config.owner.post_url_prefix}${post.post_id}/`, asked));
  });
  return routes;
}
