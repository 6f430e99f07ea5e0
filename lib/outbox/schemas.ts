/**
 * What the outbox's owner routes accept. Every input of every route goes through one of these with
 * zValidator (lib/outbox/routes.ts).
 */
import * as z from "zod/mini";
import { OUTBOX_STATES } from "../shared/api-types.ts";
import { identitySafe, integerText, xmlSafe } from "../shared/schemas.ts";
import { LIMITS } from "../shared/spec.ts";
import { parseHttpUrl } from "../shared/urls.ts";
import { MAX_PAGE_SIZE } from "../worker-kit/cursor.ts";

const HANDLE = /^@[\p{L}\p{N}_.-]{1,25}$/u;

/** A feed URL, a profile URL, or "@username" of an account in follows.yaml. */
export const recipientText = z.string().check(
  z.maxLength(LIMITS.urlLength, `must be at most ${LIMITS.urlLength} characters`),
  identitySafe(),
  z.refine(
    (value: string) => HANDLE.test(value.trim()) || (!/\s/.test(value.trim()) && parseHttpUrl(value.trim()) !== undefined),
    "must be a feed URL, a profile URL (http:// or https://) or @username of an account you follow",
  ),
);

/** The text of a private message (spec "Sending Private Messages": message). */
export const messageText = z.string().check(
  z.maxLength(LIMITS.messageLength, `must be at most ${LIMITS.messageLength} characters`),
  z.refine((value: string) => value.trim().length > 0, "must not be empty"),
  xmlSafe(),
);

/** POST /api/outbox/messages: {recipient, text} or {reply_to: <id of a received message>, text}. */
export const sendBody = z
  .strictObject({
    recipient: z.optional(recipientText),
    reply_to: z.optional(z.int().check(z.positive("must be the id of a received message"))),
    text: messageText,
  })
  .check(
    z.refine((value) => (value.recipient === undefined) !== (value.reply_to === undefined), {
      message: "give either recipient (a feed URL, profile URL or @username) or reply_to (a received message's id)",
      path: ["recipient"],
    }),
  );
export type SendBody = z.output<typeof sendBody>;

export const listQuery = z.object({
  limit: z.optional(integerText(1, MAX_PAGE_SIZE)),
  cursor: z.optional(z.string().check(z.maxLength(64, "is not a cursor of this list"))),
  state: z.optional(z.enum(OUTBOX_STATES, `must be one of ${OUTBOX_STATES.join(", ")}`)),
});

export const itemParam = z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER) });
