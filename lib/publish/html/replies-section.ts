/**
 * The conversation under a post page: the replies the owner approved (lib/publish/replies.ts), oldest
 * first, each with the replier's name, @username linking to their profile (their feed's
 * microblog:profile, else their feed), the date, their words (a sanitized snapshot) and a link to
 * the original; answers nested one level, the owner's own answers among them. Each reply is a
 * microformats2 `p-comment h-cite` of the post's h-entry (author, date, content, url). Approved
 * webmentions are shown among them with their kind: a reply or mention as a `p-comment h-cite` with
 * its text, a like as `p-like h-cite`, a repost as `p-repost h-cite` (h-entry's response properties);
 * their words and names are a stranger's plain text, escaped like every interpolation here.
 */
import { formatHumanDate, formatIsoUtc } from "../../shared/dates.ts";
import type { ReplyThread, ShownReply, ShownWebmention } from "../replies.ts";
import type { ApprovedWebmentionEntry } from "../webmention-responses.ts";
import { type Html, html, raw } from "./html-builder.ts";

export interface ReplyChrome {
  /** Root-relative href of one of our post pages. */
  postHref(guid: number): string;
  /** The owner, for their own answers. */
  owner: { name: string; username: string; homeHref: string };
}

const MENTION_WORDS: Record<ApprovedWebmentionEntry["kind"], { property: string; says: string }> = {
  reply: { property: "p-comment", says: "replied" },
  mention: { property: "p-comment", says: "mentioned this" },
  like: { property: "p-like", says: "liked this" },
  repost: { property: "p-repost", says: "reposted this" },
};

function webmention(mention: ApprovedWebmentionEntry): Html {
  const { property, says } = MENTION_WORDS[mention.kind];
  const name = mention.name ?? new URL(mention.author_url ?? mention.webmention).host;
  const author = mention.author_url
    ? html`<a class="p-author h-card" href="${mention.author_url}" rel="nofollow ugc">${name}</a>`
    : html`<span class="p-author h-card">${name}</span>`;
  const text =
    mention.text && (mention.kind === "reply" || mention.kind === "mention") ? html`<div class="reply-body e-content"><p>${mention.text}</p></div>\n` : "";
  return html`<article class="reply reply-webmention reply-${mention.kind} ${property} h-cite">
<header class="reply-meta">${author} ${says} · <time class="dt-published" datetime="${formatIsoUtc(mention.date)}">${formatHumanDate(mention.date)}</time></header>
${text}<p class="reply-source"><a class="u-url" href="${mention.url ?? mention.webmention}" rel="nofollow ugc">Read it on their site</a></p>
</article>
`;
}

function shown(reply: ShownReply | ShownWebmention, chrome: ReplyChrome): Html {
  if (reply.kind === "webmention") return webmention(reply.mention);
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
