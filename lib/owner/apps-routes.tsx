/**
 * The Apps section: an app's IndieAuth sign-in request (IndieAuth §5.2) and the apps holding a token.
 *
 *   GET  /owner/auth            the consent page (the authorization endpoint, /api/indieauth/auth, sends the browser here)
 *   POST /owner/auth/approve    Approve or Deny (the owner's CSRF/Origin walls), then back to the app (§5.2.1)
 *   GET  /owner/apps            the apps' tokens: client, scopes, created, expires, last used
 *   POST /owner/apps/:id/revoke Revoke
 *
 * (A client redeems a code at POST /api/indieauth/auth: lib/indieauth/routes.ts.)
 */
import { zValidator } from "@hono/zod-validator";
import type { Context } from "hono";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { type AuthorizationQuery, authorizationProblem, authorizationQuery, requestedScopes } from "../indieauth/request.ts";
import { issuerOf } from "../indieauth/routes.ts";
import { describeIssues, integerText } from "../shared/schemas.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import { AppsPage, ConsentPage, RefusedRequest } from "./apps-pages.tsx";
import { approve, appTokens, revokeApp } from "./apps-queries.ts";
import { noticeKey } from "./forms.ts";
import type { OwnerKit } from "./kit.ts";

const APPS = { title: "Apps", section: "apps" } as const;
const SIGN_IN_REQUEST = { title: "Sign in to an app", section: "apps" } as const;

function refused(c: Context, reason: string) {
  c.status(400);
  return c.render(<RefusedRequest reason={reason} />, SIGN_IN_REQUEST);
}

const invalidRequest = (result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }, c: Context) =>
  result.success
    ? undefined
    : refused(
        c,
        describeIssues(result.error?.issues ?? [])
          .join("; ")
          .slice(0, 600),
      );

const decisionForm = z.extend(authorizationQuery, {
  decision: z.enum(["approve", "deny"]),
  scope: z.optional(z.union([z.string().check(z.maxLength(64)), z.array(z.string().check(z.maxLength(64))).check(z.maxLength(20))])),
});

/** §5.2.1: the redirect back to the app, its query kept, with our parameters added. */
function backToApp(c: Context, request: AuthorizationQuery, params: Record<string, string>) {
  const target = new URL(request.redirect_uri);
  for (const [name, value] of Object.entries({ ...params, state: request.state, iss: issuerOf(c) })) target.searchParams.set(name, value);
  return c.redirect(target.href, 302);
}

export function appsRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();

  routes.get("/auth", zValidator("query", authorizationQuery, invalidRequest), (c) => {
    const request = c.req.valid("query");
    const problem = authorizationProblem(request);
    if (problem) return refused(c, problem);
    const { offered, unsupported } = requestedScopes(request.scope);
    return c.render(<ConsentPage request={request} offered={offered} unsupported={unsupported} />, SIGN_IN_REQUEST);
  });

  routes.post("/auth/approve", zValidator("form", decisionForm, invalidRequest), async (c) => {
    const { decision, scope, ...request } = c.req.valid("form");
    const problem = authorizationProblem(request);
    if (problem) return refused(c, problem);
    // RFC 6749 §4.1.2.1: the owner said no.
    if (decision === "deny") return backToApp(c, request, { error: "access_denied" });
    const ticked = typeof scope === "string" ? [scope] : (scope ?? []);
    // Only what was offered can be granted, whatever the form says.
    const granted = requestedScopes(ticked.join(" ")).offered;
    const code = await approve(c.var.db, request, granted, kit.config.owner.profile_url, kit.deps.now());
    return backToApp(c, request, { code });
  });

  routes.get("/apps", zValidator("query", z.object({ notice: noticeKey })), async (c) => {
    const tokens = await appTokens(c.var.db, kit.deps.now());
    return c.render(<AppsPage tokens={tokens} notice={c.req.valid("query").notice} />, APPS);
  });

  routes.post("/apps/:id/revoke", zValidator("param", z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER) })), async (c) => {
    await revokeApp(c.var.db, c.req.valid("param").id, kit.deps.now());
    return c.redirect("/owner/apps?notice=revoked", 303);
  });

  return routes;
}
