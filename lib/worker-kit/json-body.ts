/**
 * The first gates of the POST endpoints, before any JSON is looked at: the content type (415),
 * the size (413, hono/body-limit), the encoding and the JSON syntax (400). Spec "Sending Private Messages" and
 * "Sending Replies/Mentions" define the body as JSON; we accept exactly application/json in UTF-8.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import { type Problem, problem } from "../shared/problem.ts";
import { err, ok, type Result } from "../shared/result.ts";

/** Bodies are a few hundred bytes; 32 KiB leaves room for a 5,000-character message in any script. */
export const MAX_BODY_BYTES = 32 * 1024;

/** application/json, any case, with parameters allowed; a charset, if named, must be UTF-8. */
export function checkJsonContentType(contentType: string | undefined): Result<true, Problem> {
  const detail = "send the body as JSON with Content-Type: application/json";
  if (!contentType) return err({ status: 415, detail: `no Content-Type; ${detail}` });
  const [mediaType, ...parameters] = contentType.split(";");
  if (mediaType!.trim().toLowerCase() !== "application/json") {
    return err({ status: 415, detail: `Content-Type ${JSON.stringify(contentType.slice(0, 100))} is not accepted; ${detail}` });
  }
  for (const parameter of parameters) {
    const [name, value = ""] = parameter.split("=");
    if (name!.trim().toLowerCase() === "charset" && !/^"?utf-?8"?$/i.test(value.trim())) {
      return err({ status: 415, detail: `charset ${JSON.stringify(value.trim().slice(0, 40))} is not accepted; send UTF-8` });
    }
  }
  return ok(true);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The size gate (hono/body-limit) with our 413 problem: a Content-Length over the cap is refused
 * unread; a body without one is counted as it arrives and reading stops at the first byte over, so
 * a missing Content-Length costs at most maxBytes. `tooLarge` answers in a protocol's own error
 * shape (Micropub's JSON, §3.8) where the problem document is not what its clients read.
 */
export function bodyCap(maxBytes: number, tooLarge?: (detail: string) => Response): MiddlewareHandler {
  const detail = `the body is larger than ${maxBytes} bytes`;
  return bodyLimit({ maxSize: maxBytes, onError: () => (tooLarge ? tooLarge(detail) : problem(413, detail)) });
}

/**
 * The body (already through bodyCap) as UTF-8 text. The bytes as received are kept as the `rawBody`
 * variable: a signed request's Content-Digest covers them (RFC 9530 §2), not the decoded text.
 */
export async function bodyText(c: Context): Promise<Result<string, Problem>> {
  try {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    c.set("rawBody", bytes);
    // A leading BOM is dropped (RFC 8259 §8.1 lets parsers ignore it); any invalid byte is an error.
    return ok(utf8.decode(bytes));
  } catch {
    return err({ status: 400, detail: "the body is not valid UTF-8" });
  }
}

/** Hands the checked text on as the request body for zValidator; Content-Length goes (a BOM may have been dropped). */
export function replaceBody(c: Context, text: string): void {
  const headers = new Headers(c.req.raw.headers);
  headers.delete("Content-Length");
  c.req.raw = new Request(c.req.raw, { body: text, headers });
}

/** JSON.parse with a message a client can act on (e.g. the spec sample's single-quoted pseudo-JSON). */
export function parseJsonText(text: string): Result<unknown, Problem> {
  if (!text.trim()) return err({ status: 400, detail: "the body is empty; send a JSON object" });
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 160) : "syntax error";
    const hint = /^\s*\{\s*'/.test(text) ? " (JSON strings and names need double quotes, not single quotes)" : "";
    return err({ status: 400, detail: `the body is not valid JSON: ${reason}${hint}` });
  }
}

const jsonContentType: MiddlewareHandler = async (c, next) => {
  const type = checkJsonContentType(c.req.header("Content-Type"));
  if (!type.ok) return problem(type.error.status, type.error.detail);
  await next();
};

const jsonText: MiddlewareHandler = async (c, next) => {
  const text = await bodyText(c);
  if (!text.ok) return problem(text.error.status, text.error.detail);
  const json = parseJsonText(text.value);
  if (!json.ok) return problem(json.error.status, json.error.detail);
  replaceBody(c, text.value);
  await next();
};

/** 415 -> 413 -> 400, in that order, before zValidator("json") (which parses the text again, cheaply). */
export const jsonBody: MiddlewareHandler = every(jsonContentType, bodyCap(MAX_BODY_BYTES), jsonText);
