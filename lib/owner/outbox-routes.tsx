/**
 * The outbox section of the owner's pages (mounted at /owner/outbox, behind the session):
 *
 *   GET  /owner/outbox[?state=&cursor=]   every notification and message, newest first, by state
 *   POST /owner/outbox/:id/retry          a refused or failed one back in the queue
 *   GET  /owner/outbox/write[?to=]        the form to write a new message
 *   POST /owner/outbox/write              send it
 *
 * One store, one set of rules: the list is listOutbox with the API's query schema and cursor, Retry
 * is requeue (POST /api/outbox/:id/retry), and sending is sendMessage (POST /api/outbox/messages)
 * with the same budget. Sent or queued ends in a redirect (POST-redirect-GET); a message that was not
 * sent comes back in its form with why, so nothing typed is lost.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as z from "zod/mini";
import { itemParam, listQuery } from "../outbox/schemas.ts";
import { normalizedLink, requeue } from "../outbox/store.ts";
import { LIMITS } from "../shared/spec.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import { foreignForm, peerParam } from "./components.tsx";
import { invalidPage, noticeKey, returnForm, typed } from "./forms.ts";
import type { OwnerKit } from "./kit.ts";
import { OutboxPage, WritePage } from "./outbox-pages.tsx";
import { outboxView } from "./outbox-queries.ts";
import { returnTarget } from "./security.ts";
import { sendOutcome, writeForm } from "./send.ts";

/** The filter form sends state="" for "everything". */
export const outboxPageQuery = z.extend(listQuery, {
  state: z.optional(z.union([z.literal(""), listQuery.shape.state])),
  notice: noticeKey,
});
const writeQuery = z.object({ to: z.optional(z.string().check(z.maxLength(LIMITS.urlLength))) });

const OUTBOX = { title: "Outbox", section: "outbox" } as const;
const WRITE = { title: "Write a message", section: "outbox" } as const;

function notFound(c: Context) {
  c.status(404);
  return c.render(<p>There is no such outbox item.</p>, { title: "Not found", section: "outbox" });
}

/** GET /owner/outbox: one page of the outbox, by state. */
function listRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const postUrlPrefix = kit.config.owner.post_url_prefix;
  const routes = new Hono<WorkerBindings>();

  routes.get(
    "/",
    zValidator(
      "query",
      outboxPageQuery,
      invalidPage((c, { problems }) =>
        c.render(<OutboxPage items={[]} postUrlPrefix={postUrlPrefix} error={`That is not a view of the outbox: ${problems}`} />, OUTBOX),
      ),
    ),
    async (c) => {
      const { limit, cursor, state, notice } = c.req.valid("query");
      const view = await outboxView(c.var.db, { ...(state ? { state } : {}), ...(limit !== undefined ? { limit } : {}), ...(cursor ? { cursor } : {}) });
      if (!view) {
        c.status(400);
        return c.render(
          <OutboxPage items={[]} postUrlPrefix={postUrlPrefix} error="That is not a page of the outbox; start again from the first page." />,
          OUTBOX,
        );
      }
      return c.render(
        <OutboxPage
          items={view.items}
          postUrlPrefix={postUrlPrefix}
          {...(state ? { state } : {})}
          {...(view.older ? { older: view.older } : {})}
          {...(notice !== undefined ? { notice } : {})}
        />,
        OUTBOX,
      );
    },
  );
  return routes;
}

/** POST /owner/outbox/:id/retry. */
function retryRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();

  // The same requeue as POST /api/outbox/:id/retry: refused or failed -> queued, due now.
  routes.post(
    "/:id/retry",
    zValidator("param", itemParam, (result, c) => (result.success ? undefined : notFound(c))),
    zValidator("form", returnForm, foreignForm("outbox")),
    async (c) => {
      const { id } = c.req.valid("param");
      const result = await requeue(c.var.db, id, kit.deps.now());
      if (result.status === "missing") return notFound(c);
      if (result.status === "not-retryable") {
        c.status(409);
        return c.render(
          <>
            <p class="owner-error" role="alert">
              {`Outbox item ${id} is ${result.item.state}; only a refused or failed one can be retried.`}
            </p>
            <p>
              <a href={`/owner/outbox#item-${id}`}>Back to the outbox</a>
            </p>
          </>,
          OUTBOX,
        );
      }
      const back = returnTarget(c.req.valid("form").return_to, "/owner/outbox", "retried");
      return c.redirect(back.includes("#") ? back : `${back}#item-${id}`, 303);
    },
  );
  return routes;
}

/** GET and POST /owner/outbox/write: a new private message. */
function writeRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const { config } = kit;
  const routes = new Hono<WorkerBindings>();

  routes.get(
    "/",
    zValidator(
      "query",
      writeQuery,
      invalidPage((c) => c.render(<WritePage recipient="" draft="" follows={config.follows} error="That link is too long." />, WRITE)),
    ),
    (c) => c.render(<WritePage recipient={c.req.valid("query").to ?? ""} draft="" follows={config.follows} />, WRITE),
  );

  routes.post(
    "/",
    zValidator(
      "form",
      writeForm,
      invalidPage((c, { problems, data }) =>
        c.render(
          <WritePage recipient={typed(data, "recipient")} draft={typed(data, "message")} follows={config.follows} error={`Not sent: ${problems}`} />,
          WRITE,
        ),
      ),
    ),
    async (c) => {
      const { recipient, message } = c.req.valid("form");
      const sent = await sendOutcome(kit, c, { kind: "address", value: recipient }, message);
      if (!sent.ok) {
        c.status(sent.error.status as ContentfulStatusCode);
        return c.render(<WritePage recipient={recipient} draft={message} follows={config.follows} error={`Not sent: ${sent.error.detail}`} />, WRITE);
      }
      const { outcome, item } = sent.value;
      // Sent: the conversation now holds it. Queued: the outbox shows when it is tried next.
      if (outcome === "sent") return c.redirect(`/owner/inbox/conversations/${peerParam(normalizedLink(item.user_link))}?notice=sent`, 303);
      return c.redirect(`/owner/outbox?notice=queued#item-${item.id}`, 303);
    },
  );
  return routes;
}

export function outboxRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  return new Hono<WorkerBindings>().route("/", listRoutes(kit)).route("/", retryRoutes(kit)).route("/write", writeRoutes(kit));
}
