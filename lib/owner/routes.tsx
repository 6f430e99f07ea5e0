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
import { Hono } from "hono/tiny";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as z from "zod/mini";
import { conversationMessages, countInbox, deleteItem, listConversations, listReplies, markConversationRead, markRead, setModeration } from "../inbox/store.ts";
import { countOutbox, undeliveredMessages } from "../outbox/store.ts";
import { parseInteger } from "../shared/integers.ts";
import { describeIssues, integerText } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { countRecentTimeline } from "../timeline/store.ts";
import type { WorkerBindings, WorkerDeps } from "../worker-kit/env.ts";
import { constantTimeEqual } from "../worker-kit/owner-auth.ts";
import { clientNetworkKey, withinLimit } from "../worker-kit/rate-limit.ts";
import { ConversationPage, InboxPage, Overview, peerFromParam, peerParam, SignInPage } from "./inbox-pages.tsx";
import { Layout, type LayoutProps } from "./layout.tsx";
import { UndeliveredMessages } from "./outbox-pages.tsx";
import { answerForm, outboxPages, sendOutcome, typed } from "./outbox-routes.tsx";
import type { OwnerPageKit } from "./page-kit.ts";
import { ownerPageHeaders, returnTarget, sameOrigin } from "./security.ts";
import { clearSessionCookie, createSession, endSession, sessionIdOf, setSessionCookie, validSession } from "./session.ts";
import { OWNER_CSS } from "./style.ts";
import { timelinePages } from "./timeline-routes.tsx";

/** The sections of the owner's pages; later capabilities add theirs through OwnerPagesOptions. */
const BASE_SECTIONS: LayoutProps["sections"] = [
  { section: "overview", path: "/owner/", label: "Overview" },
  { section: "inbox", path: "/owner/inbox", label: "Inbox" },
  { section: "timeline", path: "/owner/timeline", label: "Timeline" },
  { section: "outbox", path: "/owner/outbox", label: "Outbox" },
];

const PAGE_SIZE = 50;
/** Undelivered messages shown under a conversation (the outbox page lists them all). */
const UNDELIVERED_SHOWN = 10;
/** The overview's windows: posts of the last day, mentions of the last week. */
const RECENT_POSTS_MS = 24 * 60 * 60_000;
const RECENT_MENTIONS_MS = 7 * RECENT_POSTS_MS;

const signInForm = z.object({ token: z.string().check(z.minLength(1), z.maxLength(512)) });
const returnForm = z.object({ return_to: z.optional(z.string().check(z.maxLength(2000))) });
const idParam = z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER) });
const peerParamSchema = z.object({ peer: z.string().check(z.maxLength(3000)) });
const cursorQuery = z.object({ before: z.optional(z.string().check(z.maxLength(20))), notice: z.optional(z.string().check(z.maxLength(40))) });

export { returnTarget } from "./security.ts";

export interface OwnerPagesOptions {
  /** Sections of later capabilities, shown in the navigation. */
  sections?: LayoutProps["sections"];
}

export function ownerPages(config: SiteConfig, deps: WorkerDeps, options: OwnerPagesOptions = {}): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  const sections = [...BASE_SECTIONS, ...(options.sections ?? [])];

  const render: OwnerPageKit["render"] = async (c, status, title, section, body, signedIn = true) => {
    const element = (
      <Layout title={title} section={section} username={config.owner.username} signedIn={signedIn} sections={sections}>
        {body}
      </Layout>
    );
    return c.html(`<!doctype html>\n${await element.toString()}`, status);
  };

  const kit: OwnerPageKit = { config, deps, render };

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

  routes.get("/", async (c) => {
    const now = deps.now();
    const [inbox, timeline, outbox] = await Promise.all([
      countInbox(c.var.db),
      countRecentTimeline(c.var.db, { postsSinceMs: now - RECENT_POSTS_MS, mentionsSinceMs: now - RECENT_MENTIONS_MS }),
      countOutbox(c.var.db),
    ]);
    const extra = [
      { count: timeline.posts, label: "posts in your timeline", path: "/owner/timeline", after: "in the last 24 hours" },
      { count: timeline.mentions, label: "mentions of you", path: "/owner/timeline?mentions=1", after: "in the last 7 days" },
      { count: outbox.queued, label: "waiting to be sent", path: "/owner/outbox?state=queued", after: "in the outbox" },
      { count: outbox.failed, label: "not sent (failed)", path: "/owner/outbox?state=failed", after: "in the outbox" },
      { count: outbox.refused, label: "refused by the receiver", path: "/owner/outbox?state=refused", after: "in the outbox" },
    ];
    return render(c, 200, "Overview", "overview", <Overview counts={inbox} extra={extra} />);
  });

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

  /**
   * One conversation, oldest first, its undelivered messages, and the answer form. An answer that
   * was not sent comes back here with its text still in the form (`draft`) and why (`error`).
   */
  const conversationPage = async (
    c: Context,
    peer: string | undefined,
    options: { beforeId?: number; notice?: string; draft?: string; error?: string; status?: ContentfulStatusCode } = {},
  ) => {
    // A zValidator hook's context is typed without our bindings; it is the same request.
    const db = (c as Context<WorkerBindings>).var.db;
    const [listed, undelivered] = peer
      ? await Promise.all([
          conversationMessages(db, peer, { limit: PAGE_SIZE, ...(options.beforeId !== undefined ? { beforeId: options.beforeId } : {}) }),
          undeliveredMessages(db, peer, UNDELIVERED_SHOWN),
        ])
      : [undefined, []];
    const newest = listed?.items[0];
    if (!peer || !listed || !newest) return render(c, 404, "Not found", "inbox", <p>There is no such conversation.</p>);
    return render(
      c,
      options.status ?? 200,
      `@${newest.username}`,
      "inbox",
      <ConversationPage
        peer={peer}
        username={newest.username}
        userLink={newest.user_link}
        messages={[...listed.items].reverse()}
        undelivered={
          undelivered.length ? <UndeliveredMessages items={undelivered} returnTo={`/owner/inbox/conversations/${peerParam(peer)}#undelivered`} /> : undefined
        }
        canAnswer={true}
        {...(listed.nextBeforeId !== undefined ? { earlier: `/owner/inbox/conversations/${peerParam(peer)}?before=${listed.nextBeforeId}` } : {})}
        {...(options.notice !== undefined ? { notice: options.notice } : {})}
        {...(options.draft !== undefined ? { draft: options.draft } : {})}
        {...(options.error !== undefined ? { error: options.error } : {})}
      />,
    );
  };

  routes.get(
    "/inbox/conversations/:peer",
    zValidator("param", peerParamSchema),
    zValidator("query", cursorQuery, () => undefined),
    async (c) => {
      const { before, notice } = c.req.valid("query");
      const beforeId = parseInteger(before, { min: 1 });
      return conversationPage(c, peerFromParam(c.req.valid("param").peer), {
        ...(beforeId !== undefined ? { beforeId } : {}),
        ...(notice !== undefined ? { notice } : {}),
      });
    },
  );

  // Answer the conversation through the outbox (the same sendMessage as POST /api/outbox/messages):
  // to the sender of its newest message when that one was received (their feed must still be
  // theirs), else to the feed the last message went to. Sent or queued: back to the conversation
  // (POST-redirect-GET); not sent: the page again, the text still in the form, and why.
  routes.post(
    "/inbox/conversations/:peer/answer",
    zValidator("param", peerParamSchema),
    zValidator("form", answerForm, async (result, c) => {
      if (result.success) return undefined;
      const draft = typed(result.data, "message");
      return conversationPage(c, peerFromParam(c.req.param("peer") ?? ""), {
        draft,
        error: `Not sent: ${describeIssues(result.error.issues).join("; ")}`,
        status: 400,
      });
    }),
    async (c) => {
      const peer = peerFromParam(c.req.valid("param").peer);
      const { message } = c.req.valid("form");
      const newest = peer ? (await conversationMessages(c.var.db, peer, { limit: 1 })).items[0] : undefined;
      if (!peer || !newest) return conversationPage(c, undefined);
      const recipient =
        newest.direction === "received" ? ({ kind: "message", id: newest.id } as const) : ({ kind: "address", value: newest.user_link } as const);
      const sent = await sendOutcome(kit, c, recipient, message);
      if (!sent.ok) return conversationPage(c, peer, { draft: message, error: sent.error.detail, status: sent.error.status as ContentfulStatusCode });
      return c.redirect(
        `/owner/inbox/conversations/${peerParam(peer)}?notice=${sent.value.outcome}${sent.value.outcome === "queued" ? "#undelivered" : ""}`,
        303,
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

  timelinePages(routes, kit);
  outboxPages(routes, kit);

  routes.all("*", (c) => render(c, 404, "Not found", "overview", <p>There is no such page.</p>));
  return routes;
}
