/**
 * The human side of the site: the profile page (the spec's `profile` URL), older-post pages, one
 * page per post, and the follows/blocks lists. Semantic HTML, no JavaScript; styles in
 * site/assets/style.css. Pages that must stay byte-stable (older-post pages, post pages) show
 * nothing that changes when a newer post is added: no counts, no "newer" links.
 */
import { formatHumanDate, formatIsoUtc } from "../../shared/dates.ts";
import { paths, type SiteUrls } from "../../shared/urls.ts";
import type { IndexedEntry, ListKind } from "../feed/list-feed.ts";
import { absoluteImageUrl, displayName } from "../feed/main-feed.ts";
import { postPageBody } from "../markdown.ts";
import type { Post } from "../posts.ts";
import { type ReplyThread, replyCount } from "../replies.ts";
import type { HtmlArchivePage, SiteModel } from "../site.ts";
import type { Profile } from "../site-schemas.ts";
import { type Html, html, raw } from "./html-builder.ts";
import { renderRepliesSection } from "./replies-section.ts";

/** What every page's frame needs to know about the site. */
export interface SiteChrome {
  profile: Profile;
  urls: SiteUrls;
}

export interface DocumentParts {
  title: string;
  description?: string;
  /** Site-root-relative path of this page, for the canonical link. */
  permalink: string;
  /** The page's <main> content. */
  content: string;
  /** Language of the page if not the profile's. */
  language?: string;
}

export function chromeOf(model: SiteModel): SiteChrome {
  return { profile: model.profile, urls: model.urls };
}

/** Root-relative href for a site path, honouring a base URL with a path (e.g. GitHub project pages). */
function href(chrome: SiteChrome, path: string): string {
  return `${chrome.urls.basePath}${path}`;
}

function imageSrc(chrome: SiteChrome, ref: string): string {
  return ref.startsWith("/") ? href(chrome, ref) : absoluteImageUrl(ref, chrome.urls);
}

const ACCEPT_EXPLAINED: Record<Profile["accept"], string> = {
  everyone: "Anyone can send private messages and reply notifications, except blocked accounts.",
  follows: "Only accounts this person follows can send private messages and reply notifications.",
  selected: "Only accounts this person follows or has selected can send private messages and reply notifications.",
  off: "This inbox is closed: no private messages or reply notifications.",
};

export function renderDocument(chrome: SiteChrome, parts: DocumentParts): string {
  const { profile, urls } = chrome;
  const name = displayName(profile);
  const navItems: [string, string][] = [
    [paths.home, "Posts"],
    [paths.listPage("follows"), "Follows"],
  ];
  if (profile.public_blocks) navItems.push([paths.listPage("blocks"), "Blocks"]);
  navItems.push([paths.feed, "Feed"]);
  return html`<!doctype html>
<html lang="${parts.language ?? profile.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${parts.title}</title>
${parts.description ? html`<meta name="description" content="${parts.description}">\n` : ""}<link rel="canonical" href="${urls.base}${parts.permalink}">
<link rel="alternate" type="application/rss+xml" title="${name} (@${profile.username})" href="${urls.feed}">
<link rel="alternate" type="application/atom+xml" title="${name} (@${profile.username}), Atom" href="${urls.atom}">
<link rel="webmention" href="${urls.webmention}">
<link rel="micropub" href="${urls.micropub}">
<link rel="indieauth-metadata" href="${urls.indieauthMetadata}">
<link rel="authorization_endpoint" href="${urls.authorizationEndpoint}">
<link rel="token_endpoint" href="${urls.tokenEndpoint}">
<link rel="stylesheet" href="${href(chrome, "/assets/style.css")}">
${profile.portrait ? html`<link rel="icon" href="${imageSrc(chrome, profile.portrait)}">\n` : ""}</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<a class="site-name" href="${href(chrome, paths.home)}">${name} <span class="handle">@${profile.username}</span></a>
<nav aria-label="Site">
<ul>
${navItems.map(([path, label]) => html`<li><a href="${href(chrome, path)}"${path === parts.permalink ? raw(' aria-current="page"') : ""}>${label}</a></li>\n`)}</ul>
</nav>
</header>
<main id="main">
${raw(parts.content)}</main>
<footer class="site-footer">
<p>Follow with any Open Microblog or RSS reader: <a href="${urls.feed}">${urls.feed}</a></p>
<p>Made with Skein.</p>
</footer>
</body>
</html>
`.value;
}

/**
 * What a post answers or repeats. The links carry microformats2's u-in-reply-to / u-repost-of
 * (their item's page when the front matter has it, else their feed) so IndieWeb readers and the
 * bridge see the conversation.
 */
function postContext(post: Post): Html {
  if (post.replyTo) {
    const who = post.replyTo.username ? `@${post.replyTo.username}` : post.replyTo.user_id;
    return html`<p class="post-context">In reply to <a class="u-in-reply-to" href="${post.replyTo.link ?? post.replyTo.user_link}">${who}</a>, post ${post.replyTo.status_id}</p>\n`;
  }
  if (post.inReplyTo) {
    return html`<p class="post-context">In reply to <a class="u-in-reply-to" href="${post.inReplyTo}">${post.inReplyTo}</a></p>\n`;
  }
  if (post.repost) {
    const who = post.repost.username ? `@${post.repost.username}` : post.repost.user_id;
    return html`<p class="post-context">Reposted from <a class="u-repost-of" href="${post.repost.link ?? post.repost.user_link}">${who}</a>, post ${post.repost.status_id} of <time datetime="${formatIsoUtc(post.repost.pubdate)}">${formatHumanDate(post.repost.pubdate)}</time></p>\n`;
  }
  return html``;
}

/** The entry's author for microformats2 (p-author), hidden: the page shows the author elsewhere. */
function hiddenAuthor(chrome: SiteChrome): Html {
  return html`<a class="p-author h-card" href="${chrome.urls.profile}" hidden>${displayName(chrome.profile)}</a>\n`;
}

function postBody(post: Post): Html {
  return raw(postPageBody({ bodyHtml: post.bodyHtml, repostHtml: post.repost?.html ?? "", html: post.html }, post.repost !== undefined));
}

/**
 * A post in a list of posts: its date is its heading and its permalink. `replies` (the home page
 * only: older-post pages never change once full) adds a link to the post's conversation.
 */
function postInList(chrome: SiteChrome, post: Post, replies = 0): Html {
  const lang = post.language && post.language !== chrome.profile.language ? html` lang="${post.language}"` : "";
  const conversation =
    replies > 0
      ? html`<p class="post-replies"><a href="${href(chrome, paths.post(post.guid))}#replies">${replies} ${replies === 1 ? "reply" : "replies"}</a></p>
`
      : "";
  return html`<article class="post h-entry"${lang}>
<h3 class="post-date"><a class="u-url" href="${href(chrome, paths.post(post.guid))}"><time class="dt-published" datetime="${formatIsoUtc(post.date)}">${formatHumanDate(post.date)}</time></a></h3>
${hiddenAuthor(chrome)}${postContext(post)}<div class="post-body e-content">
${postBody(post)}</div>
${conversation}</article>
`;
}

function profileHeader(chrome: SiteChrome, model: SiteModel): Html {
  const { profile, urls } = chrome;
  const name = displayName(profile);
  const bio = profile.bio ? profile.bio.split(/\n{2,}/).map((paragraph) => html`<p>${paragraph}</p>\n`) : "";
  return html`<section class="profile h-card" aria-labelledby="profile-name">
${profile.header ? html`<img class="profile-header" src="${imageSrc(chrome, profile.header)}" alt="">\n` : ""}<div class="profile-card">
${profile.portrait ? html`<img class="portrait u-photo" src="${imageSrc(chrome, profile.portrait)}" alt="Portrait of ${name}" width="96" height="96">\n` : ""}<h1 id="profile-name"><a class="p-name u-url u-uid" href="${urls.profile}">${name}</a> <span class="handle p-nickname">@${profile.username}</span></h1>
</div>
${profile.relocate ? html`<p class="notice" role="note">This account has moved. Follow the new feed: <a href="${profile.relocate}">${profile.relocate}</a></p>\n` : ""}<div class="bio p-note">
${bio}</div>
<dl class="counts">
<div><dt>Posts</dt><dd>${model.posts.length}</dd></div>
<div><dt><a href="${href(chrome, paths.listPage("follows"))}">Follows</a></dt><dd>${model.follows.length}</dd></div>
${profile.public_blocks ? html`<div><dt><a href="${href(chrome, paths.listPage("blocks"))}">Blocks</a></dt><dd>${model.blocks.length}</dd></div>\n` : ""}</dl>
${profileLinks(profile.links)}<p class="follow-hint">To follow, add <a href="${urls.feed}">${urls.feed}</a> to your Open Microblog client or feed reader.</p>
<p class="inbox-hint">${ACCEPT_EXPLAINED[profile.accept]}</p>
</section>
`;
}

/** The owner's other profiles: rel="me" makes them part of the same identity (IndieAuth, Bridgy Fed, Mastodon's verified links). */
function profileLinks(links: readonly string[]): Html {
  if (links.length === 0) return html``;
  return html`<ul class="profile-links">
${links.map((link) => html`<li><a class="u-url" rel="me" href="${link}">${link.replace(/^https?:\/\//, "")}</a></li>\n`)}</ul>
`;
}

function olderLink(chrome: SiteChrome, permalink: string | undefined, newestLink: boolean): Html {
  if (!permalink && !newestLink) return html``;
  return html`<nav class="pagination" aria-label="More posts">
<ul>
${newestLink ? html`<li><a href="${href(chrome, paths.home)}">Newest posts</a></li>\n` : ""}${permalink ? html`<li><a href="${href(chrome, permalink)}" rel="prev">Older posts</a></li>\n` : ""}</ul>
</nav>
`;
}

export function renderHomeMain(model: SiteModel): string {
  const chrome = chromeOf(model);
  return html`${profileHeader(chrome, model)}<section class="posts h-feed" aria-labelledby="posts-heading">
<h2 id="posts-heading" class="p-name">Posts</h2>
${model.home.posts.length ? model.home.posts.map((post) => postInList(chrome, post, replyCount(model.replies.get(post.guid)))) : html`<p>No posts yet.</p>\n`}</section>
${olderLink(chrome, model.home.olderPermalink, false)}`.value;
}

export function renderArchiveMain(chrome: SiteChrome, page: HtmlArchivePage): string {
  const first = page.posts.at(-1);
  const last = page.posts[0];
  const span =
    first && last
      ? html`<p class="page-span">From <time datetime="${formatIsoUtc(first.date)}">${formatHumanDate(first.date)}</time> to <time datetime="${formatIsoUtc(last.date)}">${formatHumanDate(last.date)}</time></p>\n`
      : "";
  return html`<section class="posts" aria-labelledby="posts-heading">
<h1 id="posts-heading">Older posts, page ${page.number}</h1>
${span}<h2 class="visually-hidden">Posts</h2>
${page.posts.map((post) => postInList(chrome, post))}</section>
${olderLink(chrome, page.olderPermalink, true)}`.value;
}

/** One post's page: the post, the replies the owner approved (lib/publish/replies.ts), how to reply. */
export function renderPostMain(chrome: SiteChrome, post: Post, replies?: readonly ReplyThread[]): string {
  const { profile, urls } = chrome;
  const name = displayName(profile);
  const lang = post.language && post.language !== profile.language ? html` lang="${post.language}"` : "";
  const replyHint =
    profile.accept === "off"
      ? html``
      : html`<section class="reply-hint" aria-labelledby="reply-heading">
<h2 id="reply-heading">Reply</h2>
<p>Reply from your own Open Microblog feed, then let your client notify <code>${urls.reply(post.guid)}</code> (post id ${post.guid}).</p>
</section>
`;
  return html`<article class="post post-single h-entry"${lang}>
<header class="post-author">
${profile.portrait ? html`<img class="avatar" src="${imageSrc(chrome, profile.portrait)}" alt="" width="48" height="48">\n` : ""}<h1><a class="p-author h-card" href="${urls.profile}">${name}</a> <span class="handle">@${profile.username}</span></h1>
</header>
${postContext(post)}<div class="post-body e-content">
${postBody(post)}</div>
<footer class="post-meta"><a class="u-url" href="${href(chrome, paths.post(post.guid))}"><time class="dt-published" datetime="${formatIsoUtc(post.date)}">${formatHumanDate(post.date)}</time></a></footer>
${renderRepliesSection(replies, { postHref: (guid) => href(chrome, paths.post(guid)), owner: { name, username: profile.username, homeHref: href(chrome, paths.home) } })}</article>
${replyHint}<nav class="pagination" aria-label="More posts">
<ul>
<li><a href="${href(chrome, paths.home)}">All posts by ${name}</a></li>
</ul>
</nav>
`.value;
}

export function renderListMain(chrome: SiteChrome, kind: ListKind, entries: readonly IndexedEntry[]): string {
  const { profile, urls } = chrome;
  const title = kind === "follows" ? `Accounts @${profile.username} follows` : `Accounts @${profile.username} blocks`;
  const rows = [...entries]
    .reverse()
    .map(
      (entry) =>
        html`<li class="h-card"><a class="u-url p-nickname" href="${entry.user_link}">@${entry.username}</a>${entry.since !== undefined ? html` <span class="since">since <time datetime="${formatIsoUtc(entry.since)}">${formatHumanDate(entry.since)}</time></span>` : ""}<br><span class="user-id">${entry.user_id}</span></li>\n`,
    );
  return html`<section class="people" aria-labelledby="list-heading">
<h1 id="list-heading">${title}</h1>
<p>${entries.length} ${entries.length === 1 ? "account" : "accounts"}, newest first. As an Open Microblog list feed: <a href="${urls.list(kind)}">${urls.list(kind)}</a></p>
${entries.length ? html`<ul class="people-list">\n${rows}</ul>\n` : html`<p>Nobody yet.</p>\n`}</section>
`.value;
}

export function renderNotFoundMain(chrome: SiteChrome): string {
  return html`<section aria-labelledby="nf-heading">
<h1 id="nf-heading">Page not found</h1>
<p>Nothing lives at this address. <a href="${href(chrome, paths.home)}">See the newest posts</a> or follow the feed.</p>
</section>
`.value;
}

/** "summary · Name". Kept within Latin-1 so typical pages are one-byte strings in memory. */
export function postTitle(chrome: SiteChrome, post: Post): string {
  return `${post.summary} · ${displayName(chrome.profile)}`;
}

export function listTitle(chrome: SiteChrome, kind: ListKind): string {
  return kind === "follows" ? `Accounts @${chrome.profile.username} follows` : `Accounts @${chrome.profile.username} blocks`;
}
