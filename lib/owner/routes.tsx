/**
 * The owner's pages under /owner/ (mounted by lib/worker/app.ts): sign in with the owner token once
 * per device, then read and act on the inbox -- server-rendered HTML (Hono JSX), no JavaScript,
 * readable on a phone. Every page reads and writes through the same store functions as the owner API
 * and the CLIs; the pages add only the session and the forms.
 *
 * Security (lib/owner/security.ts, session.ts): strict CSP and no-store on every response; a session
 * cookie that is __Host-, HttpOnly, Secure, SameSite=Strict and expires; sign-in attempts counted by
 * the Rate Limiting binding (a refused attempt writes nothing) and one answer for every wrong token;
 * every change is a POST whose Origin must be this origin; no token or session id ever in a URL.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler } from "hono";
import type { Child } from "hono/jsx";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { clientNetworkKey, withinLimit } from "../inbox/rate-limit.ts";
import { conversationMessages, countInbox, deleteItem, listConversations, listReplies, markConversationRead, markRead, setModeration } from "../inbox/store.ts";
import { parseInteger } from "../shared/integers.ts";
import { integerText } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import type { WorkerBindings, WorkerDeps } from "../worker/env.ts";
import { constantTimeEqual } from "../worker/owner-auth.ts";
import { ConversationPage, InboxPage, Overview, peerFromParam, peerParam, SignInPage } from "./inbox-pages.tsx";
import { Layout, type LayoutProps, type OwnerSection } from "./layout.tsx";
import { ownerPageHeaders, sameOrigin } from "./security.ts";
import { clearSessionCookie, createSession, endSession, sessionIdOf, setSessionCookie, validSession } from "./session.ts";
import { OWNER_CSS } from "./style.ts";

/** The sections of the owner's pages; later capabilities add theirs through OwnerPagesOptions. */
const BASE_SECTIONS: LayoutProps["sections"] = [
  { section: "overview", path: "/owner/", label: "Overview" },
  { section: "inbox", path: "/owner/inbox", label: "Inbox" },
];

const PAGE_SIZE = 50;

const signInForm = z.object({ token: z.string().check(z.minLength(1), z.maxLength(512)) });
const returnForm = z.object({ return_to: z.optional(z.string().check(z.maxLength(2000))) });
const idParam = z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER) });
const peerParamSchema = z.object({ peer: z.string().check(z.maxLength(3000)) });
const cursorQuery = z.object({ before: z.optional(z.string().check(z.maxLength(20))), notice: z.optional(z.string().check(z.maxLength(40))) });

/** Where to go back to after an action: only a path of the owner's pages, with a notice key. */
export function returnTarget(requested: string | undefined, fallback: string, notice: string): string {
  const path = requested && /^\/owner\/[A-Za-z0-9/_.~%-]*(#[a-z-]+)?$/.test(requested) ? requested : fallback;
  const [beforeHash, hash] = path.split("#");
  return `${beforeHash}?notice=${notice}${hash ? `#${hash}` : ""}`;
}

export interface OwnerPagesOptions {
  /** Sections of later capabilities (timeline, outbox), shown in the navigation. */
  sections?: LayoutProps["sections"];
}

export function ownerPages(config: SiteConfig, deps: WorkerDeps, options: OwnerPagesOptions = {}): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  const sections = [...BASE_SECTIONS, ...(options.sections ?? [])];

  const render = async (c: Context, status: 200 | 400 | 401 | 403 | 404 | 429, title: string, section: OwnerSection, body: Child, signedIn = true) => {
    const element = (
      <Layout title={title} section={section} username={config.owner.username} signedIn={signedIn} sections={sections}>
        {body}
      </Layout>
    );
    return c.html(`<!doctype html>\n${await element.toString()}`, status);
  };

  routes.use("*", ownerPageHeaders);

  // Every change comes from a page of this origin (a cross-site form post is refused, cookie or not).
  routes.use("*", async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && !sameOrigin(c.req.raw)) {
      return render(c, 403, "Refused", "overview", <p class="owner-error">This request did not come from your own pages; nothing was changed.</p>, false);
    }
    await next();
  });

  routes.get("/style.css", async (c) => {
    let site = "";
    if (c.env.ASSETS) {
      const response = await c.env.ASSETS.fetch(new Request(new URL("/assets/style.css", c.req.url)));
      if (response.ok) site = await response.text();
    }
    return c.body(`${site}\n${OWNER_CSS}`, 200, { "Content-Type": "text/css; charset=utf-8" });
  });

  routes.get("/sign-in", async (c) => {
    if (await validSession(c.var.db, sessionIdOf(c), deps.now())) return c.redirect("/owner/", 303);
    return render(c, 200, "Sign in", "sign-in", <SignInPage />, false);
  });

  routes.post(
    "/sign-in",
    zValidator("form", signInForm, async (result, c) =>
      result.success ? undefined : render(c, 400, "Sign in", "sign-in", <SignInPage error="Paste the owner token." />, false),
    ),
    async (c) => {
      if (!(await withinLimit(c.env.OWNER_SIGNIN_LIMIT, clientNetworkKey(c.req.header("CF-Connecting-IP") ?? "unknown")))) {
        return render(c, 429, "Sign in", "sign-in", <SignInPage error="Too many attempts from your network; wait a minute and try again." />, false);
      }
      const { token } = c.req.valid("form");
      const configured = c.env.OWNER_TOKEN?.trim();
      if (!configured || !(await constantTimeEqual(token.trim(), configured))) {
        // One answer for every failure: no hint whether the token was close, or set at all.
        return render(c, 401, "Sign in", "sign-in", <SignInPage error="That did not work. Check the token and try again." />, false);
      }
      const session = await createSession(c.var.db, deps.now());
      setSessionCookie(c, session.id, session.expiresAtMs);
      return c.redirect("/owner/", 303);
    },
  );

  routes.post("/sign-out", async (c) => {
    await endSession(c.var.db, sessionIdOf(c));
    clearSessionCookie(c);
    return c.redirect("/owner/sign-in", 303);
  });

  // Everything below needs a session: never data without one.
  const requireSession: MiddlewareHandler<WorkerBindings> = async (c, next) => {
    if (await validSession(c.var.db, sessionIdOf(c), deps.now())) return next();
    if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect("/owner/sign-in", 303);
    return render(c, 401, "Signed out", "sign-in", <SignInPage error="Your session has ended; sign in again. Nothing was changed." />, false);
  };
  routes.use("*", requireSession);

  routes.get("/", async (c) => render(c, 200, "Overview", "overview", <Overview counts={await countInbox(c.var.db)} />));

  routes.get(
    "/inbox",
    zValidator("query", cursorQuery, () => undefined),
    async (c) => {
      const { before, notice } = c.req.valid("query");
      const beforeId = parseInteger(before, { min: 1 });
      const [conversations, replies] = await Promise.all([
        listConversations(c.var.db, PAGE_SIZE),
        listReplies(c.var.db, { unreadOnly: false, limit: PAGE_SIZE, ...(beforeId !== undefined ? { beforeId } : {}) }),
      ]);
      return render(
        c,
        200,
        "Inbox",
        "inbox",
        <InboxPage
          conversations={conversations.items}
          replies={replies.items}
          {...(replies.nextBeforeId !== undefined ? { olderReplies: `/owner/inbox?before=${replies.nextBeforeId}#replies` } : {})}
          {...(notice !== undefined ? { notice } : {})}
        />,
      );
    },
  );

  routes.get(
    "/inbox/conversations/:peer",
    zValidator("param", peerParamSchema),
    zValidator("query", cursorQuery, () => undefined),
    async (c) => {
      const peer = peerFromParam(c.req.valid("param").peer);
      const { before, notice } = c.req.valid("query");
      const beforeId = parseInteger(before, { min: 1 });
      const listed = peer ? await conversationMessages(c.var.db, peer, { limit: PAGE_SIZE, ...(beforeId !== undefined ? { beforeId } : {}) }) : undefined;
      const newest = listed?.items[0];
      if (!peer || !listed || !newest) return render(c, 404, "Not found", "inbox", <p>There is no such conversation.</p>);
      return render(
        c,
        200,
        `@${newest.username}`,
        "inbox",
        <ConversationPage
          peer={peer}
          username={newest.username}
          userLink={newest.user_link}
          messages={[...listed.items].reverse()}
          canAnswer={false}
          {...(listed.nextBeforeId !== undefined ? { earlier: `/owner/inbox/conversations/${peerParam(peer)}?before=${listed.nextBeforeId}` } : {})}
          {...(notice !== undefined ? { notice } : {})}
        />,
      );
    },
  );

  const notFound = (c: Context) => render(c, 404, "Not found", "inbox", <p>There is no such item (it may have been deleted already).</p>);
  const invalidForm = (result: { success: boolean }, c: Context) =>
    result.success ? undefined : render(c, 400, "Bad request", "inbox", <p class="owner-error">That form was not one of these pages'.</p>);
  const invalidId = (result: { success: boolean }, c: Context) => (result.success ? undefined : notFound(c));

  for (const kind of ["messages", "replies"] as const) {
    routes.post(`/inbox/${kind}/:id/read`, zValidator("param", idParam, invalidId), zValidator("form", returnForm, invalidForm), async (c) => {
      if (!(await markRead(c.var.db, kind, c.req.valid("param").id, deps.now()))) return notFound(c);
      return c.redirect(returnTarget(c.req.valid("form").return_to, "/owner/inbox", "read"), 303);
    });
    routes.post(`/inbox/${kind}/:id/delete`, zValidator("param", idParam, invalidId), zValidator("form", returnForm, invalidForm), async (c) => {
      if (!(await deleteItem(c.var.db, kind, c.req.valid("param").id))) return notFound(c);
      return c.redirect(returnTarget(c.req.valid("form").return_to, "/owner/inbox", "deleted"), 303);
    });
  }

  // The same decision as npm run replies (approve / reject): the repository is written from the owner's machine.
  for (const [action, moderation] of [
    ["approve", "approved"],
    ["reject", "rejected"],
  ] as const) {
    routes.post(`/inbox/replies/:id/${action}`, zValidator("param", idParam, invalidId), zValidator("form", returnForm, invalidForm), async (c) => {
      const { id } = c.req.valid("param");
      if (!(await setModeration(c.var.db, id, moderation, deps.now()))) return notFound(c);
      return c.redirect(returnTarget(c.req.valid("form").return_to, "/owner/inbox#replies", moderation), 303);
    });
  }

  routes.post("/inbox/conversations/:peer/read", zValidator("param", peerParamSchema), zValidator("form", returnForm, invalidForm), async (c) => {
    const peer = peerFromParam(c.req.valid("param").peer);
    if (!peer) return notFound(c);
    await markConversationRead(c.var.db, peer, deps.now());
    return c.redirect(returnTarget(c.req.valid("form").return_to, `/owner/inbox/conversations/${peerParam(peer)}`, "conversation-read"), 303);
  });

  routes.all("*", (c) => render(c, 404, "Not found", "overview", <p>There is no such page.</p>));
  return routes;
}
