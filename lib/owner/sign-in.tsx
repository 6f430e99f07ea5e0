/**
 * Signing in and out of the owner's pages, and the session every other page needs. The owner token
 * is pasted once per device; the session lives in a __Host- cookie (session.ts). No token or
 * session id ever in a URL. Failed attempts are counted per client network together with the owner
 * API's (lib/worker-kit/rate-limit.ts countAuthFailure, the Rate Limiting binding: nothing written);
 * only failures are counted, so the right token always signs in, whatever others on the same network
 * tried. One answer for every wrong token.
 */
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler } from "hono";
import type { FC } from "hono/jsx";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { CONSENT_ROUTE } from "../shared/urls.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import { constantTimeEqual } from "../worker-kit/owner-auth.ts";
import { countAuthFailure, RATE_LIMIT_PERIOD_SECONDS } from "../worker-kit/rate-limit.ts";
import { ErrorAlert } from "./components.tsx";
import type { OwnerKit } from "./kit.ts";
import { clearSessionCookie, createSession, endSession, sessionIdOf, setSessionCookie, validSession } from "./session.ts";

const signInForm = z.object({ token: z.string().check(z.minLength(1), z.maxLength(512)), next: z.optional(z.string()) });

/**
 * Where to go once signed in: the owner page first asked for (an app's sign-in request carries its whole
 * query), only ever a path of the owner's pages, never another site.
 */
export function nextPath(next: string | undefined): string {
  return next && next.length <= 4096 && /^\/owner\/[^\\\s]*$/.test(next) && !next.startsWith("//") ? next : "/owner/";
}
const SIGN_IN = { title: "Sign in", section: "sign-in", signedIn: false } as const;

export const SignInPage: FC<{ error?: string; next?: string }> = ({ error, next }) => (
  <>
    <h1>Sign in</h1>
    <p>
      Paste your owner token: OWNER_TOKEN in .dev.vars on your machine, or the secret you set when you deployed. This device then stays signed in for 14 days.
    </p>
    <ErrorAlert error={error} />
    <form class="owner-form" method="post" action="/owner/sign-in">
      {next && next !== "/owner/" ? <input type="hidden" name="next" value={next} /> : null}
      <label for="token">Owner token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required maxlength={512} />
      <div class="owner-actions">
        <button type="submit" class="primary">
          Sign in
        </button>
      </div>
    </form>
  </>
);

export function signInRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();

  routes.get("/sign-in", async (c) => {
    const next = nextPath(c.req.query("next"));
    if (await validSession(c.var.db, sessionIdOf(c), kit.deps.now())) return c.redirect(next, 303);
    return c.render(<SignInPage next={next} />, SIGN_IN);
  });

  routes.post(
    "/sign-in",
    zValidator("form", signInForm, (result, c) => {
      if (result.success) return undefined;
      c.status(400);
      return c.render(<SignInPage error="Paste the owner token." />, SIGN_IN);
    }),
    async (c) => {
      const { token, next } = c.req.valid("form");
      const configured = c.env.OWNER_TOKEN?.trim();
      if (!configured || !(await constantTimeEqual(token.trim(), configured))) {
        if (!(await countAuthFailure(c.env.OWNER_AUTH_FAILURE_LIMIT, c.req.header("CF-Connecting-IP")))) {
          c.status(429);
          c.header("Retry-After", String(RATE_LIMIT_PERIOD_SECONDS));
          return c.render(
            <SignInPage next={nextPath(next)} error="Too many failed attempts from your network; wait a minute and try again. The right token always works." />,
            SIGN_IN,
          );
        }
        // One answer for every failure: no hint whether the token was close, or set at all.
        c.status(401);
        return c.render(<SignInPage next={nextPath(next)} error="That did not work. Check the token and try again." />, SIGN_IN);
      }
      const session = await createSession(c.var.db, kit.deps.now());
      setSessionCookie(c, session.id, session.expiresAtMs);
      return c.redirect(nextPath(next), 303);
    },
  );

  routes.post("/sign-out", async (c) => {
    await endSession(c.var.db, sessionIdOf(c));
    clearSessionCookie(c);
    return c.redirect("/owner/sign-in", 303);
  });

  return routes;
}

/** Every page but signing in needs a session: never data without one. */
export function requireSession(kit: OwnerKit): MiddlewareHandler<WorkerBindings> {
  return async (c, next) => {
    if (await validSession(c.var.db, sessionIdOf(c), kit.deps.now())) return next();
    if (c.req.method === "GET" || c.req.method === "HEAD") {
      // An app's authorization request (IndieAuth §5.2) is carried through signing in, query and all.
      const url = new URL(c.req.url);
      if (url.pathname !== CONSENT_ROUTE) return c.redirect("/owner/sign-in", 303);
      return c.redirect(`/owner/sign-in?next=${encodeURIComponent(nextPath(url.pathname + url.search))}`, 303);
    }
    c.status(401);
    return c.render(<SignInPage error="Your session has ended; sign in again. Nothing was changed." />, { ...SIGN_IN, title: "Signed out" });
  };
}
