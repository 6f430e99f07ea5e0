/**
 * lib/publish/feed/xml-lines.ts writes the feeds' per-post fragments as strings; the page shells stay
 * with xmlbuilder2. The fragments must be the very bytes xmlbuilder2 made for them (the golden tests
 * check a few sites; this checks random posts): the xmlbuilder2 renderers below are the reference,
 * run on posts with every character the escaping cares about, in every combination of optional parts.
 */

import { describe, expect, it } from "vitest";
import { fragment } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import { type SeededRandom, seededRandom } from "../../../lib/harness/seeded-random.ts";
import { renderAtomEntry, THREAD_NS } from "../../../lib/publish/feed/atom-feed.ts";
import { atomEntryId } from "../../../lib/publish/feed/atom-ids.ts";
import { type FeedContext, renderPostItem } from "../../../lib/publish/feed/main-feed.ts";
import { escapeXmlAttribute, escapeXmlText } from "../../../lib/publish/feed/xml-lines.ts";
import { addDescription, addText, xmlText } from "../../../lib/publish/feed/xml-writer.ts";
import type { Post } from "../../../lib/publish/posts.ts";
import type { Profile } from "../../../lib/publish/site-schemas.ts";
import { formatIsoUtc, formatRfc822 } from "../../../lib/shared/dates.ts";
import { MICROBLOG_NS } from "../../../lib/shared/spec.ts";
import { siteUrls } from "../../../lib/shared/urls.ts";

function referenceItem(post: Post, context: FeedContext): string {
  const { profile, urls } = context;
  const root = fragment();
  const item = root.ele("item", { "xmlns:microblog": MICROBLOG_NS });
  item.ele("guid", { isPermaLink: "false" }).txt(String(post.guid));
  item.ele("pubDate").txt(formatRfc822(post.date));
  addText(item, "link", urls.post(post.guid));
  addDescription(item.ele("description"), post.html);
  if (profile.accept !== "off") addText(item, "microblog:reply", urls.reply(post.guid));
  if (post.replyTo) {
    addText(item, "microblog:in_reply_to_status_id", post.replyTo.status_id);
    addText(item, "microblog:in_reply_to_user_id", post.replyTo.user_id);
    addText(item, "microblog:in_reply_to_user_link", post.replyTo.user_link);
  }
  if (post.repost) {
    addText(item, "microblog:reposted_status_id", post.repost.status_id);
    addText(item, "microblog:reposted_status_pubdate", formatRfc822(post.repost.pubdate));
    addText(item, "microblog:reposted_status_user_id", post.repost.user_id);
    addText(item, "microblog:reposted_user_link", post.repost.user_link);
  }
  if (post.language && post.language !== profile.language) addText(item, "microblog:language", post.language);
  return root.end({ prettyPrint: true, offset: 2, wellFormed: true });
}

function referenceEntry(post: Post, context: FeedContext): string {
  const { profile, urls } = context;
  const link = (parent: XMLBuilder, values: Record<string, string>) =>
    parent.ele("link", Object.fromEntries(Object.entries(values).map(([k, v]) => [k, xmlText(v)])));
  const root = fragment();
  const entry = root.ele("entry", post.replyTo ? { "xmlns:thr": THREAD_NS } : {});
  if (post.language && post.language !== profile.language) entry.att("http://www.w3.org/XML/1998/namespace", "xml:lang", post.language);
  addText(entry, "id", atomEntryId(profile.user_id, post.guid));
  addText(entry, "title", post.summary);
  link(entry, { rel: "alternate", type: "text/html", href: urls.post(post.guid) });
  addText(entry, "published", formatIsoUtc(post.date));
  addText(entry, "updated", formatIsoUtc(post.date));
  addDescription(entry.ele("content", { type: "html" }), post.html);
  if (post.replyTo) {
    entry.ele("thr:in-reply-to", { ref: xmlText(atomEntryId(post.replyTo.user_id, post.replyTo.status_id)), href: xmlText(post.replyTo.user_link) });
    link(entry, { rel: "via", title: "reply", href: post.replyTo.user_link });
  }
  if (post.repost) link(entry, { rel: "via", title: "repost", href: post.repost.user_link });
  return root.end({ prettyPrint: true, offset: 1, wellFormed: true });
}

const PIECES = ["a", " ", "&", "&amp;", "&#38;", "<", ">", '"', "'", "]]>", "]]", "\n", "\t", "é", "日本", "😀", "<p>", "</p>", "Q&A;", "x"];

function text(random: SeededRandom, min = 0): string {
  let out = "";
  const length = random.int(min, 12);
  for (let i = 0; i < length; i++) out += random.pick(PIECES);
  return out;
}

function randomPost(random: SeededRandom): Post {
  const post: Post = {
    file: "posts/x.md",
    guid: random.int(0, 2 ** 40),
    date: random.int(0, 4_102_444_800_000),
    bodyHtml: "",
    html: text(random),
    summary: text(random),
  };
  if (random.chance(0.3)) post.language = random.pick(["en", "fr", "pt-BR"]);
  if (random.chance(0.3)) post.replyTo = { status_id: String(random.int(0, 99)), user_id: text(random, 1), user_link: `https://b.example/${text(random, 1)}` };
  if (random.chance(0.3))
    post.repost = {
      status_id: String(random.int(0, 99)),
      user_id: text(random, 1),
      user_link: `https://c.example/?a=1&b=${text(random)}`,
      pubdate: random.int(0, 2e12),
      html: "",
    };
  return post;
}

function randomContext(random: SeededRandom): FeedContext {
  const profile = { username: "wren", user_id: "8d3c6f0e-2b1a-4e57-9c4d-1f6a2e9b7c30", language: "en", accept: random.pick(["everyone", "off"]) } as Profile;
  const base = random.pick(["https://wren.example", "https://wren.example/a&b", "https://x.example/~w"]);
  return { profile, urls: siteUrls(base), followsCount: 0, headerReserveBytes: 4000 };
}

describe("feed fragments written as strings", () => {
  it("are the bytes xmlbuilder2 writes, for 500 random posts", { timeout: 60_000 }, () => {
    const random = seededRandom(17);
    for (let i = 0; i < 500; i++) {
      const post = randomPost(random);
      const context = randomContext(random);
      expect(renderPostItem(post, context), JSON.stringify(post)).toBe(referenceItem(post, context));
      expect(renderAtomEntry(post, { ...context, hubs: [] }), JSON.stringify(post)).toBe(referenceEntry(post, context));
    }
  });

  it("escape what XML needs escaped, and nothing else", () => {
    expect(escapeXmlText(`a&amp; <b> "q" 'x'`)).toBe(`a&amp;amp; &lt;b&gt; "q" 'x'`);
    expect(escapeXmlAttribute(`a&b<c>"d"'e'`)).toBe("a&amp;b&lt;c&gt;&quot;d&quot;'e'");
    expect(escapeXmlText("plain")).toBe("plain");
  });
});
