/**
 * The built site's _headers (Workers Static Assets and other static hosts read it at deploy, never
 * serve it): the owner's site/_headers as written, plus one HTTP Link header on every page naming
 * our endpoints, besides the <link> elements each page carries:
 * - webmention: W3C Webmention §3.1.2, the sender checks "for an HTTP Link header [RFC5988] with a
 *   rel value of webmention" first;
 * - micropub: W3C Micropub §5.3, a client looks for `<link rel="micropub">` "or an HTTP Link header".
 * - indieauth-metadata, and the older authorization_endpoint and token_endpoint: IndieAuth §4.1,
 *   clients "MUST check for an HTTP Link header ... with a rel value of indieauth-metadata".
 * The URLs are absolute: the Worker's functions may be hosted apart from the pages.
 */

export interface HeaderLink {
  href: string;
  rel: string;
}

/** RFC 8288 §3: `<URI-Reference>; rel="..."`, the links of one header separated by commas. */
export function linkHeader(links: readonly HeaderLink[]): string {
  return `Link: ${links.map(({ href, rel }) => `<${href}>; rel="${rel}"`).join(", ")}`;
}

/** Insert the Link header as the first header of the `/*` rule (a rule of its own when there is none). */
export function headersFile(ownText: string, links: readonly HeaderLink[]): string {
  const line = `  ${linkHeader(links)}`;
  const lines = ownText.split("\n");
  const rule = lines.findIndex((text) => text.trim() === "/*");
  if (rule < 0) return `${ownText.replace(/\n*$/, "\n")}/*\n${line}\n`;
  lines.splice(rule + 1, 0, line);
  return lines.join("\n");
}
