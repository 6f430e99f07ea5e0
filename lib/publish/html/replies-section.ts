/**
 * The conversation under a post page: the replies the owner approved (lib/publish/replies.ts), oldest
 * first, each with the replier's name, @username linking to their profile (their feed's
 * microblog:profile, else their feed), the date, their words (a sanitized snapshot) and a link to
 * the original; answers nested one level, the owner's own answers among them. Each reply is a
 * microformats2 `p-comment h-cite` of the post's h-entry (author, date, content, url).
 */
import { formatHumanDate, formatIsoUtc } from "../../shared/dates.ts";
import type { ReplyThread, ShownReply } from "../replies.ts";
import { type Html, html, raw } from "./html-builder.ts";

export interface ReplyChrome {
  /** Root-relative href of one of our post pages. */
  postHref(guid: number): string;
  /** The owner, for their own answers. */
  owner: { name: string; username: string; homeHref: string };
}

function shown(reply: ShownReply, chrome: ReplyChrome): Html {
  if (reply.kind === "ours") {
    const { post } = reply;
    return html`<article class="reply reply-ours p-comment h-cite">
<header class="reply-meta"><a class="p-author h-card" href="${chrome.owner.homeHref}">${chrome.owner.name}</a> <span class="handle">@${chrome.owner.username}</span> · <a class="u-url" href="${chrome.postHref(post.guid)}"><time class="dt-published" datetime="${formatIsoUtc(post.date)}">${formatHumanDate(post.date)}</time></a></header>
<div class="reply-body e-content">
${raw(post.bodyHtml || post.html)}</div>
</article>
`;
  }
  const who = reply.profile ?? reply.user_link;
  return html`<article class="reply p-comment h-cite">
<header class="reply-meta"><span class="p-author h-card">${reply.name ? html`<span class="p-name">${reply.name}</span> ` : ""}<a class="u-url${reply.name ? "" : " p-name"}" href="${who}" rel="nofollow ugc">@${reply.username}</a></span> · <time class="dt-published" datetime="${formatIsoUtc(reply.date)}">${formatHumanDate(reply.date)}</time></header>
<div class="reply-body e-content">
${raw(reply.text)}
</div>
<p class="reply-source"><a class="u-url" href="${reply.link ?? reply.user_link}" rel="nofollow ugc">Read it on their site</a></p>
</article>
`;
}

export function renderRepliesSection(threads: readonly ReplyThread[] | undefined, chrome: ReplyChrome): Html {
  if (!threads || threads.length === 0) return html``;
  const items = threads.map(
    (thread) => html`<li>
${shown(thread.reply, chrome)}${thread.answers.length ? html`<ol class="reply-answers">\n${thread.answers.map((answer) => html`<li>\n${shown(answer, chrome)}</li>\n`)}</ol>\n` : ""}</li>
`,
  );
  return html`<section class="replies" id="replies" aria-labelledby="replies-heading">
<h2 id="replies-heading">Replies</h2>
<ol class="reply-list">
${items}</ol>
</section>
`;
}
