/**
 * What the inbox accepts: the spec's two JSON bodies, and the owner API's path and query parameters.
 * Every input of every route goes through one of these with zValidator (lib/inbox/*-routes.ts).
 */
import * as z from "zod/mini";
import { REPLY_MODERATIONS, VERIFICATIONS } from "../shared/api-types.ts";
import { parseFlexibleDate } from "../shared/dates.ts";
import { flagText, httpUrl, identitySafe, idPattern, integerText, otherUserId, otherUsername, xmlSafe } from "../shared/schemas.ts";
import { LIMITS } from "../shared/spec.ts";
import { MAX_PAGE_SIZE } from "../worker-kit/cursor.ts";

/** The spec's "date" of a message: RFC 822 preferred, ISO 8601 / RFC 3339 accepted; kept as sent. */
export const messageDate = z.pipe(
  z.string().check(z.maxLength(LIMITS.dateLength, "is too long"), identitySafe()),
  z.transform((value: string, ctx) => {
    const epochMs = parseFlexibleDate(value);
    if (epochMs === undefined) {
      ctx.issues.push({ code: "custom", input: value, message: "must be an RFC 822, ISO 8601 or RFC 3339 date" });
      return z.NEVER;
    }
    return { raw: value, epochMs };
  }),
);

/** Spec "Sending Private Messages": user_id, username, user_link, message, date. */
export const messageBody = z.object({
  user_id: otherUserId,
  username: otherUsername,
  user_link: httpUrl,
  message: z.string().check(
    z.maxLength(LIMITS.messageLength, `must be at most ${LIMITS.messageLength} characters`),
    z.refine((value: string) => value.trim().length > 0, "must not be empty"),
    xmlSafe(),
  ),
  date: messageDate,
});
export type MessageBody = z.output<typeof messageBody>;

/**
 * Spec "Sending Replies/Mentions": user_id, username, user_link, status_id. The spec's sample sends the
 * status_id as text; Open Microblog guids are integers, so a JSON number is read as its digits.
 */
export const replyBody = z.object({
  user_id: otherUserId,
  username: otherUsername,
  user_link: httpUrl,
  status_id: z.pipe(
    z.union(
      [z.string().check(z.regex(idPattern, "must be 1-128 URL-safe characters")), z.int().check(z.nonnegative("must be text or a non-negative integer"))],
      {
        error: (issue) => (issue.input === undefined ? "is required" : "must be text or a non-negative integer"),
      },
    ),
    z.transform((value: string | number) => String(value)),
  ),
});
export type ReplyBody = z.output<typeof replyBody>;

/** Our post's guid in /api/posts/:id/reply. */
export const postIdParam = z.object({ id: integerText(0, Number.MAX_SAFE_INTEGER) });

export const INBOX_KINDS = ["messages", "replies"] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

export const kindParam = z.object({ kind: z.enum(INBOX_KINDS, "must be messages or replies") });
export const itemParam = z.object({ kind: z.enum(INBOX_KINDS, "must be messages or replies"), id: integerText(1, Number.MAX_SAFE_INTEGER) });

export const listQuery = z.object({
  unread: z.optional(flagText),
  limit: z.optional(integerText(1, MAX_PAGE_SIZE)),
  cursor: z.optional(z.string().check(z.maxLength(64, "is not a cursor of this list"))),
  /** Replies only. */
  verification: z.optional(z.enum(VERIFICATIONS, `must be one of ${VERIFICATIONS.join(", ")}`)),
  /** Replies only: "none" = the owner has not decided yet. */
  moderation: z.optional(z.enum(["none", ...REPLY_MODERATIONS], `must be one of none, ${REPLY_MODERATIONS.join(", ")}`)),
});

export const replyParam = z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER) });

/** The owner's decision about showing a reply on the site (null: undecided again). */
export const moderationBody = z.strictObject({
  moderation: z.nullable(z.enum(REPLY_MODERATIONS, `must be one of ${REPLY_MODERATIONS.join(", ")}, or null`)),
});
