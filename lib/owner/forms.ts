/**
 * The forms and query strings every section of the owner's pages shares: where to come back to, a
 * notice key, textarea text, and reading back what was typed into a form that failed its schema.
 */
import * as z from "zod/mini";

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
