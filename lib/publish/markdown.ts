import MarkdownIt from "markdown-it";

/**
 * Post bodies are the owner's own markdown: raw HTML is allowed (as in eleventy-base-blog), bare
 * URLs become links. One shared instance; rendering is pure and deterministic.
 */
const markdown = new MarkdownIt({ html: true, linkify: true, typographer: false });

export function renderMarkdown(source: string): string {
  return markdown.render(source);
}

/**
 * Someone else's words (a repost's quoted `text`): the same markdown, but raw HTML is escaped, not
 * passed through, and markdown-it's link check keeps javascript:, vbscript:, file: and data: URLs
 * from becoming links. The owner copied the text; they did not vouch for its markup.
 */
const quotedMarkdown = new MarkdownIt({ html: false, linkify: true, typographer: false });

export function renderQuotedMarkdown(source: string): string {
  return quotedMarkdown.render(source);
}

/** Plain text of rendered HTML, whitespace collapsed: for titles and summaries. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

/** The first `max` characters of a text, cut at a word when possible, with "..." (ASCII keeps pages one-byte strings). */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 3).join("");
  const atWord = cut.replace(/\s+\S*$/, "");
  return `${atWord.length > max / 2 ? atWord : cut}...`;
}
