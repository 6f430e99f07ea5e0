/**
 * Skein's shapes, part 1: the building blocks every shape uses (ids, usernames, URLs, limits, error
 * messages) and the JSON bodies the inbox accepts. The functions load only this file; the build's
 * shapes (profile, lists, post front matter) are in lib/publish/site-schemas.ts, made of these same blocks,
 * so a user_id or user_link means the same thing in a post, a list and a POST body. Two files only so
 * the functions bundle does not carry the build's schemas (zod builds every schema when loaded).
 */
import * as z from "zod/mini";
import { parseFlexibleDate } from "./dates.ts";
import { parseHttpUrl } from "./urls.ts";
import { isXmlSafe } from "./xml-text.ts";

export const MICROBLOG_NS = "http://openmicroblog.com/";
export const OPEN_MICROBLOG_DOCS = "https://github.com/Sonictherocketman/Open-Microblog";

/**
 * Messages say what is wrong, not which field: describeIssues() puts the field path in front.
 * zod/mini ships no message catalogue, so "required" vs "wrong type" is told apart here.
 */
z.config({
  customError: (issue) => {
    if (issue.code === "invalid_type") {
      if (issue.input === undefined) return "is required";
      const expected = issue.expected === "int" ? "an integer" : issue.expected === "object" ? "a mapping of fields" : issue.expected === "array" ? "a list" : `a ${issue.expected}`;
      return `must be ${expected}`;
    }
    // A missing field that may be one of several types (ids: integer or text) fails as a union.
    if (issue.code === "invalid_union" && issue.input === undefined) return "is required";
    if (issue.code === "unrecognized_keys") return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    return undefined;
  },
});

export const ACCEPT_POLICIES = ["everyone", "follows", "selected", "off"] as const;
export type AcceptPolicy = (typeof ACCEPT_POLICIES)[number];

/** Upper bounds that keep one feed header and one message small (see HEADER_RESERVE_BYTES in pagination). */
export const LIMITS = {
  usernameLength: 25, // spec "Required Channel Elements": username no greater than 25 characters
  idLength: 128,
  urlLength: 2048,
  fullNameLength: 100,
  bioLength: 1000,
  messageLength: 5000,
  dateLength: 64,
} as const;

export const xmlSafe = () =>
  z.refine<string>((value) => isXmlSafe(value), `contains a character XML 1.0 cannot carry (a control character or an unpaired surrogate)`);

/** Someone else's username, read leniently: 1-25 letters/digits in any script, "_", "." or "-". */
export const otherUsername = z.string().check(
  z.regex(/^[\p{L}\p{N}_.-]{1,25}$/u, "must be 1-25 letters, digits, '_', '.' or '-'"),
);

/**
 * Another user's user_id or status_id: services use UUIDs, integers or URIs, so any of the URL-safe
 * printable ASCII characters, 1-128 of them; quotes, spaces, angle brackets and backslashes are not.
 */
export const idPattern = /^[A-Za-z0-9._~:/?#@!$&+,;=%-]{1,128}$/;
export const otherUserId = z.string().check(z.regex(idPattern, "must be 1-128 URL-safe characters (letters, digits, and . _ ~ : / ? # @ ! $ & + , ; = % -)"));

export const httpUrl = z.string().check(
  z.maxLength(LIMITS.urlLength, `must be at most ${LIMITS.urlLength} characters`),
  z.refine((value: string) => parseHttpUrl(value) !== undefined, "must be an absolute http:// or https:// URL"),
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
  date: z.pipe(
    z.string().check(z.maxLength(LIMITS.dateLength, "is too long")),
    z.transform((value: string, ctx) => {
      const epochMs = parseFlexibleDate(value);
      if (epochMs === undefined) {
        ctx.issues.push({ code: "custom", input: value, message: "must be an RFC 822, ISO 8601 or RFC 3339 date" });
        return z.NEVER;
      }
      return { raw: value, epochMs };
    }),
  ),
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
    z.union([
      z.string().check(z.regex(idPattern, "must be 1-128 URL-safe characters")),
      z.int().check(z.nonnegative("must be text or a non-negative integer")),
    ], { error: (issue) => (issue.input === undefined ? "is required" : "must be text or a non-negative integer") }),
    z.transform((value: string | number) => String(value)),
  ),
});
export type ReplyBody = z.output<typeof replyBody>;

/** Turn zod issues into "field: reason" lines. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message));
}
