/**
 * lib/publish/outbox-list.ts: what each post must notify, as the build lists it for the Worker.
 * Replies from `reply_to`, mentions of followed accounts as words of the post's own text (not in
 * URLs, e-mail addresses, code or a repost's quote), one notification per account and post, only
 * recent posts, and the same list (and fingerprint) for the same input.
 */
import { describe, expect, it } from "vitest";
import { buildSiteInMemory, fixedDate, listYaml, OWNER_ID, type PostSpec, person, profileYaml } from "../../lib/harness/factories.ts";
import { mentionedUsernames, outboxList } from "../../lib/publish/outbox-list.ts";
import { siteConfigFromModel } from "../../lib/publish/site-config.ts";
import { NOTIFY_WINDOW_DAYS } from "../../lib/shared/site-config.ts";

const fern = person(0, { username: "fern", user_link: "https://fern.example/feed.xml" });
const oak = person(1, { username: "Oak_Tree", user_link: "https://oak.example/feed.xml" });
const stranger = { user_id: "00000000-0000-4000-8000-00000000abcd", user_link: "https://stranger.example/feed.xml" };

function listOf(posts: PostSpec[], follows = [fern, oak]) {
  const { model } = buildSiteInMemory({ profile: profileYaml(), follows: listYaml(follows), posts });
  return outboxList(model);
}

const followed = new Set(["fern", "oak_tree", "fern.x"]);
const mentions = (markdownHtml: string, names: ReadonlySet<string> = followed) => [...mentionedUsernames(markdownHtml, names)].sort();

describe("mentions in a post's text", () => {
  it("count as a word, in any case, with punctuation around them", () => {
    expect(mentions("<p>Thanks @fern, and (@OAK_TREE)!</p>")).toEqual(["fern", "oak_tree"]);
    expect(mentions("<p>@fern.</p>")).toEqual(["fern"]);
    expect(mentions("<p>@fern-ish ideas</p>")).toEqual(["fern"]);
    expect(mentions('<p><a href="https://fern.example/">@fern</a> wrote this</p>')).toEqual(["fern"]);
  });

  it("take the longest followed username a token starts with", () => {
    expect(mentions("<p>hi @fern.x</p>")).toEqual(["fern.x"]);
    expect(mentions("<p>hi @fern.x</p>", new Set(["fern"]))).toEqual(["fern"]);
    expect(mentions("<p>@ferns are green</p>")).toEqual([]);
  });

  it("do not count inside a link's URL, an e-mail address, an attribute or code", () => {
    expect(mentions('<p><a href="https://x.example/@fern">https://x.example/@fern</a></p>')).toEqual([]);
    expect(mentions("<p>see https://x.example/?who=@fern and www.x.example/@oak_tree</p>")).toEqual([]);
    expect(mentions("<p>mail me@fern or a@oak_tree</p>")).toEqual([]);
    expect(mentions('<p><img alt="@fern" src="/a.png"></p>')).toEqual([]);
    expect(mentions("<p>run <code>ping @fern</code></p><pre><code>@oak_tree\n</code></pre>")).toEqual([]);
  });

  it("an account not followed is not notified", () => {
    expect(mentions("<p>@stranger hello</p>")).toEqual([]);
  });
});

describe("the list a build carries to the Worker", () => {
  it("a reply notifies the replied-to account about that item; a mention notifies a followed account", () => {
    const list = listOf([
      { date: fixedDate(1), body: "Plain post." },
      { date: fixedDate(2), body: "I agree.", replyTo: { ...stranger, username: "stranger", status_id: 42 } },
      { date: fixedDate(3), body: "Look, @fern and @Oak_Tree!" },
    ]);
    expect(list.items).toEqual([
      {
        post_id: 1,
        date: "2026-01-03T09:00:00Z",
        kind: "reply",
        user_id: stranger.user_id,
        username: "stranger",
        user_link: stranger.user_link,
        status_id: "42",
      },
      { post_id: 2, date: "2026-01-04T09:00:00Z", kind: "mention", user_id: fern.user_id, username: "fern", user_link: fern.user_link },
      { post_id: 2, date: "2026-01-04T09:00:00Z", kind: "mention", user_id: oak.user_id, username: "Oak_Tree", user_link: oak.user_link },
    ]);
  });

  it("a reply that also mentions the replied-to account notifies it once, as a reply; a reply_to without username takes it from follows", () => {
    const list = listOf([
      { date: fixedDate(1), body: "@fern yes, @fern!", replyTo: { user_id: fern.user_id, user_link: "HTTPS://FERN.example/feed.xml/", status_id: "7" } },
    ]);
    expect(list.items).toEqual([
      {
        post_id: 0,
        date: "2026-01-02T09:00:00Z",
        kind: "reply",
        user_id: fern.user_id,
        username: "fern",
        user_link: "HTTPS://FERN.example/feed.xml/",
        status_id: "7",
      },
    ]);
  });

  it("a reply to one's own post (a thread) notifies nobody, whether it names our user_id or our feed", () => {
    const self = { user_id: OWNER_ID, user_link: "https://ada.example/feed.xml", status_id: 0 };
    const list = listOf([
      { date: fixedDate(1), body: "Thread, part 1." },
      { date: fixedDate(2), body: "Part 2.", replyTo: self },
      { date: fixedDate(3), body: "Part 3.", replyTo: { ...self, user_id: "someone-else-claiming", user_link: "http://ADA.example/feed.xml/" } },
    ]);
    expect(list.items).toEqual([]);
  });

  it("a repost's quoted text mentions nobody; the owner's comment on it does", () => {
    const repost = { ...stranger, status_id: 3, pubdate: fixedDate(0), text: "Hello @fern" };
    expect(listOf([{ date: fixedDate(1), repost }]).items).toEqual([]);
    expect(listOf([{ date: fixedDate(1), body: "cc @oak_tree", repost }]).items.map((n) => n.username)).toEqual(["Oak_Tree"]);
  });

  it(`lists only posts within ${NOTIFY_WINDOW_DAYS} days of the newest post`, () => {
    const list = listOf([
      { date: fixedDate(0), body: "@fern old news" },
      { date: fixedDate(30 - NOTIFY_WINDOW_DAYS), body: "@fern just in the window" },
      { date: fixedDate(30), body: "@fern new" },
    ]);
    expect(list.items.map((n) => n.post_id)).toEqual([1, 2]);
  });

  it("is deterministic, and its fingerprint changes with what must be notified, not with other posts' text", () => {
    const posts: PostSpec[] = [
      { date: fixedDate(1), body: "@fern hi" },
      { date: fixedDate(2), body: "Nothing to notify." },
    ];
    const a = listOf(posts);
    expect(listOf(posts)).toEqual(a);
    expect(a.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(listOf([posts[0]!, { date: fixedDate(2), body: "Other words, still nobody." }]).digest).toBe(a.digest);
    expect(listOf([{ date: fixedDate(1), body: "@oak_tree hi" }, posts[1]!]).digest).not.toBe(a.digest);
    expect(listOf([posts[1]!]).items).toEqual([]);
  });

  it("travels in the Worker's site config", () => {
    const { model } = buildSiteInMemory({ follows: listYaml([fern]), posts: [{ date: fixedDate(1), body: "@fern hi" }] });
    const config = siteConfigFromModel(model);
    expect(config.notifications?.items).toHaveLength(1);
    expect(config.notifications).toEqual(outboxList(model));
  });
});
