/**
 * Feeds written exactly in the layout of the spec's two sample feeds ("Main Feed Layout" and
 * "Alternate Feed Layout", verbatim in test/shared/remote-feed-reader/factories.ts), with values filled
 * in: what an implementation that copied the samples in 2015 serves. So: no <title>, <pubdate> in lower
 * case, <guid isPermalink="false">, a count attribute on the list's <channel>,
 * reposted_status_user_link, an item <language> without prefix, dates ending in "UTC" as in the spec's
 * Replies example, tabs. Every value is a fixed string: tests compare what comes back with them.
 */

export interface SpecPost {
  guid: string;
  /** As written in <pubdate>. */
  pubdate: string;
  /** The description's HTML (written inside CDATA). */
  html: string;
  language?: string;
  reply?: { status_id: string; user_id: string; user_link: string };
  repost?: { status_id: string; user_id: string; user_link: string; pubdate: string };
}

export interface SpecMainPage {
  username: string;
  user_id: string;
  full_name?: string;
  bio?: string;
  portrait?: string;
  header?: string;
  profile: string;
  /** The feed URL (the head's). */
  link: string;
  next_node?: string;
  relocate?: string;
  blocks?: { url: string; count: number };
  follows?: { url: string; count: number };
  language: string;
  lastBuildDate: string;
  posts: SpecPost[];
}

const optional = (name: string, value: string | undefined) => (value === undefined ? "" : `\t\t<${name}>${value}</${name}>\n`);

export function specMainPage(page: SpecMainPage): string {
  const items = page.posts.map((post) => {
    const lines = [`\t\t<item>`, `\t\t\t<guid isPermalink="false">${post.guid}</guid>`, `\t\t\t<pubdate>${post.pubdate}</pubdate>`];
    lines.push(`\t\t\t<description><![CDATA[${post.html}]]></description>`);
    lines.push(`\t\t\t<microblog:reply>${page.link.replace(/feed\.xml$/, "")}reply/${post.guid}</microblog:reply>`);
    if (post.reply) {
      lines.push(`\t\t\t<microblog:in_reply_to_status_id>${post.reply.status_id}</microblog:in_reply_to_status_id>`);
      lines.push(`\t\t\t<microblog:in_reply_to_user_id>${post.reply.user_id}</microblog:in_reply_to_user_id>`);
      lines.push(`\t\t\t<microblog:in_reply_to_user_link>${post.reply.user_link}</microblog:in_reply_to_user_link>`);
    }
    if (post.repost) {
      lines.push(`\t\t\t<microblog:reposted_status_id>${post.repost.status_id}</microblog:reposted_status_id>`);
      lines.push(`\t\t\t<microblog:reposted_status_pubdate>${post.repost.pubdate}</microblog:reposted_status_pubdate>`);
      lines.push(`\t\t\t<microblog:reposted_status_user_id>${post.repost.user_id}</microblog:reposted_status_user_id>`);
      lines.push(`\t\t\t<microblog:reposted_status_user_link>${post.repost.user_link}</microblog:reposted_status_user_link>`);
    }
    if (post.language) lines.push(`\t\t\t<language>${post.language}</language>`);
    lines.push(`\t\t</item>`);
    return `${lines.join("\n")}\n`;
  });
  return (
    `<rss version="2.0" xmlns:microblog="http://openmicroblog.com/">\n\t<channel>\n\t\t<!-- User Info -->\n` +
    optional("microblog:username", page.username) +
    optional("microblog:user_id", page.user_id) +
    optional("microblog:user_full_name", page.full_name) +
    (page.bio === undefined ? "" : `\t\t<description><![CDATA[${page.bio}]]></description>\n`) +
    optional("microblog:header", page.header) +
    optional("microblog:portrait", page.portrait) +
    "\t\t<!-- Feed Metadata -->\n" +
    optional("microblog:profile", page.profile) +
    optional("link", page.link) +
    optional("microblog:next_node", page.next_node) +
    optional("microblog:relocate", page.relocate) +
    (page.blocks ? `\t\t<microblog:blocks count="${page.blocks.count}">${page.blocks.url}</microblog:blocks>\n` : "") +
    (page.follows ? `\t\t<microblog:follows count="${page.follows.count}">${page.follows.url}</microblog:follows>\n` : "") +
    `\t\t<microblog:message accept="everyone">${page.link.replace(/feed\.xml$/, "")}message</microblog:message>\n` +
    optional("language", page.language) +
    optional("lastBuildDate", page.lastBuildDate) +
    items.join("") +
    "\t</channel>\n</rss>\n"
  );
}

export interface SpecListEntry {
  user_id: string;
  user_name: string;
  user_link: string;
}

export function specListPage(page: {
  username: string;
  user_id: string;
  link: string;
  next_node?: string;
  lastBuildDate: string;
  entries: SpecListEntry[];
}): string {
  const items = page.entries.map(
    (entry, i) =>
      `\t\t<item>\n            <guid isPermalink="false">${i}</guid>\n\t\t\t<microblog:user_id>${entry.user_id}</microblog:user_id>\n\t\t\t<microblog:user_link>${entry.user_link}</microblog:user_link>\n\t\t\t<microblog:user_name>${entry.user_name}</microblog:user_name>\n\t\t</item>\n`,
  );
  return (
    `<rss version="2.0" xmlns:microblog="http://openmicroblog.com/">\n\t<channel count="${page.entries.length}">\n` +
    optional("microblog:username", page.username) +
    optional("microblog:user_id", page.user_id) +
    optional("link", page.link) +
    optional("microblog:next_node", page.next_node) +
    optional("lastBuildDate", page.lastBuildDate) +
    items.join("") +
    "\t</channel>\n</rss>\n"
  );
}

/** A spec-shaped site on `base`: a head and one archive page (next_node), follows and blocks lists. */
export function specShapedSite(base: string): Record<string, string> {
  const owner = { username: "sonic", user_id: "6f1c1a7e-5b2d-4b7e-9a63-1d2e3f4a5b6c" };
  const common = {
    ...owner,
    full_name: "Sonic Example",
    bio: "Writes <b>Open Microblog</b> by hand, since 2015.",
    portrait: `${base}/portrait.png`,
    header: `${base}/header.png`,
    profile: `${base}/`,
    link: `${base}/feed.xml`,
    blocks: { url: `${base}/blocks.xml`, count: 1 },
    follows: { url: `${base}/follows.xml`, count: 2 },
    language: "en",
  };
  const head = specMainPage({
    ...common,
    next_node: `${base}/feed-0.xml`,
    lastBuildDate: "Sat, 16 May 2015 21:32:15 UTC",
    posts: [
      {
        guid: "3",
        pubdate: "Sat, 16 May 2015 21:32:15 UTC",
        html: "<p>Reposting this, <em>so</em> true.</p>",
        repost: { status_id: "77", user_id: "bob-1", user_link: "http://bob.example/feed.xml", pubdate: "Fri, 15 May 2015 08:00:00 UTC" },
      },
      {
        guid: "2",
        pubdate: "Fri, 15 May 2015 10:00:00 UTC",
        html: "<p>@bob Anyone out there?</p>",
        reply: { status_id: "76", user_id: "bob-1", user_link: "http://bob.example/feed.xml" },
      },
    ],
  });
  const archive = specMainPage({
    ...common,
    lastBuildDate: "Thu, 14 May 2015 09:00:00 UTC",
    posts: [
      { guid: "1", pubdate: "Thu, 14 May 2015 09:00:00 UTC", html: "<p>Bonjour &amp; bienvenue.</p>", language: "fr" },
      { guid: "0", pubdate: "Wed, 13 May 2015 09:00:00 UTC", html: '<p>Hello <a href="http://openmicroblog.com">world</a>.</p>' },
    ],
  });
  return {
    "/feed.xml": head,
    "/feed-0.xml": archive,
    "/follows.xml": specListPage({
      ...owner,
      link: `${base}/follows.xml`,
      lastBuildDate: "Sat, 16 May 2015 21:32:15 UTC",
      entries: [
        { user_id: "bob-1", user_name: "bob_2015", user_link: "http://bob2015.example/feed.xml" },
        { user_id: "9a3e5c71-2d4b-4f86-a1c9-7e5d3b2f1a08", user_name: "fern", user_link: "http://fern.example/feed.xml" },
      ],
    }),
    "/blocks.xml": specListPage({
      ...owner,
      link: `${base}/blocks.xml`,
      lastBuildDate: "Sat, 16 May 2015 21:32:15 UTC",
      entries: [{ user_id: "spam-9", user_name: "spammer", user_link: "http://spam2015.example/feed.xml" }],
    }),
  };
}
