/**
 * An imported post's HTML -> the markdown of a Skein post file. Two steps, both well-kept libraries:
 *
 * 1. js-xss (npm "xss") with an allowlist (lib/shared/post-html.ts, Micropub's too): what a post
 *    may keep -- text formatting, links to http(s) and mailto, images from http(s), headings, lists,
 *    quotes, code, tables, sup/sub -- and nothing that runs (script, style, iframe, event
 *    attributes, javascript: URLs are gone). A post file's
 *    raw HTML is published as the owner's own (lib/publish/markdown.ts passes it through), so an
 *    imported feed, which anyone could have written, is cleaned first.
 * 2. turndown: markdown for everything markdown can say; raw HTML (already clean) for what it
 *    cannot -- tables, sup, sub, u, mark, ins, small, abbr, details, figure -- so nothing is lost.
 *    Text is text: every character the source showed as text is escaped for the build's markdown
 *    (CommonMark §2.4 backslash escapes, as markdown-it reads them with raw HTML, linkify,
 *    strikethrough and tables on), so `&lt;script&gt;` shown in the old post is `\<script>` in the
 *    file and `&lt;script&gt;` in every page and feed -- never a tag. Raw HTML in a post file comes
 *    only from the elements kept above, written by turndown from the cleaned tree.
 * 3. A code block keeps its language (`class="language-js"` -> a fence with `js`), the class
 *    markdown-it writes back.
 *
 * A repost's quoted text is someone else's words, rendered with raw HTML escaped
 * (renderQuotedMarkdown): for it, `quotedMarkdown` keeps no raw HTML at all, only the text.
 */
import TurndownService from "turndown";
import { cleanPostHtml } from "../shared/post-html.ts";

/** Markdown cannot say these blocks: they stay as (clean) HTML in the post, serialized by the DOM (text escaped). */
const KEPT_AS_HTML = ["table", "details", "figure", "dl"] as const;
/** Nor these inline elements: their tags stay, their content is markdown (escaped) like any text. */
const KEPT_INLINE = ["sup", "sub", "u", "mark", "ins", "small", "abbr"] as const;

const escapeAttribute = (value: string) => value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * A text node's characters as markdown that renders them as the same text (CommonMark §2.4: any
 * ASCII punctuation may be backslash-escaped). Everywhere: what starts inline markup -- `\`, `*`,
 * `_`, `` ` ``, `[`, `]`, `~` (strikethrough), `|` (tables), `<` (raw HTML, §6.6; autolinks, §6.5)
 * `&` before what reads as a character reference (§6.2), and the `:` of `://` (markdown-it's linkify
 * reads a URL from the raw source and would swallow the backslash of an escape after it). At the start of a text node, which is
 * where a line can start (turndown collapses whitespace; a line starts after a block or <br>): what
 * starts a block -- `-`, `+`, `=`, `#`, `>`, `:` and `1.` / `1)` (lists, headings, quotes, §4-5).
 */
export function escapeMarkdownText(text: string): string {
  return text
    .replace(/[\\`*_[\]~|<]/g, "\\$&")
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, "\\&")
    .replace(/:(?=\/\/)/g, "\\:")
    .replace(/^(\s*)([-+=#>:])/, "$1\\$2")
    .replace(/^(\s*\d+)([.)])/, "$1\\$2");
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
    // CommonMark §6.7: a backslash at the end of a line is a hard break (two spaces are too, but tidy() trims them).
    br: "\\",
  });
  turndown.escape = escapeMarkdownText;
  if (keepHtml) {
    turndown.keep([...KEPT_AS_HTML]);
    turndown.addRule("keptInline", {
      filter: [...KEPT_INLINE],
      replacement: (content, node) => {
        const tag = node.nodeName.toLowerCase();
        const title = tag === "abbr" ? (node as HTMLElement).getAttribute("title") : null;
        return `<${tag}${title ? ` title="${escapeAttribute(title)}"` : ""}>${content}</${tag}>`;
      },
    });
  }
  // A link without a usable href (cleaned away): its text only.
  turndown.addRule("linkWithoutHref", {
    filter: (node) => node.nodeName === "A" && !node.getAttribute("href"),
    replacement: (content) => content,
  });
  // An image without a usable src: its alt text, if any.
  turndown.addRule("imageWithoutSrc", {
    filter: (node) => node.nodeName === "IMG" && !node.getAttribute("src"),
    replacement: (_content, node) => escapeMarkdownText((node as HTMLElement).getAttribute("alt") ?? ""),
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
  return tidy(ownWords.turndown(cleanPostHtml(html)));
}

/** A repost's quoted text: markdown only (Skein renders it with raw HTML escaped). */
export function quotedMarkdown(html: string): string {
  return tidy(quotedWords.turndown(cleanPostHtml(html)));
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

/** The last top-level <blockquote> when the HTML ends with it: [before, inside]. */
export function splitTrailingQuote(html: string): [string, string] | undefined {
  const text = html.trimEnd();
  if (!text.endsWith("</blockquote>")) return undefined;
  const tag = /<(\/?)blockquote\b[^>]*>/gi;
  let depth = 0;
  let open = -1;
  let openEnd = -1;
  let last: [number, number, number] | undefined;
  for (let match = tag.exec(text); match; match = tag.exec(text)) {
    if (match[1]) {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && open >= 0) last = [open, openEnd, match.index];
    } else {
      if (depth === 0) {
        open = match.index;
        openEnd = match.index + match[0].length;
      }
      depth++;
    }
  }
  if (!last || last[2] + "</blockquote>".length !== text.length) return undefined;
  return [text.slice(0, last[0]), text.slice(last[1], last[2])];
}

/** What a repost quotes: the trailing <blockquote>, else the whole text (as convertItem reads it). */
export const quotedPart = (html: string): string => splitTrailingQuote(html)?.[1] ?? html;
