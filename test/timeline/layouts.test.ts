// Feeds in the layouts other eras and other writers use, each read or refused out loud, never "ok"
// with nothing stored: 0.3's <status_id> items, RFC 001's <to>/<from>/<regarding> replies and reposts,
// a follows list followed by mistake (its entries are accounts, never stored as posts), items
// without text, and a UTF-8 byte order mark in front of Latin-1 bytes.
import { beforeEach, describe, expect, it } from "vitest";
import { account, configFollowing, FIXED_NOW, followed, followRow, HOUR, poll, resetPoller, serveSite, storedItems } from "./support.ts";

beforeEach(resetPoller);

const date = (hoursAgo: number) => new Date(FIXED_NOW - hoursAgo * HOUR).toUTCString().replace("GMT", "+0000");

function feed(userId: string, items: string[], channelExtra = ""): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:microblog="http://openmicroblog.com/"><channel><title>t</title><microblog:user_id>${userId}</microblog:user_id><microblog:username>u</microblog:username>${channelExtra}
${items.map((item) => `<item>${item}</item>`).join("\n")}
</channel></rss>`;
}

describe("layouts of other eras", () => {
  it("0.3's items, known by <status_id>, are read and stored", async () => {
    const who = account("era03");
    const url = await serveSite(who.key, {
      ...who,
      raw: {
        "/feed.xml": feed(who.user_id, [
          `<microblog:status_id>2</microblog:status_id><pubdate>${date(1)}</pubdate><description><![CDATA[<p>newest</p>]]></description>`,
          `<microblog:status_id>1</microblog:status_id><pubdate>${date(2)}</pubdate><description><![CDATA[<p>older</p>]]></description>`,
        ]),
      },
    });
    const job = await poll({ config: configFollowing([followed(who, url)]), now: FIXED_NOW });
    expect(job.summary).toBe("polled 1 of 1 followed feed: 1 with new posts (2 items stored) (1 new)");
    expect((await storedItems(who.user_id)).map((item) => [item.guid, item.html])).toEqual([
      ["2", "<p>newest</p>"],
      ["1", "<p>older</p>"],
    ]);
  });

  it("RFC 001's replies and reposts keep who and what they answer or repost", async () => {
    const who = account("rfc001");
    const url = await serveSite(who.key, {
      ...who,
      raw: {
        "/feed.xml": feed(who.user_id, [
          `<guid>1</guid><pubdate>${date(1)}</pubdate><description>a reply</description><microblog:to userId="bob-id">https://bob.example/feed.xml</microblog:to><microblog:regarding>12</microblog:regarding>`,
          `<guid>0</guid><pubdate>${date(2)}</pubdate><description>a repost</description><microblog:from userId="carl-id">https://carl.example/feed.xml</microblog:from><microblog:regarding>3</microblog:regarding>`,
        ]),
      },
    });
    await poll({ config: configFollowing([followed(who, url)]), now: FIXED_NOW });
    const items = await storedItems(who.user_id);
    expect(items.map((item) => [item.guid, JSON.parse(item.in_reply_to ?? "null"), JSON.parse(item.repost ?? "null")])).toEqual([
      ["1", { user_id: "bob-id", status_id: "12", user_link: "https://bob.example/feed.xml" }, null],
      ["0", null, { user_id: "carl-id", status_id: "3", user_link: "https://carl.example/feed.xml" }],
    ]);
  });
});

describe("what is not a post", () => {
  it("a follows list feed is refused with what it is, and none of its entries is stored", async () => {
    const who = account("listfeed");
    const url = await serveSite(who.key, {
      ...who,
      raw: {
        "/follows.xml": feed(who.user_id, [
          "<guid>0</guid><title>@bob</title><microblog:user_id>bob-id</microblog:user_id><microblog:user_link>https://bob.example/feed.xml</microblog:user_link><microblog:user_name>bob</microblog:user_name>",
        ]),
      },
    });
    const listUrl = url.replace(/feed\.xml$/, "follows.xml");
    const job = await poll({ config: configFollowing([followed(who, listUrl)]), now: FIXED_NOW });
    expect(job.summary).toMatch(/^polled 1 of 1 followed feed: 1 failed/);
    expect(job.failures[0]!.reason).toBe(
      `${listUrl} is a follows or blocks list (spec "Alternate Feed Layout": its items are accounts, not posts), not a person's feed; unfollow it (npm run unfollow -- ${listUrl})`,
    );
    expect(await storedItems(who.user_id)).toEqual([]);
    expect(await followRow(who.user_id)).toMatchObject({ failures: 1, seen: null });
  });

  it("an item without text is not stored, and the owner is told", async () => {
    const who = account("textless");
    const url = await serveSite(who.key, {
      ...who,
      raw: {
        "/feed.xml": feed(who.user_id, [
          `<guid>1</guid><pubdate>${date(1)}</pubdate>`,
          `<guid>0</guid><pubdate>${date(2)}</pubdate><description>words</description>`,
        ]),
      },
    });
    const job = await poll({ config: configFollowing([followed(who, url)]), now: FIXED_NOW });
    expect((await storedItems(who.user_id)).map((item) => item.guid)).toEqual(["0"]);
    expect(job.failures.map((failure) => failure.reason)).toEqual(['1 item without text not stored (spec "Required Item Elements": description)']);
  });
});

describe("encodings", () => {
  it("Latin-1 bytes behind a UTF-8 byte order mark are read as Latin-1, with a note", async () => {
    const who = account("bomlatin");
    const xml = feed(who.user_id, [`<guid>0</guid><pubdate>${date(1)}</pubdate><description>Caf\u00e9 cr\u00e8me</description>`]).replace(
      'encoding="UTF-8"',
      'encoding="ISO-8859-1"',
    );
    const url = await serveSite(who.key, { ...who, raw: { "/feed.xml": xml }, encoding: "bom-latin1" });
    const job = await poll({ config: configFollowing([followed(who, url)]), now: FIXED_NOW });
    expect((await storedItems(who.user_id)).map((item) => item.html)).toEqual(["Caf\u00e9 cr\u00e8me"]);
    expect(job.failures.map((failure) => failure.reason)).toEqual([
      `${url}: the feed starts with a UTF-8 byte order mark but its bytes are not UTF-8: read as windows-1252, the encoding its Content-Type or XML declaration names`,
    ]);
  });
});
