import MarkdownIt from "markdown-it";

/**
 * The one markdown renderer of post bodies: the build (posts.ts, the post pages) and the Worker's
 * Write preview (lib/owner/write-preview.tsx) both import this file, so the preview is the page. It
 * imports nothing but markdown-it (test/project/rooms.test.ts keeps it so: it is in the Worker's bundle).
 *
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

/** A post's rendered words: its own (`bodyHtml`), a repost's quoted ones, and both as feeds carry them. */
export interface RenderedBody {
  bodyHtml: string;
  repostHtml: string;
  /** The item's description: a repost with a comment quotes their words below it. */
  html: string;
}

/** The body of a post file (the markdown below its front matter) and a repost's quoted `text`, rendered. */
export function renderPostBody(content: string, repostText: string | undefined): RenderedBody {
  const bodyHtml = content.trim() ? renderMarkdown(content) : "";
  const repostHtml = repostText === undefined ? "" : renderQuotedMarkdown(repostText);
  const html = repostText === undefined ? bodyHtml : bodyHtml ? `${bodyHtml}<blockquote>\n${repostHtml}</blockquote>\n` : repostHtml;
  return { bodyHtml, repostHtml, html };
}

/** What a post page shows in its `post-body`: a repost without a comment is their words, quoted as a repost. */
export function postPageBody(body: RenderedBody, isRepost: boolean): string {
  if (isRepost && !body.bodyHtml) return `<blockquote class="repost">\n${body.repostHtml}</blockquote>\n`;
  return body.html;
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
