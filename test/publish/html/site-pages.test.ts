/**
 * lib/publish/html/site-pages.ts (with lib/publish/html/html-builder.ts): escaping of everything that is not the owner's own post HTML,
 * lang attributes, the relocate notice, links that honour a base path, and older-post/post pages
 * that show nothing a newer post could change.
 */
import { describe, expect, it } from "vitest";
import { fixedDate, listYaml, type PostSpec, person, profileYaml, renderStableHtml, siteSources } from "../../../lib/harness/factories.ts";
import { escapeHtml, html, raw } from "../../../lib/publish/html/html-builder.ts";
import {
  chromeOf,
  renderArchiveMain,
  renderDocument,
  renderHomeMain,
  renderListMain,
  renderNotFoundMain,
  renderPostMain,
} from "../../../lib/publish/html/site-pages.ts";
import { buildSite, type SiteModel } from "../../../lib/publish/site.ts";

const POSTS: PostSpec[] = [
  { name: "a.md", date: fixedDate(0), body: "First <b>bold</b> post.\n" },
  { name: "b.md", date: fixedDate(1), language: "fr", body: "Bonjour.\n" },
  {
    name: "c.md",
    date: fixedDate(2),
    replyTo: { user_id: "u1", username: "bob", user_link: "https://bob.example/feed.xml", status_id: 9 },
    body: "@bob yes.\n",
  },
  {
    name: "d.md",
    date: fixedDate(3),
    repost: { user_id: "u2", user_link: "https://carmen.example/feed.xml", status_id: "5", pubdate: fixedDate(2, 5), text: "Swifts!" },
  },
  { name: "e.md", date: fixedDate(4), language: "en", body: "Same language as the feed.\n" },
];

function site(profile: Record<string, unknown> = {}, posts: PostSpec[] = POSTS, htmlPageSize = 2): SiteModel {
  return buildSite(siteSources({ profile: profileYaml(profile), follows: listYaml([person(0), person(1)]), blocks: listYaml([person(5)]), posts }), {
    htmlPageSize,
  });
}

describe("html builder", () => {
  it("escapes interpolated text, not Html values", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(html`<p>${"<script>"}${raw("<b>ok</b>")}${["&", html`<i>${"<"}</i>`]}${undefined}${false}${0}</p>`.value).toBe(
      "<p>&lt;script&gt;<b>ok</b>&amp;<i>&lt;</i>0</p>",
    );
  });
});

describe("escaping in pages", () => {
  const model = site({ full_name: `Ada "<script>" & Co`, bio: "I <3 engines & looms.\n\nSecond <para>." });
  const chrome = chromeOf(model);

  it("profile text is escaped everywhere it appears; post HTML is the owner's own and kept", () => {
    const home = renderDocument(chrome, { title: "Ada <x>", description: model.profile.bio!, content: renderHomeMain(model), permalink: "/" });
    expect(home).not.toContain("<script>");
    expect(home).toContain("<title>Ada &lt;x&gt;</title>");
    expect(home).toContain('<meta name="description" content="I &lt;3 engines &amp; looms.');
    expect(home).toContain('title="Ada &quot;&lt;script&gt;&quot; &amp; Co (@ada)"');
    expect(home).toContain("<p>I &lt;3 engines &amp; looms.</p>\n<p>Second &lt;para&gt;.</p>");
    expect(renderPostMain(chrome, model.posts[0]!)).toContain("<p>First <b>bold</b> post.</p>");
  });

  it("list entries and reply/repost context are escaped", () => {
    const list = renderListMain(chrome, "follows", [{ ...model.follows[0]!, username: `x"><script>` }]);
    expect(list).not.toContain("<script>");
    expect(list).toContain("@x&quot;&gt;&lt;script&gt;");
  });
});

describe("languages", () => {
  const model = site({}, POSTS, 10);
  const chrome = chromeOf(model);
  const byFile = (file: string) => model.posts.find((post) => post.file === `posts/${file}`)!;

  it("a post in another language gets a lang attribute in lists and on its page; same language none", () => {
    const home = renderHomeMain(model);
    expect(home).toContain(`<article class="post h-entry" lang="fr">`);
    expect(home.match(/<article [^>]*lang=/g)).toHaveLength(1);
    expect(renderPostMain(chrome, byFile("b.md"))).toContain(`<article class="post post-single h-entry" lang="fr">`);
    expect(renderPostMain(chrome, byFile("e.md"))).not.toContain("lang=");
  });

  it("the document language is the page's, else the profile's", () => {
    expect(renderDocument(chrome, { title: "t", content: "", permalink: "/" })).toContain('<html lang="en">');
    expect(renderDocument(chrome, { title: "t", content: "", permalink: "/", language: "fr" })).toContain('<html lang="fr">');
    expect(renderStableHtml(model).get(`/posts/${byFile("b.md").guid}/`)).toContain('<html lang="fr">');
  });
});

describe("relocation notice", () => {
  it("shown on the profile page only when the profile says the account moved", () => {
    const moved = site({ relocate: "https://new.example/feed.xml" });
    expect(renderHomeMain(moved)).toContain(
      '<p class="notice" role="note">This account has moved. Follow the new feed: <a href="https://new.example/feed.xml">https://new.example/feed.xml</a></p>',
    );
    expect(renderHomeMain(site())).not.toContain("has moved");
  });
});

describe("links honour a base path", () => {
  const model = site({ url: "https://host.example/ada/", portrait: "/assets/me.png", header: "https://img.example/h.png", public_blocks: true });
  const chrome = chromeOf(model);

  it("root-relative links carry the base path; absolute URLs carry the whole base", () => {
    const page = renderDocument(chrome, { title: "t", content: renderHomeMain(model), permalink: "/" });
    const hrefs = [...page.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1]!);
    for (const href of hrefs.filter((h) => h.startsWith("/"))) expect(href.startsWith("/ada/"), href).toBe(true);
    for (const href of hrefs.filter((h) => h.startsWith("https://host.example"))) expect(href.startsWith("https://host.example/ada/"), href).toBe(true);
    expect(page).toContain('<link rel="alternate" type="application/rss+xml" title="ada (@ada)" href="https://host.example/ada/feed.xml">');
    expect(page).toContain('<link rel="alternate" type="application/atom+xml" title="ada (@ada), Atom" href="https://host.example/ada/atom.xml">');
    expect(page).toContain('<link rel="canonical" href="https://host.example/ada/">');
    expect(page).toContain('<link rel="stylesheet" href="/ada/assets/style.css">');
    expect(page).toContain('src="/ada/assets/me.png"');
    expect(page).toContain('src="https://img.example/h.png"');
    expect(page).toContain('<a href="/ada/blocks/">Blocks</a>');
    expect(page).toContain('href="/ada/page/2/" rel="prev"');
    expect(renderPostMain(chrome, model.posts[0]!)).toContain('<a class="u-url" href="/ada/posts/0/">');
    expect(renderNotFoundMain(chrome)).toContain('href="/ada/"');
  });

  it("without a base path links start at the root", () => {
    const plain = site();
    expect(renderPostMain(chromeOf(plain), plain.posts[0]!)).toContain('<a class="u-url" href="/posts/0/">');
  });
});

describe("navigation and inbox hints", () => {
  it("Blocks appears in the navigation only when the list is public; the current page is marked", () => {
    const page = (model: SiteModel) => renderDocument(chromeOf(model), { title: "t", content: "", permalink: "/follows/" });
    expect(page(site({ public_blocks: true }))).toContain(">Blocks</a>");
    expect(page(site())).not.toContain(">Blocks</a>");
    expect(page(site())).toContain('<a href="/follows/" aria-current="page">Follows</a>');
  });

  it("no reply hint when the inbox is closed", () => {
    const open = site();
    const closed = site({ accept: "off" });
    expect(renderPostMain(chromeOf(open), open.posts[0]!)).toContain("https://ada.example/api/posts/0/reply");
    expect(renderPostMain(chromeOf(closed), closed.posts[0]!)).not.toContain("/reply");
    expect(renderHomeMain(closed)).toContain("This inbox is closed");
  });
});

describe("older-post pages", () => {
  it("newest first, with a link to the next older page and to the newest posts, and no counts", () => {
    const model = site();
    const chrome = chromeOf(model);
    expect(model.htmlPages.map((p) => p.permalink)).toEqual(["/page/1/", "/page/2/"]);
    const second = renderArchiveMain(chrome, model.htmlPages[1]!);
    expect(second).toContain('<h1 id="posts-heading">Older posts, page 2</h1>');
    const guids = [...second.matchAll(/href="\/posts\/(\d+)\/"/g)].map((m) => Number(m[1]));
    expect(guids).toEqual([3, 2]);
    expect(second).toContain('<a href="/page/1/" rel="prev">Older posts</a>');
    expect(second).toContain('<a href="/">Newest posts</a>');
    expect(renderArchiveMain(chrome, model.htmlPages[0]!)).not.toContain("Older posts</a>");
    expect(second).not.toMatch(/<dd>\d+<\/dd>/);
  });

  it("a repost shows its origin and quotes the original", () => {
    const model = site();
    const repost = model.posts.find((p) => p.repost)!;
    const main = renderPostMain(chromeOf(model), repost);
    expect(main).toContain(
      'Reposted from <a class="u-repost-of" href="https://carmen.example/feed.xml">u2</a>, post 5 of <time datetime="2026-01-03T14:00:00Z">3 Jan 2026, 14:00 UTC</time>',
    );
    expect(main).toContain('<blockquote class="repost">\n<p>Swifts!</p>\n</blockquote>');
  });
});

describe("people lists", () => {
  it("newest first, with a count and the list feed's URL", () => {
    const model = site();
    const list = renderListMain(chromeOf(model), "follows", model.follows);
    expect(list.indexOf("@friend_1")).toBeLessThan(list.indexOf("@friend_0"));
    expect(list).toContain("2 accounts, newest first.");
    expect(list).toContain('<a href="https://ada.example/follows.xml">');
    expect(renderListMain(chromeOf(model), "blocks", model.blocks.slice(0, 1))).toContain("1 account, newest first.");
    expect(renderListMain(chromeOf(model), "blocks", [])).toContain("<p>Nobody yet.</p>");
  });
});
