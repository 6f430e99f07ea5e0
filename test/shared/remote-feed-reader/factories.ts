/**
 * Fixture factories for the feed reader tests: hand-written feed documents (the shapes other
 * servers publish) and whole Skein sites built in memory with fixed UTC dates.
 */
import type { SiteSources } from "../../../lib/publish/site.ts";

const utf8 = new TextEncoder();

/** One element line; `name` may carry a prefix, `attributes` is written as is (already escaped). */
export function element(name: string, text: string, attributes = ""): string {
  return `<${name}${attributes ? ` ${attributes}` : ""}>${text}</${name}>`;
}

/** CDATA that survives "]]>" in the text, split across two sections like lib/publish/feed/xml-writer.ts does. */
export function cdata(text: string): string {
  return `<![CDATA[${text.split("]]>").join("]]]]><![CDATA[>")}]]>`;
}

/** An RSS document around channel-level markup and items (each already a string of child elements). */
export function rssDocument(channelBody: string, items: readonly string[] = [], options: { channelAttributes?: string; prolog?: string } = {}): string {
  const prolog = options.prolog ?? '<?xml version="1.0" encoding="UTF-8"?>\n';
  const channelOpen = options.channelAttributes ? `<channel ${options.channelAttributes}>` : "<channel>";
  return `${prolog}<rss version="2.0" xmlns:microblog="http://openmicroblog.com/">\n  ${channelOpen}\n${channelBody}\n${items
    .map((item) => `    <item>\n${item}\n    </item>`)
    .join("\n")}\n  </channel>\n</rss>\n`;
}

export const FIXED_USER_ID = "3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10";

/** Minimal valid channel header with the spec's required channel elements. */
export function minimalChannel(): string {
  return [
    element("microblog:username", "ada"),
    element("microblog:user_id", FIXED_USER_ID),
    element("microblog:profile", "https://ada.example/"),
    element("link", "https://ada.example/feed.xml"),
    element("language", "en"),
    element("lastBuildDate", "Sat, 16 May 2015 21:32:15 +0000"),
  ].join("\n");
}

/** Text of the n-th generated post: markup, entities-to-be, "]]>" and astral characters included. */
export function generatedPostHtml(n: number): string {
  return `<p>Post ${n}: 5 < 6 & "quotes" 'apos' ]]> split, emoji \u{1F426} and caf\u00e9.</p>\n<ul><li>${"x".repeat(n % 50)}</li></ul>`;
}

/** Fixed UTC date of the n-th generated post, as RFC 822. */
export function generatedPubDate(n: number): string {
  return new Date(Date.UTC(2020, 0, 1, 0, 0, 0) + n * 60_000).toUTCString().replace("GMT", "+0000");
}

/** A big valid feed built by string concatenation (no library): `count` items, newest first. */
export function bigFeed(count: number): string {
  const items: string[] = [];
  for (let n = count - 1; n >= 0; n--) {
    items.push(
      [
        element("guid", String(n), 'isPermaLink="false"'),
        element("pubDate", generatedPubDate(n)),
        element("description", cdata(generatedPostHtml(n))),
        element("microblog:reply", `https://ada.example/api/posts/${n}/reply`),
        element("microblog:in_reply_to_status_id", `status&amp;${n}`),
      ].join("\n"),
    );
  }
  return rssDocument(minimalChannel(), items);
}

/** A Skein site held in memory, built from YAML and markdown text. */
export function siteSources(files: { profile: string; follows?: string; blocks?: string; posts: Record<string, string> }): SiteSources {
  const sources: SiteSources = {
    profile: { file: "site/_data/profile.yaml", bytes: utf8.encode(files.profile) },
    posts: Object.entries(files.posts).map(([name, text]) => ({ file: `posts/${name}`, bytes: utf8.encode(text) })),
  };
  if (files.follows !== undefined) sources.follows = { file: "site/_data/follows.yaml", bytes: utf8.encode(files.follows) };
  if (files.blocks !== undefined) sources.blocks = { file: "site/_data/blocks.yaml", bytes: utf8.encode(files.blocks) };
  return sources;
}

function listYaml(prefix: string, count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const hex = (prefix + i.toString(16)).padStart(12, "0");
    lines.push(
      `- user_id: 0e9a7c52-61f4-4d3b-b8a2-${hex}`,
      `  username: ${prefix}_user.${i}`,
      `  user_link: https://${prefix}${i}.example/feed.xml?a=1&b=${i}`,
      `  since: ${new Date(Date.UTC(2025, 5, 1 + i, 12)).toISOString()}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A site that exercises the feed writer's awkward corners: a bio with "]]>" and markup, names with
 * XML specials, replies, reposts (with and without a comment), another language, CRLF post files,
 * astral characters, relocation, and enough posts and follows to paginate into several pages.
 */
export function trickySite(options: { accept: "everyone" | "follows" | "selected" | "off"; publicBlocks: boolean; posts: number }): SiteSources {
  const profile = [
    "username: tricky_one",
    "user_id: 8d3c6f0e-2b1a-4e57-9c4d-1f6a2e9b7c30",
    'full_name: "Zoë <Tester> & \\"Co\\" &amp; Q&A;"',
    "bio: |",
    "  Bio with ]]> inside, <b>markup</b> & an &amp; that stays literal.",
    "  Second line \u{1F426}.",
    "language: en",
    "url: https://tricky.example/sub",
    "portrait: /assets/me.png",
    "header: https://cdn.example/header.jpg?x=1&y=2",
    `accept: ${options.accept}`,
    `public_blocks: ${options.publicBlocks}`,
    "relocate: https://new-home.example/feed.xml",
    "docs: https://docs.example/open-microblog",
  ].join("\n");
  const posts: Record<string, string> = {};
  for (let n = 0; n < options.posts; n++) {
    const date = new Date(Date.UTC(2026, 0, 1 + n, 8, n % 60)).toISOString();
    const name = `2026-post-${String(n).padStart(3, "0")}.md`;
    if (n % 5 === 1) {
      posts[name] =
        `---\ndate: ${date}\nid: ${n}\nreply_to:\n  user_id: "urn:uuid:${n}"\n  user_link: https://bob.example/feed.xml?u=1&v=2\n  status_id: ${100 + n}\n---\n@bob reply ${n} with <angle> & ampersand\n`;
    } else if (n % 5 === 2) {
      posts[name] =
        `---\ndate: ${date}\nid: ${n}\nrepost:\n  user_id: c41d2e8f-7a6b-4c95-93e0-5b2f8d1a6e47\n  user_link: https://carmen.example/feed.xml\n  status_id: abc-${n}\n  pubdate: 2025-12-31T23:59:00Z\n  text: "Reposted text ${n} with \`code ]]> here\`"\n---\n${n % 2 ? "" : `My comment on ${n}.`}\n`;
    } else if (n % 5 === 3) {
      posts[name] = `---\ndate: ${date}\nid: ${n}\nlanguage: pt-BR\n---\nOlá ${n}!\n\n- item *um*\n- item **dois** \u{1F600}\n`;
    } else if (n % 5 === 4) {
      posts[name] = `---\r\ndate: ${date}\r\nid: ${n}\r\n---\r\nWritten with CRLF line ends, post ${n}.\r\nSecond line & more.\r\n`;
    } else {
      posts[name] =
        `---\ndate: ${date}\nid: ${n}\n---\nPlain post ${n}: 1 < 2 && "yes" [link](https://x.example/?a=1&b=2)\n\n\`\`\`\n<![CDATA[ not real ]]>\n\`\`\`\n`;
    }
  }
  return siteSources({ profile, follows: listYaml("f", 12), blocks: listYaml("b", 3), posts });
}

/** The two sample feeds printed in the spec ("Main Feed Layout" and "Alternate Feed Layout"), verbatim. */
export const SPEC_MAIN_SAMPLE = `<rss version="2.0" xmlns:microblog="http://openmicroblog.com/">
	<channel>
		<!-- User Info -->
		<microblog:username></microblog:username>
		<microblog:user_id></microblog:user_id>
		<microblog:user_full_name></microblog:user_full_name>
		<description><![CDATA[]]></description>
		<microblog:header></microblog:header>
        <microblog:portrait></microblog:portrait>
        <!-- Feed Metadata -->
		<microblog:profile></microblog:profile>
		<link></link>
		<microblog:next_node></microblog:next_node>
		<microblog:relocate></microblog:relocate>
		<microblog:blocks count=""></microblog:blocks>
		<microblog:follows count=""></microblog:follows>
		<!-- Private Messaging URL -->
		<microblog:message accept="everyone"></microblog:message>
		<!-- Misc. -->
		<docs></docs>
		<language></language>
		<lastBuildDate></lastBuildDate>
		<item>
			<!-- Status Update -->
			<guid isPermalink="false"></guid>
			<pubdate></pubdate>
			<description><![CDATA[]]></description>
			<!-- Reply and Mention URL -->
			<microblog:reply></microblog:reply>
			<!-- Replying -->
			<microblog:in_reply_to_status_id></microblog:in_reply_to_status_id>
			<microblog:in_reply_to_user_id></microblog:in_reply_to_user_id>
			<microblog:in_reply_to_user_link></microblog:in_reply_to_user_link>
			<!-- Reposting -->
			<microblog:reposted_status_id></microblog:reposted_status_id>
			<microblog:reposted_status_pubdate></microblog:reposted_status_pubdate>
			<microblog:reposted_status_user_id></microblog:reposted_status_user_id>
			<microblog:reposted_status_user_link></microblog:reposted_status_user_link>
			<!-- Misc. -->
			<language>en</language>
		</item>
	</channel>
</rss>`;

export const SPEC_LIST_SAMPLE = `<rss version="2.0" xmlns:microblog="http://openmicroblog.com/">
	<channel count="">
		<microblog:username></microblog:username>
		<microblog:user_id></microblog:user_id>
		<link></link>
		<microblog:next_node></microblog:next_node>
		<lastBuildDate></lastBuildDate>
		<item>
            <guid isPermalink="false"></guid>
			<microblog:user_id></microblog:user_id>
			<microblog:user_link></microblog:user_link>
			<microblog:user_name></microblog:user_name>
		</item>
	</channel>
</rss>`;
