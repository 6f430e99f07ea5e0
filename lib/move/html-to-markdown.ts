/**
 * An imported post's HTML -> the markdown of a Skein post file. Two steps, both well-kept libraries:
 *
 * 1. js-xss (npm "xss") with an allowlist: what a post may keep -- text formatting, links to http(s)
 *    and mailto, images from http(s), headings, lists, quotes, code, tables, sup/sub -- and nothing
 *    that runs (script, style, iframe, event attributes, javascript: URLs are gone). A post file's
 *    raw HTML is published as the owner's own (lib/publish/markdown.ts passes it through), so an
 *    imported feed, which anyone could have written, is cleaned first.
 * 2. turndown: markdown for everything markdown can say; raw HTML (already clean) for what it
 *    cannot -- tables, sup, sub, u, mark, ins, small, abbr, details, figure -- so nothing is lost.
 *
 * A repost's quoted text is someone else's words, rendered with raw HTML escaped
 * (renderQuotedMarkdown): for it, `quotedMarkdown` keeps no raw HTML at all, only the text.
 */
import TurndownService from "turndown";
import type * as XssModule from "xss";
import xssDefault from "xss";
import { parseHttpUrl } from "../shared/urls.ts";

// js-xss is CommonJS: its exports hang off the default export (see lib/shared/sanitize-html.ts).
const { escapeAttrValue, FilterXSS, friendlyAttrValue } = xssDefault as unknown as typeof XssModule;

const ALLOWED: XssModule.IWhiteList = {
  a: ["href", "title"],
  img: ["src", "alt", "title", "width", "height"],
  p: [],
  br: [],
  hr: [],
  em: [],
  i: [],
  strong: [],
  b: [],
  u: [],
  s: [],
  del: [],
  ins: [],
  mark: [],
  small: [],
  sup: [],
  sub: [],
  abbr: ["title"],
  cite: [],
  q: [],
  blockquote: [],
  ul: [],
  ol: ["start"],
  li: [],
  dl: [],
  dt: [],
  dd: [],
  code: [],
  pre: [],
  h1: [],
  h2: [],
  h3: [],
  h4: [],
  h5: [],
  h6: [],
  table: [],
  caption: [],
  thead: [],
  tbody: [],
  tfoot: [],
  tr: [],
  th: ["colspan", "rowspan"],
  td: ["colspan", "rowspan"],
  figure: [],
  figcaption: [],
  details: [],
  summary: [],
};

const DROPPED_WITH_CONTENT = [
  "script",
  "style",
  "iframe",
  "object",
  "embed",
  "noscript",
  "template",
  "svg",
  "math",
  "textarea",
  "select",
  "title",
  "head",
  "form",
];

/** Markdown cannot say these: they stay as (clean) HTML in the post. */
const KEPT_AS_HTML = ["table", "sup", "sub", "u", "mark", "ins", "small", "abbr", "details", "figure", "dl"] as const;

function safeUrl(raw: string, schemes: RegExp): string | undefined {
  const value = friendlyAttrValue(raw).trim();
  if (/^mailto:/i.test(value) && schemes.test("mailto:")) return /^mailto:[^\s<>"]+$/i.test(value) ? value : undefined;
  return /^https?:\/\//i.test(value) && parseHttpUrl(value) ? value : undefined;
}

const filter = new FilterXSS({
  whiteList: ALLOWED,
  stripIgnoreTag: true,
  stripIgnoreTagBody: DROPPED_WITH_CONTENT,
  allowCommentTag: false,
  onTagAttr(tag, name, value) {
    if ((tag === "a" && name === "href") || (tag === "img" && name === "src")) {
      const url = safeUrl(value, tag === "a" ? /^(https?|mailto):/i : /^https?:/i);
      return url ? `${name}="${escapeAttrValue(url)}"` : "";
    }
    if (["width", "height", "colspan", "rowspan", "start"].includes(name)) return /^\d{1,5}$/.test(value.trim()) ? `${name}="${value.trim()}"` : "";
    return undefined;
  },
});

/** HTML anyone wrote, with only what a post may keep. */
export function cleanImportedHtml(html: string): string {
  return filter.process(html);
}

function service(keepHtml: boolean): TurndownService {
  const turndown = new TurndownService({
    headingStyle: "atx",
    hr: "---",
    bulletListMarker: "-",
    codeBlockStyle: "fenced",
    emDelimiter: "*",
    strongDelimiter: "**",
    linkStyle: "inlined",
  });
  if (keepHtml) turndown.keep([...KEPT_AS_HTML]);
  // A link without a usable href (cleaned away): its text only.
  turndown.addRule("linkWithoutHref", {
    filter: (node) => node.nodeName === "A" && !node.getAttribute("href"),
    replacement: (content) => content,
  });
  // An image without a usable src: its alt text, if any.
  turndown.addRule("imageWithoutSrc", {
    filter: (node) => node.nodeName === "IMG" && !node.getAttribute("src"),
    replacement: (_content, node) => (node as HTMLElement).getAttribute("alt") ?? "",
  });
  return turndown;
}

const ownWords = service(true);
const quotedWords = service(false);

function tidy(markdown: string): string {
  return markdown
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** The owner's own post: markdown, with clean raw HTML where markdown has no words for it. */
export function htmlToMarkdown(html: string): string {
  return tidy(ownWords.turndown(cleanImportedHtml(html)));
}

/** A repost's quoted text: markdown only (Skein renders it with raw HTML escaped). */
export function quotedMarkdown(html: string): string {
  return tidy(quotedWords.turndown(cleanImportedHtml(html)));
}

/** Text that is not HTML (Atom type="text"): as paragraphs of escaped text. */
export function textToHtml(text: string): string {
  const escapeHtml = (value: string) => value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, "<br>")}</p>`)
    .join("\n");
}
