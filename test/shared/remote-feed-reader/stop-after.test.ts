/**
 * ReadOptions.stopAfter: the poller stops at the first item it already has and the reply verifier at
 * the item it looks for, so reading costs only the bytes up to there (the free plan's 10 ms of CPU per
 * invocation). What comes after the stop is not read at all: not even a broken tail or a character
 * XML forbids fails the read, while a full read of the same page refuses it.
 */
import { describe, expect, it } from "vitest";
import { type FeedItem, FeedReadError, readFeed } from "../../../lib/shared/remote-feed-reader.ts";
import { bigFeed, element } from "./factories.ts";

describe("stopAfter", () => {
  const xml = bigFeed(300);

  it("is called as each item ends, with its index; true stops there and the feed is incomplete", () => {
    const seen: [string | undefined, number][] = [];
    const feed = readFeed(xml, {
      stopAfter: (item, index) => {
        seen.push([item.guid, index]);
        return item.guid === "297";
      },
    });
    expect(seen).toEqual([
      ["299", 0],
      ["298", 1],
      ["297", 2],
    ]);
    expect(feed.complete).toBe(false);
    expect(feed.items.map((item) => item.guid)).toEqual(["299", "298", "297"]);
    expect(feed.channel.username).toBe("ada");
  });

  it("never true: the whole feed is read and complete", () => {
    const feed = readFeed(xml, { stopAfter: () => false });
    expect([feed.items.length, feed.complete]).toEqual([300, true]);
  });

  it("an empty <item/> ends like any other item", () => {
    const indexes: number[] = [];
    const feed = readFeed(`<rss><channel><item/><item>${element("guid", "b")}</item></channel></rss>`, {
      stopAfter: (_: FeedItem, index) => {
        indexes.push(index);
        return false;
      },
    });
    expect(indexes).toEqual([0, 1]);
    expect(feed.items).toEqual([{}, { guid: "b" }]);
  });

  it("what comes after the stop is not read: a broken tail or a forbidden character there does not fail the read", () => {
    const top = xml.slice(0, xml.indexOf("</item>") + "</item>".length);
    for (const tail of ["<item><guid>&bogus;</guid></item><<<", `<item><guid>${"x".repeat(100_000)}\u0001</guid></item></channel></rss>`]) {
      const feed = readFeed(top + tail, { stopAfter: () => true });
      expect(feed.items.map((item) => item.guid)).toEqual(["299"]);
      expect(() => readFeed(top + tail)).toThrow(FeedReadError);
    }
  });
});
