/**
 * The first gates of the POST endpoints, before any JSON is looked at: the content type (415),
 * the size (413), the encoding and the JSON syntax (400). Spec "Sending Private Messages" and
 * "Sending Replies/Mentions" define the body as JSON; we accept exactly application/json in UTF-8.
 */
import { readCappedBytes } from "../shared/capped-body.ts";

/** Bodies are a few hundred bytes; 32 KiB leaves room for a 5,000-character message in any script. */
export const MAX_BODY_BYTES = 32 * 1024;

export type Gate<T> = { ok: true; value: T } | { ok: false; status: 400 | 413 | 415; detail: string };

/** application/json, any case, with parameters allowed; a charset, if named, must be UTF-8. */
export function checkJsonContentType(contentType: string | undefined): Gate<true> {
  const detail = "send the body as JSON with Content-Type: application/json";
  if (!contentType) return { ok: false, status: 415, detail: `no Content-Type; ${detail}` };
  const [mediaType, ...parameters] = contentType.split(";");
  if (mediaType!.trim().toLowerCase() !== "application/json") {
    return { ok: false, status: 415, detail: `Content-Type ${JSON.stringify(contentType.slice(0, 100))} is not accepted; ${detail}` };
  }
  for (const parameter of parameters) {
    const [name, value = ""] = parameter.split("=");
    if (name!.trim().toLowerCase() === "charset" && !/^"?utf-?8"?$/i.test(value.trim())) {
      return { ok: false, status: 415, detail: `charset ${JSON.stringify(value.trim().slice(0, 40))} is not accepted; send UTF-8` };
    }
  }
  return { ok: true, value: true };
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The body as text, refusing anything over maxBytes whether or not Content-Length says so: the
 * header is checked first (cheap), then the stream is counted as it arrives and reading stops at
 * the first byte over the limit, so a lying or missing Content-Length costs at most maxBytes.
 */
export async function readBodyText(request: Request, maxBytes = MAX_BODY_BYTES): Promise<Gate<string>> {
  const tooLarge = { ok: false, status: 413, detail: `the body is larger than ${maxBytes} bytes` } as const;
  const declared = request.headers.get("Content-Length");
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes) return tooLarge;
  const bytes = await readCappedBytes(request.body, maxBytes);
  if (!bytes) return tooLarge;
  try {
    // A leading BOM is dropped (RFC 8259 §8.1 lets parsers ignore it); any invalid byte is an error.
    return { ok: true, value: utf8.decode(bytes) };
  } catch {
    return { ok: false, status: 400, detail: "the body is not valid UTF-8" };
  }
}

/** JSON.parse with a message a client can act on (e.g. the spec sample's single-quoted pseudo-JSON). */
export function parseJsonText(text: string): Gate<unknown> {
  if (!text.trim()) return { ok: false, status: 400, detail: "the body is empty; send a JSON object" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 160) : "syntax error";
    const hint = /^\s*\{\s*'/.test(text) ? " (JSON strings and names need double quotes, not single quotes)" : "";
    return { ok: false, status: 400, detail: `the body is not valid JSON: ${reason}${hint}` };
  }
}
