/**
 * The one base64url of the Worker's URLs (RFC 4648 section 5, unpadded; hono/utils/encode): the
 * opaque page cursors of the inbox, timeline and outbox, and the owner pages' conversation keys.
 * A cursor is "<tag>:<field>:<field>..." so a cursor of one list is never read as another's.
 */
import { decodeBase64Url, encodeBase64Url } from "hono/utils/encode";
import { parseInteger } from "../shared/integers.ts";

/** The owner's lists (inbox, timeline, outbox; API and pages): 50 items a page unless ?limit= (1-100) says otherwise. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

const encoder = new TextEncoder();

/** UTF-8 text -> unpadded base64url. */
export function toBase64Url(text: string): string {
  return encodeBase64Url(encoder.encode(text).buffer as ArrayBuffer).replace(/=+$/, "");
}

/** Unpadded (or padded) base64url -> UTF-8 text; undefined when it is not base64url of UTF-8. */
export function fromBase64Url(value: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(value)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(decodeBase64Url(value));
  } catch {
    return undefined;
  }
}

/** An opaque cursor: the tag and the position's fields. */
export function encodeCursor(tag: string, ...fields: (string | number)[]): string {
  return toBase64Url([tag, ...fields].join(":"));
}

/** The position's fields of a cursor carrying this tag, or undefined for anything else. */
export function decodeCursor(tag: string, cursor: string): string[] | undefined {
  const [cursorTag, ...fields] = (fromBase64Url(cursor) ?? "").split(":");
  return cursorTag === tag ? fields : undefined;
}

/** The lists that come id DESC: the cursor is the last id seen. */
export function idCursor(tag: string, beforeId: number): string {
  return encodeCursor(tag, beforeId);
}

export function idFromCursor(tag: string, cursor: string): number | undefined {
  const fields = decodeCursor(tag, cursor);
  return fields?.length === 1 ? parseInteger(fields[0], { min: 1 }) : undefined;
}
