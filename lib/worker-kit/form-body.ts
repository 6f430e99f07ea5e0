/**
 * The gates of an application/x-www-form-urlencoded POST (WebSub §5.1, Webmention §3.1.3), before
 * zValidator("form") reads it: the media type (415), the size (413, hono/body-limit), UTF-8 (400).
 * The checked text is handed on as the request's body.
 */
import type { MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { problem } from "../shared/problem.ts";
import { bodyCap, bodyText, replaceBody } from "./json-body.ts";

export const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";

function formType(spec: string): MiddlewareHandler {
  return async (c, next) => {
    const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType !== FORM_CONTENT_TYPE) return problem(415, `send the request as ${FORM_CONTENT_TYPE} (${spec})`);
    await next();
  };
}

const formText: MiddlewareHandler = async (c, next) => {
  const text = await bodyText(c);
  if (!text.ok) return problem(text.error.status, text.error.detail);
  replaceBody(c, text.value);
  await next();
};

/** 415 -> 413 -> 400 (not UTF-8). `spec` names the section a client should read. */
export function formGate(maxBytes: number, spec: string): MiddlewareHandler {
  return every(formType(spec), bodyCap(maxBytes), formText);
}
