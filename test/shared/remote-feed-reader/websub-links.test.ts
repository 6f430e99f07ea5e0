/**
 * WebSub discovery in the lenient reader (lib/shared/remote-feed-reader.ts): <atom:link rel="hub">
 * and rel="self" of the channel, any prefix, as written; the RSS <link> stays the channel link.
 */
import { describe, expect, it } from "vitest";
import { MAX_HUB_LINKS, readFeed } from "../../../lib/shared/remote-feed-reader.ts";

const feed = (channel: string) =>
  `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>${channel}<item><guid>1</guid></item></channel></rss>`;

describe("hub and self links", () => {
  it("are read from atom:link (any prefix), in order, without duplicates; the RSS link is untouched", () => {
    const read = readFeed(
      feed(
        `<link>https://a.example/</link><atom:link rel="self" type="application/rss+xml" href="https://a.example/feed.xml"/>` +
          `<a:link xmlns:a="http://www.w3.org/2005/Atom" rel="HUB" href="https://hub1.example/"/><atom:link rel="hub" href="https://hub2.example/"/>` +
          `<atom:link rel="hub" href="https://hub1.example/"/><atom:link rel="self" href="https://second.example/"/>`,
      ),
    );
    expect(read.channel.link).toBe("https://a.example/");
    expect(read.channel.self).toBe("https://a.example/feed.xml");
    expect(read.channel.hubs).toEqual(["https://hub1.example/", "https://hub2.example/"]);
  });

  it("a feed without them has none; hub links inside items are not the channel's; at most MAX_HUB_LINKS are kept", () => {
    expect(readFeed(feed("<link>https://a.example/</link>")).channel.hubs).toBeUndefined();
    const inItem = readFeed(feed("").replace("<item>", '<item><atom:link rel="hub" href="https://item-hub.example/"/>'));
    expect(inItem.channel.hubs).toBeUndefined();
    const many = Array.from({ length: 9 }, (_, i) => `<atom:link rel="hub" href="https://hub${i}.example/"/>`).join("");
    expect(readFeed(feed(many)).channel.hubs).toHaveLength(MAX_HUB_LINKS);
  });

  it("the channel comes before the items, so reading only up to the first item finds them", () => {
    const read = readFeed(feed('<atom:link rel="hub" href="https://hub.example/"/>'), { stopAfter: () => true });
    expect(read.complete).toBe(false);
    expect(read.channel.hubs).toEqual(["https://hub.example/"]);
  });
});
