/**
 * HTML that someone else wrote -- an imported feed, a Micropub app -- cut to what a post file may
 * hold, with js-xss (npm "xss", allowlist only; it runs in Node and in the Worker): text formatting,
 * links to http(s) and mailto, images from http(s), headings, lists, quotes, code (with its
 * `language-` class), tables, sup/sub. Nothing that runs survives: script, style, iframe, event
 * attributes and javascript:/data: URLs are gone, and the contents of script, style, frames, forms
 * and the like with them; any other tag (div, span, ...) is dropped and keeps its text. Text is
 * kept escaped (`&lt;` stays `&lt;`), so what a reader saw as text stays text.
 *
 * A post file's raw HTML is published as the owner's own (lib/publish/markdown.ts passes it
 * through), which is why anything from elsewhere goes through cleanPostHtml() first: the import's
 * HTML-to-markdown step (lib/move/html-to-markdown.ts) and Micropub's HTML content (lib/micropub/).
 */
import type * as XssModule from "xss";
import xssDefault from "xss";
import { parseHttpUrl } from "./urls.ts";

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
  code: ["class"],
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

/** A code element's language class, as markdown-it writes it (`language-` + the fence's info word). */
const LANGUAGE_CLASS = /^language-[A-Za-z0-9_+#.-]{1,40}$/;

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
    if (tag === "code" && name === "class") {
      const language = value.split(/\s+/).find((word) => LANGUAGE_CLASS.test(word));
      return language ? `class="${language}"` : "";
    }
    if (["width", "height", "colspan", "rowspan", "start"].includes(name)) return /^\d{1,5}$/.test(value.trim()) ? `${name}="${value.trim()}"` : "";
    return undefined;
  },
});

/** HTML anyone wrote, with only what a post may keep. */
export function cleanPostHtml(html: string): string {
  return filter.process(html);
}
