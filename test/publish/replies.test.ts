/**
 * lib/publish/replies.ts: approved replies as data next to the posts (posts/replies/<guid>.yaml),
 * checked like posts (every bad file named, unsafe markup refused), arranged oldest first with
 * answers nested one level -- the owner's own answers among them -- and rendered inert.
 */
import { describe, expect, it } from "vitest";
import { buildSiteInMemory, fixedDate, isoUtc, postFile, siteSources } from "../../lib/harness/factories.ts";
import { renderRepliesSection } from "../../lib/publish/html/replies-section.ts";
import { renderHomeMain } from "../../lib/publish/html/site-pages.ts";
import type { FileError } from "../../lib/publish/posts.ts";
import { loadApprovedReplies, replyCount } from "../../lib/publish/replies.ts";
import { sanitizeHtml } from "../../lib/shared/sanitize-html.ts";

const BOB = { user_id: "0e9a7c52-61f4-4d3b-b8a2-7c5e1d9f0a13", username: "bob", user_link: "https://bob.example/feed.xml" };
const CAROL = { user_id: "c41d2e8f-7a6b-4c95-93e0-5b2f8d1a6e47", username: "carol", user_link: "https://carol.example/feed.xml" };

const site = buildSiteInMemory({
  posts: [
    postFile({ id: 0, date: fixedDate(0), body: "First post." }),
    postFile({ id: 1, date: fixedDate(1), body: "Second post." }),
    // The owner answers bob's reply (his item 18) in a post of their own.
    postFile({ id: 2, date: fixedDate(3), body: "@bob Thanks!", replyTo: { ...BOB, status_id: 18 } }),
  ],
});
const posts = site.model.posts;

function yamlOf(entries: object[]): string {
  return entries.map((entry) => `- ${JSON.stringify(entry)}\n`).join("");
}

function load(files: Record<string, string>): { threads: ReturnType<typeof loadApprovedReplies>; errors: FileError[] } {
  const errors: FileError[] = [];
  const threads = loadApprovedReplies(
    Object.entries(files).map(([file, text]) => ({ file, bytes: new TextEncoder().encode(text) })),
    posts,
    errors,
  );
  return { threads, errors };
}

const reply = (who: typeof BOB, guid: string, days: number, extra: object = {}) => ({
  ...who,
  guid,
  date: isoUtc(fixedDate(days)),
  text: `<p>${who.username} ${guid}</p>`,
  ...extra,
});

describe("loading approved replies", () => {
  it("arranges a post's replies oldest first, an answer to a reply under it, the owner's own answer among them", () => {
    const { threads, errors } = load({
      "posts/replies/1.yaml": yamlOf([
        reply(CAROL, "40", 2.5, { in_reply_to: { user_id: BOB.user_id, status_id: "18" } }),
        reply(BOB, "18", 2),
        reply(CAROL, "39", 1.5),
      ]),
    });
    expect(errors).toEqual([]);
    const thread = threads.get(1)!;
    expect(thread.map((t) => (t.reply.kind === "theirs" ? t.reply.guid : "ours"))).toEqual(["39", "18"]);
    expect(thread[1]!.answers.map((answer) => (answer.kind === "theirs" ? `${answer.username} ${answer.guid}` : `ours ${answer.post.guid}`))).toEqual([
      "carol 40",
      "ours 2",
    ]);
    expect(replyCount(thread)).toBe(3);
  });

  it.each([
    ["posts/replies/notes.yaml", yamlOf([reply(BOB, "1", 1)]), "is not named after a post: name it <post guid>.yaml, e.g. posts/replies/0.yaml"],
    ["posts/replies/7.yaml", yamlOf([reply(BOB, "1", 1)]), "there is no post 7 to show these replies under"],
    ["posts/replies/0.yaml", "user_id: x\n", "must be a YAML list of replies (each starting with `- user_id: ...`)"],
    ["posts/replies/0.yaml", yamlOf([{ ...reply(BOB, "1", 1), user_link: undefined }]), "reply 1: user_link: is required"],
    ["posts/replies/0.yaml", yamlOf([{ ...reply(BOB, "1", 1), date: "yesterday" }]), 'reply 1: date: "yesterday" is not an ISO 8601 date'],
    ["posts/replies/0.yaml", yamlOf([{ ...reply(BOB, "1", 1), text: '<p onclick="x()">hi</p>' }]), "reply 1: text: contains markup that is not allowed here"],
    ["posts/replies/0.yaml", yamlOf([{ ...reply(BOB, "1", 1), text: "<script>alert(1)</script>" }]), "reply 1: text: contains markup that is not allowed here"],
    ["posts/replies/0.yaml", yamlOf([{ ...reply(BOB, "1", 1), surprise: true }]), 'reply 1: unknown field "surprise"'],
    ["posts/replies/0.yaml", yamlOf([reply(BOB, "1", 1), reply(BOB, "1", 2)]), "reply 2: the same reply (user_id and guid) is listed twice"],
  ])("%s: a bad file is named with its problem", (file, text, message) => {
    const { errors } = load({ [file]: text });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.file).toBe(file);
    expect(errors[0]!.message).toContain(message);
  });
});

describe("rendering", () => {
  it("shows name, @username linking to their profile, the date, their words and a link to the original; nothing else", () => {
    const { threads } = load({
      "posts/replies/1.yaml": yamlOf([
        reply(BOB, "18", 2, {
          profile: "https://bob.example/",
          name: "Bob <b>B.</b>",
          link: "https://bob.example/posts/18/",
          text: sanitizeHtml('<p>Nice <a href="https://x.example/">link</a></p>'),
        }),
      ]),
    });
    const html = renderRepliesSection(threads.get(1), {
      postHref: (guid) => `/posts/${guid}/`,
      owner: { name: "Wren", username: "wren", homeHref: "/" },
    }).value;
    expect(html).toContain('<h2 id="replies-heading">Replies</h2>');
    expect(html).toContain(
      '<span class="p-author h-card"><span class="p-name">Bob &lt;b&gt;B.&lt;/b&gt;</span> <a class="u-url" href="https://bob.example/" rel="nofollow ugc">@bob</a></span>',
    );
    expect(html).toContain('<a href="https://x.example/" rel="nofollow ugc noopener noreferrer">link</a>');
    expect(html).toContain('<a class="u-url" href="https://bob.example/posts/18/" rel="nofollow ugc">Read it on their site</a>');
    expect(html).toContain(`<time class="dt-published" datetime="${isoUtc(fixedDate(2))}">`);
  });

  it("renders nothing for a post without replies (its page stays byte-identical)", () => {
    expect(renderRepliesSection(undefined, { postHref: () => "", owner: { name: "", username: "", homeHref: "/" } }).value).toBe("");
  });

  it("the sanitizer is idempotent, so a snapshot it made passes the build's check", () => {
    for (const input of [
      '<p>a <img src="https://i.example/x.png" alt="x"> <a href="https://a.example/?q=1&amp;r=2">b</a></p>',
      "<ul><li>x</li></ul><script>1</script>",
      "plain & <b>bold</b>",
    ]) {
      const once = sanitizeHtml(input);
      expect(sanitizeHtml(once)).toBe(once);
    }
  });
});

describe("in the built site", () => {
  const content = { posts: Array.from({ length: 7 }, (_, i) => ({ id: i, date: fixedDate(i), body: `Post ${i}.` })) };
  const options = { feedLimits: { maxItems: 2, maxBytes: 500_000, headerReserveBytes: 16_384 }, htmlPageSize: 2 };
  const withReplies = () => {
    const sources = siteSources(content);
    sources.replies = [{ file: "posts/replies/1.yaml", bytes: new TextEncoder().encode(yamlOf([reply(BOB, "18", 2), reply(CAROL, "3", 3)])) }];
    return buildSiteInMemory(sources, options);
  };

  it("approving replies changes that post's page only: no feed page and no older-posts page", () => {
    const before = buildSiteInMemory(siteSources(content), options);
    const after = withReplies();
    expect([...after.xml]).toEqual([...before.xml]);
    const changed = [...after.stableHtml].filter(([permalink, page]) => before.stableHtml.get(permalink) !== page).map(([permalink]) => permalink);
    expect(changed).toEqual(["/posts/1/"]);
    expect(after.stableHtml.get("/posts/1/")).toContain('<section class="replies" id="replies" aria-labelledby="replies-heading">');
    // Post 1 is on an older-posts page, not on the home page: the home page does not change either.
    expect(renderHomeMain(after.model)).toBe(renderHomeMain(before.model));
  });

  it("the home page links each post's conversation with its count", () => {
    const sources = siteSources({ posts: [{ id: 0, date: fixedDate(0), body: "Only post." }] });
    sources.replies = [{ file: "posts/replies/0.yaml", bytes: new TextEncoder().encode(yamlOf([reply(BOB, "18", 2), reply(CAROL, "3", 3)])) }];
    expect(renderHomeMain(buildSiteInMemory(sources).model)).toContain('<p class="post-replies"><a href="/posts/0/#replies">2 replies</a></p>');
  });
});

describe("approved webmentions (npm run replies -- approve w<id>)", () => {
  const mention = (kind: string, days: number, extra: object = {}) => ({
    webmention: `https://indie.example/notes/${kind}`,
    kind,
    date: isoUtc(fixedDate(days)),
    name: "Carol Indie",
    author_url: "https://indie.example/",
    ...extra,
  });

  it("are shown among the replies in date order, each with its kind as microformats2 (p-comment, p-like, p-repost) and plain, escaped text", () => {
    const { threads, errors } = load({
      "posts/replies/1.yaml": yamlOf([
        reply(BOB, "18", 3),
        mention("like", 4, { name: "<img src=x onerror=alert(1)>" }),
        mention("reply", 2, { text: "Great post &amp; <script>alert(2)</script>", url: "https://indie.example/notes/reply#r" }),
        mention("repost", 5, { author_url: undefined, name: undefined }),
      ]),
    });
    expect(errors.map((e) => e.message).sort()).toEqual(["webmention 2: name: is plain text: no < or >", "webmention 3: text: is plain text: no < or >"]);
    const { threads: good } = load({
      "posts/replies/1.yaml": yamlOf([
        reply(BOB, "18", 3),
        mention("like", 4),
        mention("reply", 2, { text: 'Great post & "quotes" javascript:alert(2)', url: "https://indie.example/notes/reply#r" }),
        mention("repost", 5, { author_url: undefined, name: undefined }),
      ]),
    });
    // The refused entries are not shown (the build fails on them anyway).
    expect(replyCount(threads.get(1))).toBe(2);
    expect(replyCount(good.get(1))).toBe(4);
    const html = renderRepliesSection(good.get(1), { postHref: (guid) => `/posts/${guid}/`, owner: { name: "Wren", username: "wren", homeHref: "/" } }).value;
    const order = ["reply-reply p-comment h-cite", "@bob", "reply-like p-like h-cite", "reply-repost p-repost h-cite"].map((text) => html.indexOf(text));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(html).toContain('<a class="p-author h-card" href="https://indie.example/" rel="nofollow ugc">Carol Indie</a> replied');
    expect(html).toContain("<p>Great post &amp; &quot;quotes&quot; javascript:alert(2)</p>");
    expect(html).toContain('<a class="u-url" href="https://indie.example/notes/reply#r" rel="nofollow ugc">Read it on their site</a>');
    expect(html).toContain("Carol Indie</a> liked this");
    expect(html).toContain('<span class="p-author h-card">indie.example</span> reposted this');
  });

  it("a bad entry fails the build naming the file: a script URL, an unknown kind, a repeat", () => {
    const { errors } = load({
      "posts/replies/1.yaml": yamlOf([
        mention("like", 1, { webmention: "javascript:alert(1)" }),
        mention("bookmark", 1),
        mention("reply", 1),
        mention("reply", 2),
      ]),
    });
    expect(errors.map((e) => `${e.file}: ${e.message.split(":")[0]}`)).toEqual([
      "posts/replies/1.yaml: webmention 1",
      "posts/replies/1.yaml: webmention 2",
      "posts/replies/1.yaml: webmention 4",
    ]);
    expect(errors[2]?.message).toBe("webmention 4: the same webmention is listed twice");
  });
});
