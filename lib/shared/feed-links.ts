/**
 * The RSS feed a web page links to: `<link rel="alternate" type="application/rss+xml" href>` in its
 * HTML (RSS autodiscovery), the way people give their profile page instead of their feed. One
 * reading for `npm run follow`, `npm run import` and the outbox's recipients.
 */
import { parseHttpUrl } from "./urls.ts";

function decodeEntities(value: string): string {
  return value
    .replace(/&amp;/gi, "&")
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&lt;/gi, "<")
    .replace(/&gt;/gi, ">");
}

/** Does this text start like an HTML page (not a feed)? */
export function looksLikeHtml(text: string): boolean {
  return /^\uFEFF?\s*(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>])/i.test(text);
}

/** The page's RSS alternate links, resolved against the page's URL, http(s) only, in page order. */
export function feedLinksOf(html: string, pageUrl: string): string[] {
  const links: string[] = [];
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const attributes = new Map<string, string>();
    for (const match of tag.matchAll(/([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g)) {
      attributes.set(match[1]!.toLowerCase(), decodeEntities(match[2] ?? match[3] ?? match[4] ?? ""));
    }
    const rel = (attributes.get("rel") ?? "").toLowerCase().split(/\s+/);
    const type = (attributes.get("type") ?? "").toLowerCase().split(";")[0]!.trim();
    const href = attributes.get("href")?.trim();
    if (!rel.includes("alternate") || type !== "application/rss+xml" || !href) continue;
    try {
      const resolved = parseHttpUrl(new URL(href, pageUrl).href);
      if (resolved && !links.includes(resolved.href)) links.push(resolved.href);
    } catch {
      // not a URL: skipped
    }
  }
  return links;
}
