/**
 * The forms and query strings every section of the owner's pages shares: where to come back to, a
 * notice key, textarea text, and reading back what was typed into a form that failed its schema.
 */
import type { Context } from "hono";
import * as z from "zod/mini";
import { describeIssues } from "../shared/schemas.ts";

/** A notice key (the text is fixed in components.tsx's Notice). */
export const noticeKey = z.optional(z.string().check(z.maxLength(40)));

/** The page an action button came from (returnTarget keeps only the owner's own paths). */
export const returnForm = z.object({ return_to: z.optional(z.string().check(z.maxLength(2000))) });

/**
 * A browser submits a textarea's line breaks as CRLF (HTML's form encoding); the message goes out
 * with the LF line breaks the CLI sends.
 */
export const formText = <T extends z.ZodMiniType<string, string>>(schema: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((value: string) => value.replace(/\r\n?/g, "\n")),
    ),
    schema,
  );

/** The field of a form that failed its schema, as typed (kept in the form shown again). */
export function typed(data: unknown, field: string): string {
  const value = data && typeof data === "object" ? (data as Record<string, unknown>)[field] : undefined;
  return typeof value === "string" ? value : "";
}

/** Input that failed its schema: what was wrong, in one line, and what was sent (to fill the form again). */
export interface Invalid {
  problems: string;
  data: unknown;
}

type Validated = { success: true } | { success: false; error: { issues: readonly z.core.$ZodIssue[] }; data: unknown };

/**
 * The zValidator hook of the owner's pages: input that fails its schema is a 400 (RFC 9110 §15.5.1)
 * showing `page`, drawn with what was wrong; the route itself never runs, so nothing is written.
 */
export function invalidPage(page: (c: Context, invalid: Invalid) => Response | Promise<Response>) {
  return (result: Validated, c: Context) => {
    if (result.success) return undefined;
    c.status(400);
    return page(c, { problems: describeIssues(result.error.issues).join("; "), data: result.data });
  };
}
