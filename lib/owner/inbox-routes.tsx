/**
 * The inbox section of the owner's pages (mounted at /owner/inbox, behind the session):
 *
 *   GET  /owner/inbox[?before=]                          conversations and reply notifications
 *   GET  /owner/inbox/conversations/:peer[?before=]      one conversation, oldest first, and its answer form
 *   POST /owner/inbox/conversations/:peer/answer         answer it through the outbox
 *   POST /owner/inbox/conversations/:peer/read           mark the whole conversation read
 *   POST /owner/inbox/{messages,replies}/:id/{read,delete}
 *   POST /owner/inbox/replies/:id/{approve,reject}       the same decision as npm run replies
 *
 * Every change is a POST answered by a redirect back (POST-redirect-GET) with a notice key.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as z from "zod/mini";
import { knownNames } from "../inbox/owner-routes.ts";
import { deleteItem, markConversationRead, markRead, setModeration } from "../inbox/store.ts";
import type { Db } from "../shared/d1.ts";
import { parseInteger } from "../shared/integers.ts";
import { integerText } from "../shared/schemas.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import { foreignForm, peerFromParam, peerParam } from "./components.tsx";
import { invalidPage, noticeKey, returnForm, typed } from "./forms.ts";
import { ConversationPage, InboxPage } from "./inbox-pages.tsx";
import { answerRecipient, conversationView, inboxView } from "./inbox-queries.ts";
import type { OwnerKit } from "./kit.ts";
import { UndeliveredMessages } from "./outbox-pages.tsx";
import { returnTarget } from "./security.ts";
import { answerForm, sendOutcome } from "./send.ts";

const INBOX = { title: "Inbox", section: "inbox" } as const;
const idParam = z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER) });
const peerParamSchema = z.object({ peer: z.string().check(z.maxLength(3000)) });
const cursorQuery = z.object({ before: z.optional(z.string().check(z.maxLength(20))), notice: noticeKey });

const conversationPath = (peer: string) => `/owner/inbox/conversations/${peerParam(peer)}`;

function notFound(c: Context, text = "There is no such item (it may have been deleted already).") {
  c.status(404);
  return c.render(<p>{text}</p>, { title: "Not found", section: "inbox" });
}

const invalidForm = foreignForm("inbox");
const invalidId = (result: { success: boolean }, c: Context) => (result.success ? undefined : notFound(c));

interface ConversationOptions {
  beforeId?: number;
  notice?: string;
  /** An answer that was not sent: its text, kept in the form, and why. */
  draft?: string;
  error?: string;
  status?: ContentfulStatusCode;
}

/** One conversation, oldest first, its undelivered messages, and the answer form. */
async function conversationPage(c: Context, peer: string | undefined, options: ConversationOptions & { names?: readonly string[] } = {}) {
  // A zValidator hook's context is typed without our bindings; it is the same request.
  const view = peer ? await conversationView((c as Context<WorkerBindings>).var.db, peer, options.beforeId, options.names) : undefined;
  const newest = view?.messages[0];
  if (!peer || !view || !newest) return notFound(c, "There is no such conversation.");
  const here = conversationPath(peer);
  c.status(options.status ?? 200);
  return c.render(
    <ConversationPage
      peer={peer}
      username={newest.username}
      userLink={newest.user_link}
      messages={[...view.messages].reverse()}
      undelivered={view.undelivered.length ? <UndeliveredMessages items={view.undelivered} returnTo={`${here}#undelivered`} /> : undefined}
      canAnswer={true}
      {...(view.nextBeforeId !== undefined ? { earlier: `${here}?before=${view.nextBeforeId}` } : {})}
      {...(options.notice !== undefined ? { notice: options.notice } : {})}
      {...(options.draft !== undefined ? { draft: options.draft } : {})}
      {...(options.error !== undefined ? { error: options.error } : {})}
    />,
    { title: `@${newest.username}`, section: "inbox" },
  );
}

/** GET /owner/inbox: conversations and reply notifications. */
function listRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  const names = knownNames(kit.config);
  routes.get(
    "/",
    zValidator("query", cursorQuery, () => undefined),
    async (c) => {
      const { before, notice } = c.req.valid("query");
      const view = await inboxView(c.var.db, parseInteger(before, { min: 1 }), names);
      return c.render(
        <InboxPage
          conversations={view.conversations}
          replies={view.replies}
          {...(view.nextRepliesBeforeId !== undefined ? { olderReplies: `/owner/inbox?before=${view.nextRepliesBeforeId}#replies` } : {})}
          {...(notice !== undefined ? { notice } : {})}
        />,
        INBOX,
      );
    },
  );
  return routes;
}

/** One conversation: reading it, answering it, marking it read. */
function conversationRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  const names = knownNames(kit.config);
  routes.get(
    "/:peer",
    zValidator("param", peerParamSchema),
    zValidator("query", cursorQuery, () => undefined),
    async (c) => {
      const { before, notice } = c.req.valid("query");
      const beforeId = parseInteger(before, { min: 1 });
      return conversationPage(c, peerFromParam(c.req.valid("param").peer), {
        names,
        ...(beforeId !== undefined ? { beforeId } : {}),
        ...(notice !== undefined ? { notice } : {}),
      });
    },
  );

  // Answer through the outbox (the same sendMessage as POST /api/outbox/messages): to the sender of
  // the newest message when that one was received (their feed must still be theirs), else to the
  // feed the last message went to. Sent or queued: back to the conversation; not sent: the page
  // again, the text still in the form, and why.
  routes.post(
    "/:peer/answer",
    zValidator("param", peerParamSchema),
    zValidator(
      "form",
      answerForm,
      invalidPage((c, { problems, data }) =>
        conversationPage(c, peerFromParam(c.req.param("peer") ?? ""), { draft: typed(data, "message"), error: `Not sent: ${problems}`, status: 400 }),
      ),
    ),
    async (c) => {
      const peer = peerFromParam(c.req.valid("param").peer);
      const { message } = c.req.valid("form");
      const recipient = peer ? await answerRecipient(c.var.db, peer) : undefined;
      if (!peer || !recipient) return conversationPage(c, undefined);
      const sent = await sendOutcome(kit, c, recipient, message);
      if (!sent.ok) return conversationPage(c, peer, { draft: message, error: sent.error.detail, status: sent.error.status as ContentfulStatusCode });
      const { outcome } = sent.value;
      return c.redirect(`${conversationPath(peer)}?notice=${outcome}${outcome === "queued" ? "#undelivered" : ""}`, 303);
    },
  );

  routes.post("/:peer/read", zValidator("param", peerParamSchema), zValidator("form", returnForm, invalidForm), async (c) => {
    const peer = peerFromParam(c.req.valid("param").peer);
    if (!peer) return notFound(c);
    await markConversationRead(c.var.db, peer, kit.deps.now());
    return c.redirect(returnTarget(c.req.valid("form").return_to, conversationPath(peer), "conversation-read"), 303);
  });
  return routes;
}

/** Read, delete, approve, reject: one POST per action on one message or reply. */
function itemRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  // One route per action on one item; none found (deleted already, say): a 404 page, nothing changed.
  const itemAction = (path: string, act: (db: Db, id: number) => Promise<boolean>, fallback: string, notice: string) =>
    routes.post(path, zValidator("param", idParam, invalidId), zValidator("form", returnForm, invalidForm), async (c) => {
      if (!(await act(c.var.db, c.req.valid("param").id))) return notFound(c);
      return c.redirect(returnTarget(c.req.valid("form").return_to, fallback, notice), 303);
    });

  for (const kind of ["messages", "replies"] as const) {
    itemAction(`/${kind}/:id/read`, (db, id) => markRead(db, kind, id, kit.deps.now()), "/owner/inbox", "read");
    itemAction(`/${kind}/:id/delete`, (db, id) => deleteItem(db, kind, id), "/owner/inbox", "deleted");
  }
  // The same decision as npm run replies (approve / reject): the repository is written from the owner's machine.
  itemAction("/replies/:id/approve", (db, id) => setModeration(db, id, "approved", kit.deps.now()), "/owner/inbox#replies", "approved");
  itemAction("/replies/:id/reject", (db, id) => setModeration(db, id, "rejected", kit.deps.now()), "/owner/inbox#replies", "rejected");
  return routes;
}

export function inboxRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  return new Hono<WorkerBindings>().route("/", listRoutes(kit)).route("/conversations", conversationRoutes(kit)).route("/", itemRoutes(kit));
}
