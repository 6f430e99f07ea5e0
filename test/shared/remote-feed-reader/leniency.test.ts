/**
 * The shapes other Open Microblog writers publish: the spec's own samples (unprefixed <reply>,
 * <pubdate>, isPermalink), other prefixes, camelCase names, both repost-link names, list feeds.
 */
import { describe, expect, it } from "vitest";
import { readFeed } from "../../../lib/shared/remote-feed-reader.ts";
import { element, FIXED_USER_ID, minimalChannel, rssDocument, SPEC_LIST_SAMPLE, SPEC_MAIN_SAMPLE } from "./factories.ts";

describe("the spec's samples", () => {
  it("reads both printed sample feeds; their empty elements count as absent", () => {
    expect(readFeed(SPEC_MAIN_SAMPLE)).toEqual({ channel: {}, items: [{ language: "en" }], complete: true });
    expect(readFeed(SPEC_LIST_SAMPLE)).toEqual({ channel: {}, items: [{}], complete: true });
  });

  it("the samples filled in: every element lands in its field", () => {
    // Fill each empty element of the sample with its own name, so each value shows where it went.
    const fill = (xml: string) =>
      xml.replace(/<((?:microblog:)?(\w+))( [^>]*)?><\/\1>/g, (_, name: string, local: string, attributes = "") => `<${name}${attributes}>${local}</${name}>`);
    expect(readFeed(fill(SPEC_MAIN_SAMPLE))).toEqual({
      channel: {
        username: "username",
        user_id: "user_id",
        user_full_name: "user_full_name",
        header: "header",
        portrait: "portrait",
        profile: "profile",
        link: "link",
        next_node: "next_node",
        relocate: "relocate",
        blocks: { url: "blocks" },
        follows: { url: "follows" },
        message: { url: "message", accept: "everyone" },
        docs: "docs",
        language: "language",
        lastBuildDate: "lastBuildDate",
      },
      items: [
        {
          guid: "guid",
          pubDate: "pubdate",
          reply: "reply",
          in_reply_to_status_id: "in_reply_to_status_id",
          in_reply_to_user_id: "in_reply_to_user_id",
          in_reply_to_user_link: "in_reply_to_user_link",
          reposted_status_id: "reposted_status_id",
          reposted_status_pubdate: "reposted_status_pubdate",
          reposted_status_user_id: "reposted_status_user_id",
          reposted_user_link: "reposted_status_user_link",
          language: "en",
        },
      ],
      complete: true,
    });
    expect(readFeed(fill(SPEC_LIST_SAMPLE))).toEqual({
      channel: { username: "username", user_id: "user_id", link: "link", next_node: "next_node", lastBuildDate: "lastBuildDate" },
      items: [{ guid: "guid", user_id: "user_id", user_link: "user_link", user_name: "user_name" }],
      complete: true,
    });
  });

  it("the sample feed's shapes with values: <pubdate>, unprefixed <reply>, isPermalink", () => {
    const xml = rssDocument(minimalChannel(), [
      [
        element("guid", "3453-3433-dged-sfrf", 'isPermalink="false"'),
        element("description", "Anyone out there?"),
        element("pubdate", "Sat, 16 May 2015 21:32:15 UTC"),
        element("reply", "http://example.com/myusername/status/3453-3433-dged-sfrf/reply"),
      ].join(""),
    ]);
    expect(readFeed(xml).items).toEqual([
      {
        guid: "3453-3433-dged-sfrf",
        description: "Anyone out there?",
        pubDate: "Sat, 16 May 2015 21:32:15 UTC",
        reply: "http://example.com/myusername/status/3453-3433-dged-sfrf/reply",
      },
    ]);
  });
});

describe("element names match by local name, any case, snake_case == camelCase", () => {
  const spellings: [string, string][] = [
    ["microblog:in_reply_to_status_id", "prefix microblog"],
    ["mb:in_reply_to_status_id", "another prefix"],
    ["in_reply_to_status_id", "no prefix"],
    ["microblog:inReplyToStatusId", "camelCase"],
    ["inreplytostatusid", "all lower case"],
    ["MB:IN_REPLY_TO_STATUS_ID", "upper case"],
  ];
  for (const [name, label] of spellings) {
    it(`<${name}> (${label})`, () => {
      const xml = rssDocument(minimalChannel(), [`${element("guid", "1")}${element(name, "42")}`]);
      expect(readFeed(xml).items[0]).toEqual({ guid: "1", in_reply_to_status_id: "42" });
    });
  }

  it("every item field under camelCase and a foreign prefix", () => {
    const xml = rssDocument(minimalChannel(), [
      [
        element("GUID", "7"),
        element("PubDate", "Tue, 03 Mar 2026 10:00:00 +0000"),
        element("Description", "<![CDATA[<p>hi</p>]]>"),
        element("x:reply", "https://a.example/r"),
        element("x:inReplyToUserId", "u1"),
        element("x:inReplyToUserLink", "https://b.example/feed.xml"),
        element("x:repostedStatusId", "s9"),
        element("x:repostedStatusPubdate", "Mon, 02 Mar 2026 10:00:00 +0000"),
        element("x:repostedStatusUserId", "u2"),
        element("x:repostedUserLink", "https://c.example/feed.xml"),
        element("x:Language", "fr"),
      ].join("\n"),
    ]);
    expect(readFeed(xml).items[0]).toEqual({
      guid: "7",
      pubDate: "Tue, 03 Mar 2026 10:00:00 +0000",
      description: "<p>hi</p>",
      reply: "https://a.example/r",
      in_reply_to_user_id: "u1",
      in_reply_to_user_link: "https://b.example/feed.xml",
      reposted_status_id: "s9",
      reposted_status_pubdate: "Mon, 02 Mar 2026 10:00:00 +0000",
      reposted_status_user_id: "u2",
      reposted_user_link: "https://c.example/feed.xml",
      language: "fr",
    });
  });

  it("every channel field under camelCase and without a prefix", () => {
    const xml = rssDocument(
      [
        element("title", "T"),
        element("description", "D"),
        element("link", "https://a.example/feed.xml"),
        element("language", "de"),
        element("lastbuilddate", "Sat, 16 May 2015 21:32:15 +0000"),
        element("docs", "https://docs.example/"),
        element("userName", "ada"),
        element("userId", FIXED_USER_ID),
        element("userFullName", "Ada L."),
        element("profile", "https://a.example/"),
        element("nextNode", "https://a.example/feed/1.xml"),
        element("relocate", "https://b.example/feed.xml"),
        element("header", "https://a.example/h.png"),
        element("portrait", "https://a.example/p.png"),
        element("message", "https://a.example/api/message", "Accept='follows'"),
        element("blocks", "https://a.example/blocks.xml", 'count="2"'),
        element("follows", "https://a.example/follows.xml", 'x:count="5"'),
      ].join("\n"),
    );
    expect(readFeed(xml).channel).toEqual({
      title: "T",
      description: "D",
      link: "https://a.example/feed.xml",
      language: "de",
      lastBuildDate: "Sat, 16 May 2015 21:32:15 +0000",
      docs: "https://docs.example/",
      username: "ada",
      user_id: FIXED_USER_ID,
      user_full_name: "Ada L.",
      profile: "https://a.example/",
      next_node: "https://a.example/feed/1.xml",
      relocate: "https://b.example/feed.xml",
      header: "https://a.example/h.png",
      portrait: "https://a.example/p.png",
      message: { url: "https://a.example/api/message", accept: "follows" },
      blocks: { url: "https://a.example/blocks.xml", count: "2" },
      follows: { url: "https://a.example/follows.xml", count: "5" },
    });
  });

  it("both repost link names land in reposted_user_link; the first one wins", () => {
    const statusName = rssDocument(minimalChannel(), [element("microblog:reposted_status_user_link", "https://spec-sample.example/feed.xml")]);
    const listName = rssDocument(minimalChannel(), [element("microblog:reposted_user_link", "https://spec-list.example/feed.xml")]);
    const both = rssDocument(minimalChannel(), [
      element("microblog:reposted_status_user_link", "https://first.example/feed.xml") +
        element("microblog:reposted_user_link", "https://second.example/feed.xml"),
    ]);
    expect(readFeed(statusName).items[0]).toEqual({ reposted_user_link: "https://spec-sample.example/feed.xml" });
    expect(readFeed(listName).items[0]).toEqual({ reposted_user_link: "https://spec-list.example/feed.xml" });
    expect(readFeed(both).items[0]).toEqual({ reposted_user_link: "https://first.example/feed.xml" });
  });
});

describe("other eras' layouts", () => {
  it("0.3's <status_id> is the item's guid; a <guid> written as well wins", () => {
    const xml = rssDocument(minimalChannel(), [
      element("status_id", "7") + element("pubdate", "Sat, 16 May 2015 21:32:15 +0000") + element("description", "old"),
      element("microblog:statusId", "8") + element("guid", "9"),
    ]);
    expect(readFeed(xml).items).toEqual([{ guid: "7", pubDate: "Sat, 16 May 2015 21:32:15 +0000", description: "old" }, { guid: "9" }]);
  });

  it("RFC 001's <to userId>, <from userId> and <regarding> are the reply and repost fields", () => {
    const reply = element("microblog:to", "https://bob.example/feed.xml", 'userId="bob-id"') + element("microblog:regarding", "12");
    const repost = element("microblog:from", "https://carl.example/feed.xml", 'user_id="carl-id"') + element("microblog:regarding", "3");
    const both = element("microblog:in_reply_to_status_id", "5") + reply;
    const xml = rssDocument(minimalChannel(), [reply, repost, both]);
    expect(readFeed(xml).items).toEqual([
      { in_reply_to_user_link: "https://bob.example/feed.xml", in_reply_to_user_id: "bob-id", in_reply_to_status_id: "12" },
      { reposted_user_link: "https://carl.example/feed.xml", reposted_status_user_id: "carl-id", reposted_status_id: "3" },
      { in_reply_to_status_id: "5", in_reply_to_user_link: "https://bob.example/feed.xml", in_reply_to_user_id: "bob-id" },
    ]);
  });
});

describe("list feeds (spec 'Alternate Feed Layout')", () => {
  it("reads channel count and items with user_name or username", () => {
    const xml = rssDocument(
      [element("microblog:username", "ada"), element("microblog:user_id", FIXED_USER_ID), element("link", "https://ada.example/follows.xml")].join("\n"),
      [
        [
          element("guid", "0", 'isPermalink="false"'),
          element("microblog:user_id", "u-0"),
          element("microblog:user_link", "https://zero.example/feed.xml"),
          element("microblog:user_name", "zero"),
        ].join(""),
        [element("microblog:user_id", "u-1"), element("microblog:username", "one"), element("microblog:userLink", "https://one.example/feed.xml")].join(""),
        [element("userId", "u-2"), element("UserName", "two"), element("user_link", "https://two.example/feed.xml")].join(""),
      ],
      { channelAttributes: 'count=" 3 "' },
    );
    expect(readFeed(xml)).toEqual({
      channel: { count: "3", username: "ada", user_id: FIXED_USER_ID, link: "https://ada.example/follows.xml" },
      items: [
        { guid: "0", user_id: "u-0", user_link: "https://zero.example/feed.xml", user_name: "zero" },
        { user_id: "u-1", user_name: "one", user_link: "https://one.example/feed.xml" },
        { user_id: "u-2", user_name: "two", user_link: "https://two.example/feed.xml" },
      ],
      complete: true,
    });
  });
});

describe("structure", () => {
  it("only direct children count: an item's user_id never becomes the channel's", () => {
    const xml = rssDocument(element("microblog:username", "owner"), [
      [element("microblog:user_id", "item-user"), `<extra>${element("microblog:user_name", "nested")}</extra>`].join(""),
    ]);
    const feed = readFeed(xml);
    expect(feed.channel).toEqual({ username: "owner" });
    expect(feed.items).toEqual([{ user_id: "item-user" }]);
  });

  it("elements nested in a field, in unknown elements or in another channel are not read", () => {
    const xml = `<rss><channel>
      <image><title>Image title</title><link>https://img.example/</link></image>
      <description>Bio <b>bold</b> tail</description>
      <item><source><guid>inner</guid></source><guid>outer</guid></item>
    </channel><channel><title>second channel</title><item><guid>lost</guid></item></channel></rss>`;
    expect(readFeed(xml)).toEqual({ channel: { description: "Bio  tail" }, items: [{ guid: "outer" }], complete: true });
  });

  it("items are in document order, and items outside <channel> are ignored", () => {
    const items = ["c", "a", "b", "0"].map((guid) => element("guid", guid));
    const xml = `<rss><item><guid>outside</guid></item><channel>${items.map((item) => `<item>${item}</item>`).join("<!-- between -->")}</channel></rss>`;
    expect(readFeed(xml).items.map((item) => item.guid)).toEqual(["c", "a", "b", "0"]);
  });

  it("values are trimmed; empty values count as absent and do not block a later one; the first value wins", () => {
    const xml = rssDocument(
      [
        "<link/>",
        '<atom:link rel="self" href="https://a.example/self.xml"/>',
        element("link", "  \n https://a.example/feed.xml \t"),
        element("link", "https://later.example/"),
      ].join("\n"),
      [`${element("guid", "   ")}${element("guid", " 12 ")}${element("guid", "13")}`],
    );
    const feed = readFeed(xml);
    // The atom:link is not the channel link; its rel="self" is read apart (WebSub discovery).
    expect(feed.channel).toEqual({ link: "https://a.example/feed.xml", self: "https://a.example/self.xml" });
    expect(feed.items).toEqual([{ guid: "12" }]);
  });

  it("message/blocks/follows without a URL are absent; without the attribute they have only a url", () => {
    const xml = rssDocument(
      [
        element("microblog:message", "", 'accept="everyone"'),
        element("microblog:blocks", " ", 'count="4"'),
        element("microblog:follows", "https://a.example/follows.xml"),
        element("microblog:message", "https://a.example/m", 'accept=""'),
      ].join("\n"),
    );
    expect(readFeed(xml).channel).toEqual({ follows: { url: "https://a.example/follows.xml" }, message: { url: "https://a.example/m" } });
  });

  it("a channel with no items reads as an empty list; the rss root may carry any prefix or case", () => {
    expect(readFeed("<RSS><Channel><title>t</title></Channel></RSS>")).toEqual({ channel: { title: "t" }, items: [], complete: true });
    expect(readFeed('<x:rss xmlns:x="urn:x"><x:channel/></x:rss>')).toEqual({ channel: {}, items: [], complete: true });
  });
});
