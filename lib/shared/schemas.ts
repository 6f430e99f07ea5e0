/**
 * The building blocks every shape is made of -- ids, usernames, URLs, limits, error messages -- so a
 * user_id or a user_link means the same thing in a post, a list file, a POST body and a query string.
 * The inbox's request bodies are in lib/inbox/schemas.ts, the build's files in
 * lib/publish/site-schemas.ts; the Worker loads only what it needs (zod builds a schema when loaded).
 */
import * as z from "zod/mini";
import { parseInteger } from "./integers.ts";
import { LIMITS } from "./spec.ts";
import { parseHttpUrl } from "./urls.ts";
import { isXmlSafe } from "./xml-text.ts";

/**
 * Messages say what is wrong, not which field: describeIssues() puts the field path in front.
 * zod/mini ships no message catalogue, so "required" vs "wrong type" is told apart here.
 */
z.config({
  customError: (issue) => {
    if (issue.code === "invalid_type") {
      if (issue.input === undefined) return "is required";
      const expected =
        issue.expected === "int"
          ? "an integer"
          : issue.expected === "object"
            ? "a mapping of fields"
            : issue.expected === "array"
              ? "a list"
              : `a ${issue.expected}`;
      return `must be ${expected}`;
    }
    // A missing field that may be one of several types (ids: integer or text) fails as a union.
    if (issue.code === "invalid_union" && issue.input === undefined) return "is required";
    if (issue.code === "unrecognized_keys") return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    return undefined;
  },
});

export const xmlSafe = () =>
  z.refine<string>((value) => isXmlSafe(value), `contains a character XML 1.0 cannot carry (a control character or an unpaired surrogate)`);

/**
 * Characters no identity field may hold: C0 and C1 controls, DEL, and the bidi controls that make
 * a name or a link display as something else (U+200E/F, U+202A-E, U+2066-9). Checked on the text as
 * sent: the URL parser would silently drop a tab or a newline, so the stored text would differ from
 * what was checked.
 */
const IDENTITY_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export const identitySafe = () =>
  z.refine<string>((value) => !IDENTITY_UNSAFE.test(value) && isXmlSafe(value), "contains a control character, a direction override or an unpaired surrogate");

/** Someone else's username, read leniently: 1-25 letters/digits in any script, "_", "." or "-". */
export const otherUsername = z.string().check(z.regex(/^[\p{L}\p{N}_.-]{1,25}$/u, "must be 1-25 letters, digits, '_', '.' or '-'"));

/**
 * Another user's user_id or status_id: services use UUIDs, integers or URIs, so any of the URL-safe
 * printable ASCII characters, 1-128 of them; quotes, spaces, angle brackets and backslashes are not.
 */
export const idPattern = /^[A-Za-z0-9._~:/?#@!$&+,;=%-]{1,128}$/;
export const otherUserId = z.string().check(z.regex(idPattern, "must be 1-128 URL-safe characters (letters, digits, and . _ ~ : / ? # @ ! $ & + , ; = % -)"));

export const httpUrl = z.string().check(
  z.maxLength(LIMITS.urlLength, `must be at most ${LIMITS.urlLength} characters`),
  identitySafe(),
  z.refine((value: string) => !value.includes(" "), "must not contain spaces"),
  z.refine((value: string) => parseHttpUrl(value) !== undefined, "must be an absolute http:// or https:// URL"),
);

/** An integer given as text (a path or query parameter), canonical digits only, within [min, max]. */
export const integerText = (min: number, max: number) =>
  z.pipe(
    z.string(),
    z.transform((value: string, ctx) => {
      const parsed = parseInteger(value, { min, max });
      if (parsed === undefined) {
        ctx.issues.push({ code: "custom", input: value, message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    }),
  );

/** A yes/no flag in a query string: 1/0, true/false, yes/no; an empty value (`?unread`) means yes. */
export const flagText = z.pipe(
  z.string(),
  z.transform((value: string, ctx) => {
    const lower = value.toLowerCase();
    if (["", "1", "true", "yes"].includes(lower)) return true;
    if (["0", "false", "no"].includes(lower)) return false;
    ctx.issues.push({ code: "custom", input: value, message: "must be 1 or 0" });
    return z.NEVER;
  }),
);

/** BCP 47 language tag, e.g. "en", "pt-BR", "zh-Hant". */
export const languageTag = z.string().check(z.regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a language tag such as en, fr or pt-BR"));

/** Turn zod issues into "field: reason" lines. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message));
}
