/**
 * Micropub's HTML content (§3.3.2, example 30: `"content": [{"html": "..."}]`) in a post file.
 *
 * The import turns HTML into markdown with turndown, which needs a DOM the Worker does not have
 * (the build-only packages stay out of its bundle: test/project/rooms.test.ts). So the HTML stays
 * HTML: cut to what a post may hold by the import's own allowlist (lib/shared/post-html.ts: nothing
 * that runs, text kept escaped), and written as ONE raw HTML block that markdown passes through
 * untouched. CommonMark §4.6: a block that starts with `<div>` runs to the first blank line, and its
 * lines are not read as markdown -- so the HTML gets no blank line (whitespace between tags means
 * nothing in HTML; inside <pre> a line break is written as `&#10;`). What the app showed as text is
 * the same text on every page and in the feed; a `*` or `#` in it is never markup.
 */
import { cleanPostHtml } from "../shared/post-html.ts";

const OPEN = "<div>\n";
const CLOSE = "\n</div>";

/** The block a post file holds for this HTML ("" when nothing is left). */
export function htmlContentBlock(html: string): string {
  const clean = cleanPostHtml(html.replace(/\r\n?/g, "\n"));
  const keptLines = clean.replace(/<pre\b[^>]*>[\s\S]*?<\/pre>/gi, (pre) => pre.replace(/\n/g, "&#10;"));
  const body = keptLines.replace(/\n(?:[ \t]*\n)+/g, "\n").trim();
  return body ? `${OPEN}${body}${CLOSE}` : "";
}

/** The HTML inside a post's text when it is such a block (q=source answers it as {"html": ...}, §3.7.2). */
export function htmlOfBlock(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed.startsWith(OPEN) && trimmed.endsWith(CLOSE) ? trimmed.slice(OPEN.length, -CLOSE.length) : undefined;
}

/** Text for an HTML text node or attribute value. */
export function escapeHtmlText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Text inside one markdown line (a title, an alt text): every ASCII punctuation mark that can start markup is escaped (CommonMark §2.4). */
export function escapeMarkdownInline(text: string): string {
  return text.replace(/[\\`*_[\]~|<>&#!()]/g, "\\$&").replace(/:(?=\/\/)/g, "\\:");
}
