/**
 * The gates of an application/x-www-form-urlencoded POST (WebSub §5.1, Webmention §3.1.3), before
 * zValidator("form") reads it: the media type (415), the size (413, counted as the body arrives),
 * UTF-8 (400). The checked text is handed on as the request's body.
 */
import type { MiddlewareHandler } from "hono";
import { problem } from "../shared/problem.ts";
import { readBodyText } from "./json-body.ts";

export const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";

export function formBody(maxBytes: number, spec: string): MiddlewareHandler {
  return async (c, next) => {
    const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType !== FORM_CONTENT_TYPE) return problem(415, `send the request as ${FORM_CONTENT_TYPE} (${spec})`);
    const text = await readBodyText(c.req.raw, maxBytes);
    if (!text.ok) return problem(text.error.status, text.error.detail);
    const headers = new Headers(c.req.raw.headers);
    headers.delete("Content-Length");
    c.req.raw = new Request(c.req.raw, { body: text.value, headers });
    await next();
  };
}
