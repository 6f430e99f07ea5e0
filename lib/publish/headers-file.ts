/**
 * The built site's _headers (Workers Static Assets and other static hosts read it at deploy, never
 * serve it): the owner's site/_headers as written, plus the Webmention endpoint as an HTTP Link
 * header on every page (W3C Webmention §3.1.2: the sender checks "for an HTTP Link header
 * [RFC5988] with a rel value of webmention" first), besides the <link rel="webmention"> each page
 * carries. The URL is absolute: the Worker's functions may be hosted apart from the pages.
 */

/** RFC 8288 §3: `<URI-Reference>; rel="webmention"`. */
export function webmentionLinkHeader(endpoint: string): string {
  return `Link: <${endpoint}>; rel="webmention"`;
}

/** Insert the Link header as the first header of the `/*` rule (a rule of its own when there is none). */
export function headersFile(ownText: string, endpoint: string): string {
  const line = `  ${webmentionLinkHeader(endpoint)}`;
  const lines = ownText.split("\n");
  const rule = lines.findIndex((text) => text.trim() === "/*");
  if (rule < 0) return `${ownText.replace(/\n*$/, "\n")}/*\n${line}\n`;
  lines.splice(rule + 1, 0, line);
  return lines.join("\n");
}
