/**
 * Webmention endpoint discovery (W3C Webmention §3.1.2), pure: given the target's answer (its final
 * URL after redirects, headers and body), where to send.
 *
 *   "check for an HTTP Link header [RFC5988] with a rel value of webmention. If the content type of
 *    the document is HTML, then the sender MUST look for an HTML <link> and <a> element with a rel
 *    value of webmention. If more than one of these is present, the first HTTP Link header takes
 *    precedence, followed by the first <link> or <a> element in document order."
 *
 * rel is a list of tokens, compared ASCII case-insensitively (HTML "link types"; RFC 8288 §3.3); a
 * <link> or <a> without an href is no endpoint, one with an empty href names the page itself; a
 * relative endpoint is resolved against the target's URL after redirects (the Recommendation's
 * erratum: "relative to the target URL", which is the document's URL once redirects are followed);
 * the endpoint's query string is kept (§3.1.2, §3.1.3). Markup inside comments, scripts or escaped
 * text is never an element (the HTML reader, html-tree.ts). The webmention.rocks discovery tests 1-23
 * are in test/webmention/send.test.ts.
 */
import { elements, parseHtml } from "./html-tree.ts";

const HTML_TYPES = /^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i;

function hasWebmentionRel(rel: string | undefined): boolean {
  return (rel ?? "").split(/\s+/).some((token) => token.toLowerCase() === "webmention");
}

/** An http(s) URL, resolved; undefined when it cannot be one. */
function resolveEndpoint(href: string, base: string): string | undefined {
  try {
    const url = new URL(href.trim(), base);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 8288 §3 link-values of a Link field ("<uri>; param; rel=value, <uri2>; rel=\"a b\""): the URI
 * references whose rel names webmention, in order. Commas and semicolons inside <...> or quotes do
 * not split (a URI may hold them).
 */
export function linkHeaderWebmentions(field: string): string[] {
  const found: string[] = [];
  let at = 0;
  while (at < field.length) {
    const open = field.indexOf("<", at);
    if (open < 0) break;
    const close = field.indexOf(">", open + 1);
    if (close < 0) break;
    const uri = field.slice(open + 1, close);
    // The parameters run to the next comma outside quotes.
    let end = close + 1;
    let quoted = false;
    while (end < field.length && (quoted || field[end] !== ",")) {
      if (field[end] === '"') quoted = !quoted;
      end += 1;
    }
    for (const param of field.slice(close + 1, end).split(";")) {
      const match = /^\s*rel\s*=\s*(?:"([^"]*)"|([^\s";,]+))\s*$/i.exec(param);
      if (match && hasWebmentionRel(match[1] ?? match[2])) {
        found.push(uri);
        break;
      }
    }
    at = end + 1;
  }
  return found;
}

/** The first <link> or <a> with rel="webmention" and an href, in document order. */
export function htmlWebmention(html: string): string | undefined {
  for (const element of elements(parseHtml(html))) {
    if (element.name !== "link" && element.name !== "a") continue;
    const href = element.attrs.get("href");
    if (href !== undefined && hasWebmentionRel(element.attrs.get("rel"))) return href;
  }
  return undefined;
}

export interface TargetAnswer {
  /** The target's URL after redirects. */
  url: string;
  headers: Headers;
  body: string;
}

/** The endpoint the target advertises, absolute; undefined: none (or none that is an http(s) URL). */
export function discoverEndpoint(answer: TargetAnswer): string | undefined {
  const link = answer.headers.get("Link");
  for (const uri of link ? linkHeaderWebmentions(link) : []) {
    const endpoint = resolveEndpoint(uri, answer.url);
    if (endpoint) return endpoint;
  }
  if (!HTML_TYPES.test(answer.headers.get("Content-Type") ?? "")) return undefined;
  const href = htmlWebmention(answer.body);
  return href === undefined ? undefined : resolveEndpoint(href, answer.url);
}
