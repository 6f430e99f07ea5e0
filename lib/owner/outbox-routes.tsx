/**
 * The outbox on the owner's pages (registered by routes.tsx after the session check):
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
import type { Hono } from "hono/tiny";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as z from "zod/mini";
import { SEND_BUDGET } from "../outbox/policy.ts";
import { decodeCursor, encodeCursor } from "../outbox/routes.ts";
import { DEFAULT_PAGE_SIZE, itemParam, listQuery, messageText, recipientText } from "../outbox/schemas.ts";
import { type Recipient, sendMessage } from "../outbox/send-message.ts";
import { type ListQuery, listOutbox, normalizedLink, requeue } from "../outbox/store.ts";
import type { OutboxSendAnswer } from "../shared/api-types.ts";
import { Budget } from "../shared/budget.ts";
import type { Problem } from "../shared/problem.ts";
import { ok, type Result } from "../shared/result.ts";
import { describeIssues } from "../shared/schemas.ts";
import { LIMITS } from "../shared/spec.ts";
import { allowLoopback, type WorkerBindings } from "../worker-kit/env.ts";
import { peerParam } from "./inbox-pages.tsx";
import { OutboxPage, WritePage } from "./outbox-pages.tsx";
import type { OwnerPageKit } from "./page-kit.ts";
import { returnTarget } from "./security.ts";

/** A notice key (the text is fixed in inbox-pages.tsx's Notice). */
const noticeKey = z.optional(z.string().check(z.maxLength(40)));

/** The filter form sends state="" for "everything". */
export const outboxPageQuery = z.extend(listQuery, {
  state: z.optional(z.union([z.literal(""), listQuery.shape.state])),
  notice: noticeKey,
});

/**
 * A browser submits a textarea's line breaks as CRLF (HTML's form encoding); the message goes out
 * with the LF line breaks the CLI sends.
 */
const formText = <T extends z.ZodMiniType<string, string>>(schema: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((value: string) => value.replace(/\r\n?/g, "\n")),
    ),
    schema,
  );

export const answerForm = z.object({ message: formText(messageText) });
export const writeForm = z.object({ recipient: recipientText, message: formText(messageText) });
const writeQuery = z.object({ to: z.optional(z.string().check(z.maxLength(LIMITS.urlLength))) });
const returnForm = z.object({ return_to: z.optional(z.string().check(z.maxLength(2000))) });

/** Send a private message exactly as POST /api/outbox/messages does (same function, same budget). */
export async function sendOutcome(
  kit: OwnerPageKit,
  c: Context<WorkerBindings>,
  recipient: Recipient,
  text: string,
): Promise<Result<OutboxSendAnswer, Problem>> {
  const sent = await sendMessage(kit.config, recipient, text, {
    db: c.var.db,
    fetch: kit.deps.fetch,
    allowLoopback: allowLoopback(c.env),
    budget: new Budget(SEND_BUDGET, kit.deps.now),
    now: kit.deps.now,
  });
  return sent.ok ? ok(sent.value.answer) : sent;
}

/** The field of a form that failed its schema, as typed (kept in the form shown again). */
export function typed(data: unknown, field: string): string {
  const value = data && typeof data === "object" ? (data as Record<string, unknown>)[field] : undefined;
  return typeof value === "string" ? value : "";
}

export function outboxPages(routes: Hono<WorkerBindings>, kit: OwnerPageKit): void {
  const { render, config } = kit;
  const postUrlPrefix = config.owner.post_url_prefix;

  routes.get(
    "/outbox",
    zValidator("query", outboxPageQuery, async (result, c) =>
      result.success
        ? undefined
        : render(
            c,
            400,
            "Outbox",
            "outbox",
            <OutboxPage
              items={[]}
              postUrlPrefix={postUrlPrefix}
              error={`That is not a view of the outbox: ${describeIssues(result.error.issues).join("; ")}`}
            />,
          ),
    ),
    async (c) => {
      const { limit, cursor, state, notice } = c.req.valid("query");
      const query: ListQuery = { limit: limit ?? DEFAULT_PAGE_SIZE };
      if (state) query.state = state;
      const page = (body: Parameters<typeof OutboxPage>[0], status: ContentfulStatusCode = 200) =>
        render(c, status, "Outbox", "outbox", <OutboxPage {...body} />);
      if (cursor) {
        const beforeId = decodeCursor(cursor);
        if (beforeId === undefined) return page({ items: [], postUrlPrefix, error: "That is not a page of the outbox; start again from the first page." }, 400);
        query.beforeId = beforeId;
      }
      const listed = await listOutbox(c.var.db, query);
      let older: string | undefined;
      if (listed.nextBeforeId !== undefined) {
        const params = new URLSearchParams();
        if (state) params.set("state", state);
        if (limit !== undefined) params.set("limit", String(limit));
        params.set("cursor", encodeCursor(listed.nextBeforeId));
        older = `/owner/outbox?${params}`;
      }
      return page({
        items: listed.items,
        postUrlPrefix,
        ...(state ? { state } : {}),
        ...(older ? { older } : {}),
        ...(notice !== undefined ? { notice } : {}),
      });
    },
  );

  const notFound = (c: Context) => render(c, 404, "Not found", "outbox", <p>There is no such outbox item.</p>);

  // The same requeue as POST /api/outbox/:id/retry: refused or failed -> queued, due now.
  routes.post(
    "/outbox/:id/retry",
    zValidator("param", itemParam, (result, c) => (result.success ? undefined : notFound(c))),
    zValidator("form", returnForm, (result, c) =>
      result.success ? undefined : render(c, 400, "Bad request", "outbox", <p class="owner-error">That form was not one of these pages'.</p>),
    ),
    async (c) => {
      const { id } = c.req.valid("param");
      const result = await requeue(c.var.db, id, kit.deps.now());
      if (result.status === "missing") return notFound(c);
      if (result.status === "not-retryable") {
        return render(
          c,
          409,
          "Outbox",
          "outbox",
          <>
            <p class="owner-error" role="alert">
              {`Outbox item ${id} is ${result.item.state}; only a refused or failed one can be retried.`}
            </p>
            <p>
              <a href={`/owner/outbox#item-${id}`}>Back to the outbox</a>
            </p>
          </>,
        );
      }
      const back = returnTarget(c.req.valid("form").return_to, "/owner/outbox", "retried");
      return c.redirect(back.includes("#") ? back : `${back}#item-${id}`, 303);
    },
  );

  routes.get(
    "/outbox/write",
    zValidator("query", writeQuery, (result, c) =>
      result.success
        ? undefined
        : render(c, 400, "Write a message", "outbox", <WritePage recipient="" draft="" follows={config.follows} error="That link is too long." />),
    ),
    (c) => render(c, 200, "Write a message", "outbox", <WritePage recipient={c.req.valid("query").to ?? ""} draft="" follows={config.follows} />),
  );

  routes.post(
    "/outbox/write",
    zValidator("form", writeForm, (result, c) =>
      result.success
        ? undefined
        : render(
            c,
            400,
            "Write a message",
            "outbox",
            <WritePage
              recipient={typed(result.data, "recipient")}
              draft={typed(result.data, "message")}
              follows={config.follows}
              error={`Not sent: ${describeIssues(result.error.issues).join("; ")}`}
            />,
          ),
    ),
    async (c) => {
      const { recipient, message } = c.req.valid("form");
      const sent = await sendOutcome(kit, c, { kind: "address", value: recipient }, message);
      if (!sent.ok) {
        return render(
          c,
          sent.error.status as ContentfulStatusCode,
          "Write a message",
          "outbox",
          <WritePage recipient={recipient} draft={message} follows={config.follows} error={`Not sent: ${sent.error.detail}`} />,
        );
      }
      const { outcome, item } = sent.value;
      // Sent: the conversation now holds it. Queued: the outbox shows when it is tried next.
      if (outcome === "sent") return c.redirect(`/owner/inbox/conversations/${peerParam(normalizedLink(item.user_link))}?notice=sent`, 303);
      return c.redirect(`/owner/outbox?notice=queued#item-${item.id}`, 303);
    },
  );
}
