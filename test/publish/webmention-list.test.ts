/**
 * lib/publish/webmention-list.ts: the pages each post sends webmentions to (W3C Webmention §3.1.1), as
 * the build lists them for the Worker: a plain-URL in_reply_to first, then the links of the post's own
 * text, never our own pages, an Open Microblog item a reply_to answers, a repost's quoted links or a
 * repeat; a fingerprint that changes with the post's content (an edit, §3.1.4) and nothing else.
 */
import { describe, expect, it } from "vitest";
import { buildSiteInMemory, fixedDate, type PostSpec, profileYaml } from "../../lib/harness/factories.ts";
import { siteConfigFromModel } from "../../lib/publish/site-config.ts";
import { webmentionList } from "../../lib/publish/webmention-list.ts";
import { MAX_WEBMENTION_TARGETS, NOTIFY_WINDOW_DAYS } from "../../lib/shared/site-config.ts";

const DAY = 24 * 60 * 60_000;
const them = { user_id: "00000000-0000-4000-8000-00000000abcd", user_link: "https://om.example/feed.xml", status_id: 7 };

function listOf(posts: PostSpec[]) {
  const { model } = buildSiteInMemory({ profile: profileYaml(), posts });
  return webmentionList(model);
}

describe("a post's webmention targets", () => {
  it("are its plain-URL in_reply_to, then the links of its text in order, without our own pages or repeats", () => {
    const list = listOf([
      {
        date: fixedDate(0),
        id: 4,
        extra: { in_reply_to: "https://indie.example/notes/1" },
        body: "See [this](https://b.example/x?a=1&b=2), [me](https://ada.example/posts/1/), <https://c.example/> and [again](https://b.example/x?a=1&b=2).",
      },
    ]);
    expect(list.items).toEqual([
      {
        post_id: 4,
        date: expect.any(String),
        source: "https://ada.example/posts/4/",
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        targets: ["https://indie.example/notes/1", "https://b.example/x?a=1&b=2", "https://c.example/"],
      },
    ]);
  });

  it("leave out the Open Microblog item a reply answers (the outbox notifies it) and a repost's quoted links", () => {
    const list = listOf([
      { date: fixedDate(0), id: 1, replyTo: them, body: "Yes! Also [here](https://d.example/)." },
      { date: fixedDate(1), id: 2, repost: { ...them, pubdate: fixedDate(0), text: "Read [theirs](https://e.example/)" } },
    ]);
    expect(list.items.map((i) => i.targets)).toEqual([["https://d.example/"], []]);
  });

  it(`are at most ${MAX_WEBMENTION_TARGETS} a post; javascript: and mailto: links are none`, () => {
    const links = Array.from({ length: 15 }, (_, i) => `[l${i}](https://x${i}.example/)`).join(" ");
    const [item] = listOf([{ date: fixedDate(0), body: `${links} [m](mailto:a@b.example) [j](javascript:alert(1))` }]).items;
    expect(item?.targets).toHaveLength(MAX_WEBMENTION_TARGETS);
    expect(item?.targets.every((t) => t.startsWith("https://x"))).toBe(true);
  });
});

describe("the list", () => {
  it("keeps a post's fingerprint when other posts change and changes it when its text does", () => {
    const before = listOf([
      { date: fixedDate(0), id: 1, body: "One [a](https://a.example/)" },
      { date: fixedDate(1), id: 2, body: "Two" },
    ]);
    const after = listOf([
      { date: fixedDate(0), id: 1, body: "One [a](https://a.example/)" },
      { date: fixedDate(1), id: 2, body: "Two, edited" },
    ]);
    expect(after.items[0]?.fingerprint).toBe(before.items[0]?.fingerprint);
    expect(after.items[1]?.fingerprint).not.toBe(before.items[1]?.fingerprint);
    expect(after.digest).not.toBe(before.digest);
    expect(
      listOf([
        { date: fixedDate(0), id: 1, body: "One [a](https://a.example/)" },
        { date: fixedDate(1), id: 2, body: "Two" },
      ]),
    ).toEqual(before);
  });

  it(`lists only posts within ${NOTIFY_WINDOW_DAYS} days of the newest, and goes into the Worker's config`, () => {
    const posts: PostSpec[] = [
      { date: fixedDate(0), id: 1, body: "[old](https://old.example/)" },
      { date: fixedDate(0) + (NOTIFY_WINDOW_DAYS + 1) * DAY, id: 2, body: "[new](https://new.example/)" },
    ];
    expect(listOf(posts).items.map((i) => i.post_id)).toEqual([2]);
    const { model } = buildSiteInMemory({ profile: profileYaml(), posts });
    expect(siteConfigFromModel(model).webmentions).toEqual(webmentionList(model));
  });
});
