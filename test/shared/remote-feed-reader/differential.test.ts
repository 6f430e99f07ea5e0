/**
 * Differential test: every XML file Skein builds, read by lib/shared/remote-feed-reader.ts, must agree field by
 * field with the same document parsed by fast-xml-parser (a full, independent XML parser).
 */
import { fileURLToPath } from "node:url";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { type BuildOptions, buildSite, type SiteModel, type SiteSources } from "../../../lib/publish/site.ts";
import { type Feed, type FeedChannel, type FeedItem, readFeed } from "../../../lib/shared/remote-feed-reader.ts";
import { optionsFromEnv, readSiteSources } from "../../../lib/site-build/site-source.ts";
import { trickySite } from "./factories.ts";

const projectRoot = fileURLToPath(new URL("../../../", import.meta.url));

const reference = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  // Keep every value a string ("0" must stay "0", not become a number).
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: false,
  // CDATA is merged into the element's text. No per-node trimming: white space between two CDATA
  // sections is content in XML, and only the whole value is trimmed (the reader's contract).
  trimValues: false,
  isArray: (name) => name === "item",
});

type Node = Record<string, unknown>;

/** The text of a parsed element, trimmed; undefined when absent or empty (the reader's contract). */
function textOf(node: unknown): string | undefined {
  const value = typeof node === "string" ? node : node && typeof node === "object" ? (node as Node)["#text"] : undefined;
  if (typeof value !== "string") return undefined;
  return value.trim() || undefined;
}

function attributeOf(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== "object") return undefined;
  const value = (node as Node)[`@_${name}`];
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

// Element name as Skein writes it -> field of the reader's result.
const CHANNEL_TEXT: Record<string, keyof FeedChannel> = {
  title: "title",
  description: "description",
  link: "link",
  language: "language",
  lastBuildDate: "lastBuildDate",
  docs: "docs",
  "microblog:username": "username",
  "microblog:user_id": "user_id",
  "microblog:user_full_name": "user_full_name",
  "microblog:profile": "profile",
  "microblog:next_node": "next_node",
  "microblog:relocate": "relocate",
  "microblog:header": "header",
  "microblog:portrait": "portrait",
};
const CHANNEL_WITH_ATTRIBUTE: Record<string, ["message" | "blocks" | "follows", "accept" | "count"]> = {
  "microblog:message": ["message", "accept"],
  "microblog:blocks": ["blocks", "count"],
  "microblog:follows": ["follows", "count"],
};
const ITEM_TEXT: Record<string, keyof FeedItem> = {
  guid: "guid",
  pubDate: "pubDate",
  description: "description",
  link: "link",
  title: "title",
  "microblog:reply": "reply",
  "microblog:in_reply_to_status_id": "in_reply_to_status_id",
  "microblog:in_reply_to_user_id": "in_reply_to_user_id",
  "microblog:in_reply_to_user_link": "in_reply_to_user_link",
  "microblog:reposted_status_id": "reposted_status_id",
  "microblog:reposted_status_pubdate": "reposted_status_pubdate",
  "microblog:reposted_status_user_id": "reposted_status_user_id",
  "microblog:reposted_user_link": "reposted_user_link",
  "microblog:language": "language",
  "microblog:user_id": "user_id",
  "microblog:user_name": "user_name",
  "microblog:user_link": "user_link",
};

/** What the reader should return, derived from fast-xml-parser's tree of the same document. */
function expectedFeed(xml: string): { feed: Feed; unmappedMicroblogElements: string[] } {
  const tree = reference.parse(xml) as Node;
  const channelNode = (tree.rss as Node).channel as Node;
  const unmapped: string[] = [];
  const channel: Record<string, unknown> = {};
  const count = attributeOf(channelNode, "count");
  if (count) channel.count = count;
  for (const [name, node] of Object.entries(channelNode)) {
    if (name === "item" || name.startsWith("@_")) continue;
    if (name === "atom:link") {
      // WebSub discovery: the first rel="self", every rel="hub" (the other rels are not read).
      for (const link of Array.isArray(node) ? node : [node]) {
        const rel = attributeOf(link, "rel");
        const href = attributeOf(link, "href");
        if (href && rel === "self" && channel.self === undefined) channel.self = href;
        if (href && rel === "hub") channel.hubs = [...((channel.hubs as string[] | undefined) ?? []), href];
      }
      continue;
    }
    const textField = CHANNEL_TEXT[name];
    const withAttribute = CHANNEL_WITH_ATTRIBUTE[name];
    if (textField) {
      const value = textOf(node);
      if (value !== undefined) channel[textField] = value;
    } else if (withAttribute) {
      const [field, attribute] = withAttribute;
      const url = textOf(node);
      const attributeValue = attributeOf(node, attribute);
      if (url !== undefined) channel[field] = attributeValue === undefined ? { url } : { url, [attribute]: attributeValue };
    } else if (name.startsWith("microblog:")) {
      unmapped.push(name);
    }
  }
  const items = ((channelNode.item as Node[] | undefined) ?? []).map((itemNode) => {
    const item: Record<string, string> = {};
    for (const [name, node] of Object.entries(itemNode)) {
      const field = ITEM_TEXT[name];
      if (field) {
        const value = textOf(node);
        if (value !== undefined) item[field] = value;
      } else if (name.startsWith("microblog:")) {
        unmapped.push(name);
      }
    }
    return item as FeedItem;
  });
  return { feed: { channel: channel as FeedChannel, items, complete: true }, unmappedMicroblogElements: unmapped };
}

function allXmlFiles(model: SiteModel): { permalink: string; xml: string }[] {
  return [...model.feedFiles, ...model.listFiles].map((file) => ({ permalink: file.permalink, xml: file.render() }));
}

function checkSite(sources: SiteSources, options: BuildOptions): { files: number; items: number } {
  const files = allXmlFiles(buildSite(sources, options));
  let items = 0;
  for (const { permalink, xml } of files) {
    const { feed, unmappedMicroblogElements } = expectedFeed(xml);
    // A microblog element the writer emits but this comparison does not know would go unchecked.
    expect(unmappedMicroblogElements, permalink).toEqual([]);
    const read = readFeed(xml);
    expect(read.channel, permalink).toEqual(feed.channel);
    expect(read.items, permalink).toEqual(feed.items);
    items += read.items.length;
  }
  return { files: files.length, items };
}

describe("readFeed agrees with fast-xml-parser on the feeds Skein builds", () => {
  it("the project's own site (posts/ and site/_data)", () => {
    const model = buildSite(readSiteSources(projectRoot), optionsFromEnv({}));
    const { files, items } = checkSite(readSiteSources(projectRoot), optionsFromEnv({}));
    expect(files).toBe(model.feedFiles.length + model.listFiles.length);
    expect(items).toBe(model.posts.length + model.follows.length + (model.profile.public_blocks ? model.blocks.length : 0));
    // The main feed head really carries the data (not just two empty results agreeing).
    const head = readFeed(model.feedFiles.at(-1)!.render());
    expect(head.channel.username).toBe(model.profile.username);
    expect(head.channel.user_id).toBe(model.profile.user_id);
    expect(head.items.map((item) => item.guid)).toEqual(
      model.posts
        .map((post) => String(post.guid))
        .reverse()
        .slice(0, head.items.length),
    );
    expect(head.items[0]?.description).toBe(model.posts.at(-1)!.html.trim());
  });

  for (const accept of ["everyone", "off"] as const) {
    it(`a paginated site with awkward content (accept: ${accept})`, () => {
      const sources = trickySite({ accept, publicBlocks: accept === "everyone", posts: 23 });
      const options: BuildOptions = {
        feedLimits: { maxItems: 6, maxBytes: 500_000, headerReserveBytes: 16_384 },
        listLimits: { maxItems: 5, maxBytes: 500_000, headerReserveBytes: 16_384 },
      };
      const { files, items } = checkSite(sources, options);
      // 23 posts / 6 = 4 feed pages; 12 follows / 5 = 3 pages; 3 blocks = 1 page when public.
      expect(files).toBe(4 + 3 + (accept === "everyone" ? 1 : 0));
      expect(items).toBe(23 + 12 + (accept === "everyone" ? 3 : 0));

      const model = buildSite(sources, options);
      const head = readFeed(model.feedFiles.at(-1)!.render());
      // The bio's "]]>" is written as two CDATA sections and must come back whole, without the
      // pretty printer's indentation between them.
      expect(head.channel.description).toBe(model.profile.bio!.trim());
      expect(head.channel.user_full_name).toBe('Zoë <Tester> & "Co" &amp; Q&A;');
      expect(head.channel.relocate).toBe("https://new-home.example/feed.xml");
      expect(head.channel.next_node).toMatch(/^https:\/\/tricky\.example\/sub\//);
      if (accept === "off") {
        expect(head.channel.message).toBeUndefined();
        expect(head.items.every((item) => item.reply === undefined)).toBe(true);
      } else {
        expect(head.channel.message).toEqual({ url: model.urls.message, accept: "everyone" });
        expect(head.channel.blocks).toEqual({ url: model.urls.list("blocks"), count: "3" });
      }
      expect(head.channel.follows).toEqual({ url: model.urls.list("follows"), count: "12" });
      const oldest = readFeed(model.feedFiles[0]!.render());
      expect(oldest.channel.next_node).toBeUndefined();
      expect(oldest.channel.relocate).toBeUndefined();
      const followsHead = readFeed(model.listFiles.find((file) => file.permalink === "/follows.xml")!.render());
      // List feeds carry no <channel count> (issue 12): the count is on the main feed's microblog:follows.
      expect(followsHead.channel.count).toBeUndefined();
      expect(followsHead.items[0]).toMatchObject({ user_name: "f_user.11", user_link: "https://f11.example/feed.xml?a=1&b=11" });
    });
  }
});
