// What the poller keeps of a post: mentions of the owner flagged (spec "Replies/Mentions"), reposts of
// blocked accounts never stored (spec "Blocking"), replies and reposts as the spec's elements, every
// encoding XML requires a reader to read, and the feeds other software writes (oldest first, guids that
// are URLs, items without a guid, dates in the future).
import { beforeEach, describe, expect, it } from "vitest";
import { BLOCKED, OWNER } from "../worker/support/people.ts";
import { account, configFollowing, FIXED_NOW, followed, HOUR, MINUTE, poll, resetPoller, serveSite, storedItems } from "./support.ts";

beforeEach(resetPoller);

const at = (hoursAgo: number) => FIXED_NOW - hoursAgo * HOUR;

describe("mentions of the owner", () => {
  it("are flagged: @username as a word, a link to the owner's site, a reply to the owner; nothing else", async () => {
    const who = account("mentions");
    const feed = await serveSite(who.key, {
      ...who,
      posts: [
        { id: 0, date: at(9), body: "Plain post about bread." },
        { id: 1, date: at(8), body: "Reading what @ada wrote about looms." },
        { id: 2, date: at(7), body: "@adam is right, and mail me at me@ada.example." },
        { id: 3, date: at(6), body: "See [this post](https://ada.example/posts/3/)." },
        { id: 4, date: at(5), body: "Agreed.", replyTo: { user_id: OWNER.user_id, user_link: OWNER.feed_url, status_id: 3 } },
        { id: 5, date: at(4), body: "By link only.", replyTo: { user_id: "someone-else", user_link: "http://ADA.example/feed.xml/", status_id: 2 } },
        { id: 6, date: at(3), body: "To someone else.", replyTo: { user_id: "someone-else", user_link: "https://else.example/feed.xml", status_id: 2 } },
        { id: 7, date: at(2), body: "(@ADA) in brackets, any case." },
      ],
    });
    await poll({ config: configFollowing([followed(who, feed)]), now: FIXED_NOW });
    const mentions = Object.fromEntries((await storedItems(who.user_id)).map((item) => [item.guid, item.mention]));
    expect(mentions).toEqual({ "0": 0, "1": 1, "2": 0, "3": 1, "4": 1, "5": 1, "6": 0, "7": 1 });
  });
});

describe("blocks", () => {
  it("a repost of a blocked account is never stored; other reposts are, with the spec's repost fields", async () => {
    const who = account("reposter");
    const feed = await serveSite(who.key, {
      ...who,
      posts: [
        {
          id: 0,
          date: at(3),
          repost: { user_id: BLOCKED.user_id, user_link: "https://elsewhere.example/feed.xml", status_id: 9, pubdate: at(30), text: "spam" },
        },
        { id: 1, date: at(2), repost: { user_id: "someone", user_link: BLOCKED.user_link, status_id: 8, pubdate: at(30), text: "spam by link" } },
        { id: 2, date: at(1), repost: { user_id: "friend-id", user_link: "https://friend.example/feed.xml", status_id: 7, pubdate: at(20), text: "good" } },
      ],
    });
    const job = await poll({ config: configFollowing([followed(who, feed)]), now: FIXED_NOW });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (1 item stored), 2 reposts of blocked accounts skipped (1 new)");
    const items = await storedItems(who.user_id);
    expect(items.map((item) => item.guid)).toEqual(["2"]);
    expect(JSON.parse(items[0]!.repost!)).toEqual({
      user_id: "friend-id",
      status_id: "7",
      user_link: "https://friend.example/feed.xml",
      pubdate: "Sat, 28 Feb 2026 16:00:30 +0000",
    });
    expect(items[0]!.in_reply_to).toBeNull();
  });
});

describe("replies", () => {
  it("keep the spec's in_reply_to fields", async () => {
    const who = account("replier");
    const feed = await serveSite(who.key, {
      ...who,
      posts: [{ id: 0, date: at(1), body: "Yes.", replyTo: { user_id: "x-id", user_link: "https://x.example/feed.xml", status_id: 12 } }],
    });
    await poll({ config: configFollowing([followed(who, feed)]), now: FIXED_NOW });
    expect(JSON.parse((await storedItems(who.user_id))[0]!.in_reply_to!)).toEqual({
      user_id: "x-id",
      status_id: "12",
      user_link: "https://x.example/feed.xml",
    });
  });
});

describe("encodings (XML 1.0 §4.3.3: UTF-16 must be read; ISO-8859-1 declared)", () => {
  for (const [encoding, text] of [
    ["utf-16le", "日本語のポスト — 🎉 and café"],
    ["utf-16be", "Ελληνικά και 한국어 🎈"],
    ["latin1", "Café crème à la française, ¿sí? £5 ©"],
  ] as const) {
    it(`a feed in ${encoding} is read with every character intact`, async () => {
      const who = account(`enc-${encoding}`);
      const feed = await serveSite(who.key, {
        ...who,
        full_name: encoding === "latin1" ? "Zoë Ångström" : "名前",
        encoding,
        posts: [{ id: 0, date: at(1), body: text }],
      });
      const job = await poll({ config: configFollowing([followed(who, feed)]), now: FIXED_NOW });
      expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (1 item stored) (1 new)");
      const [item] = await storedItems(who.user_id);
      expect(item!.html).toContain(text);
      expect(item!.name).toBe(encoding === "latin1" ? "Zoë Ångström" : "名前");
    });
  }
});

/** A hand-written RSS feed (not ours): oldest first, URL guids, optional extras per item. */
function foreignFeed(userId: string, items: { guid?: string; link?: string; date?: string; text: string }[]): string {
  const body = items
    .map(
      (item) =>
        `<item>${item.guid ? `<guid>${item.guid}</guid>` : ""}${item.link ? `<link>${item.link}</link>` : ""}${item.date ? `<pubDate>${item.date}</pubDate>` : ""}<description><![CDATA[<p>${item.text}</p>]]></description></item>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:mb="http://openmicroblog.com/"><channel><title>foreign</title><mb:user_id>${userId}</mb:user_id><mb:username>foreign</mb:username>
${body}
</channel></rss>`;
}

describe("feeds written by other software", () => {
  it("oldest first with URL guids: the newest items are the backfill, and only new ones are stored later", async () => {
    const who = account("oldestfirst");
    const entries = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        guid: `https://foreign.example/status/${i}`,
        date: new Date(at(20 - i)).toUTCString(),
        text: `foreign ${i}`,
      }));
    const feed = await serveSite(who.key, { ...who, raw: { "/feed.xml": foreignFeed(who.user_id, entries(8)) } });
    const config = configFollowing([followed(who, feed)]);
    await poll({ config, now: FIXED_NOW, options: { poll: { backfillItems: 3, maxWalkPages: 20 } } });
    expect((await storedItems(who.user_id)).map((item) => item.guid.replace(/.*\//, ""))).toEqual(["7", "6", "5"]);
    await serveSite(who.key, { ...who, raw: { "/feed.xml": foreignFeed(who.user_id, entries(10)) } });
    const job = await poll({ config, now: FIXED_NOW + MINUTE, all: true });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (2 items stored)");
    expect((await storedItems(who.user_id)).map((item) => item.guid.replace(/.*\//, ""))).toEqual(["9", "8", "7", "6", "5"]);
  });

  it("an item without a guid is known by its link; one with neither is skipped; a date in the future is now", async () => {
    const who = account("noguid");
    const feed = await serveSite(who.key, {
      ...who,
      raw: {
        "/feed.xml": foreignFeed(who.user_id, [
          { link: "https://foreign.example/a", date: "Fri, 01 Jan 2100 00:00:00 GMT", text: "from the future" },
          { text: "nothing to know it by" },
          { guid: "g-1", date: "not a date", text: "undated" },
        ]),
      },
    });
    await poll({ config: configFollowing([followed(who, feed)]), now: FIXED_NOW });
    const items = await storedItems(who.user_id);
    // Same date (now): the first in the feed (the newest, when nothing says otherwise) comes first.
    expect(items.map((item) => [item.guid, item.published_ms, item.link])).toEqual([
      ["https://foreign.example/a", FIXED_NOW, "https://foreign.example/a"],
      ["g-1", FIXED_NOW, null],
    ]);
  });
});

describe("long posts", () => {
  it("a page of long posts is stored in one D1 call, split into statements under D1's size of a bound value", async () => {
    const who = account("longposts");
    const long = (i: number) => `${i} ${'long text with <b>markup</b> & "quotes" '.repeat(480)}`;
    const items = Array.from({ length: 45 }, (_, i) => ({ guid: String(44 - i), date: new Date(at(1) - i * MINUTE).toUTCString(), text: long(44 - i) }));
    const feed = await serveSite(who.key, { ...who, raw: { "/feed.xml": foreignFeed(who.user_id, items) } });
    const config = configFollowing([followed(who, feed)]);
    const job = await poll({ config, now: FIXED_NOW, options: { poll: { backfillItems: 50, maxWalkPages: 20 } } });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (45 items stored) (1 new)");
    // Three D1 calls more than a run that stores nothing (a 304, with --all: every follow read): the
    // check that D1 matches follows.yaml (it does not: a new follow), the new follow's row, then the
    // feed's one batch -- however many statements its items need.
    const unchanged = await poll({ config, now: FIXED_NOW + MINUTE, all: true });
    expect(unchanged.summary).toBe("polled 1 of 1 followed feed: 1 not modified");
    expect(job.d1_calls - unchanged.d1_calls).toBe(3);
    const stored = await storedItems(who.user_id);
    expect(stored).toHaveLength(45);
    expect(stored[0]!.html).toBe(`<p>${long(44)}</p>`.slice(0, 20_000));
  });
});
