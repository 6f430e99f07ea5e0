/**
 * Other people's HTML (timeline posts, reply snapshots, imported items) made safe to show, with a
 * well-kept sanitizer that runs both in Workers and in Node: js-xss (npm "xss"), allowlist only.
 *
 * Kept: paragraphs, line breaks, emphasis, quotes, lists, code, rules, and links to absolute http(s)
 * URLs (rel="nofollow ugc noopener noreferrer"). Images become links to the image ("image: <alt>"), so
 * a stranger's post cannot make the owner's browser load anything by being shown. Everything else is
 * dropped -- script, style, iframe, object, svg and their contents entirely; other tags keep their
 * text. No attribute survives but href, and a javascript:, data: or relative href is no link at all.
 */
import type * as XssModule from "xss";
import xssDefault from "xss";
import { parseHttpUrl } from "./urls.ts";

// js-xss is CommonJS: its exports hang off the default export in every runtime (Node, workerd, esbuild
// bundles), while named imports are lost by some CJS interop layers.
const { escapeAttrValue, FilterXSS, friendlyAttrValue } = xssDefault as unknown as typeof XssModule;
type IWhiteList = XssModule.IWhiteList;

const LINK_REL = "nofollow ugc noopener noreferrer";

const ALLOWED: IWhiteList = {
  a: ["href"],
  p: [],
  br: [],
  em: [],
  i: [],
  strong: [],
  b: [],
  u: [],
  s: [],
  del: [],
  blockquote: [],
  q: [],
  ul: [],
  ol: [],
  li: [],
  code: [],
  pre: [],
  hr: [],
};

const DROPPED_WITH_CONTENT = ["script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "textarea", "select", "title", "head"];

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An absolute http(s) URL from an attribute value as written (entities decoded), or undefined. */
function safeHref(raw: string): string | undefined {
  const value = friendlyAttrValue(raw).trim();
  return /^https?:\/\//i.test(value) && parseHttpUrl(value) ? value : undefined;
}

function attribute(tagHtml: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tagHtml);
  return match ? (match[1] ?? match[2] ?? match[3]) : undefined;
}

const filter = new FilterXSS({
  whiteList: ALLOWED,
  stripIgnoreTag: true,
  stripIgnoreTagBody: DROPPED_WITH_CONTENT,
  allowCommentTag: false,
  onTag(tag, html, info) {
    if (tag !== "img" || info.isClosing) return undefined;
    const src = safeHref(attribute(html, "src") ?? "");
    if (!src) return "";
    const alt = friendlyAttrValue(attribute(html, "alt") ?? "").trim();
    return `<a href="${escapeAttrValue(src)}" rel="${LINK_REL}">image${alt ? `: ${escapeText(alt)}` : ""}</a>`;
  },
  onTagAttr(tag, name, value) {
    if (tag === "a" && name === "href") {
      const href = safeHref(value);
      return href ? `href="${escapeAttrValue(href)}" rel="${LINK_REL}"` : "";
    }
    return undefined;
  },
});

/** Safe HTML to put in a page, from anyone's HTML. */
export function sanitizeHtml(html: string): string {
  return filter.process(html);
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** The text of some HTML on one line: tags dropped, entities decoded, whitespace collapsed (CLI output). */
export function plainTextOf(html: string): string {
  return sanitizeHtml(html)
    .replace(/<(br|\/p|\/li|\/blockquote|\/pre)\b[^>]*>/gi, " ")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
      if (body[0] === "#") {
        const code = body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
    })
    .replace(/\s+/g, " ")
    .trim();
}
