/**
 * lib/move/atom-targets.ts: an Atom entry's reply (RFC 4685 thr:in-reply-to) and repost (via link)
 * become front matter where the feed they name identifies the item. Round trip: Skein's own Atom
 * feed of a site that replies to and reposts Bob is imported, Bob's feed read over real HTTP (a
 * loopback server) through the import's own loader, and the posts come back with the same reply_to
 * and repost. A reply to a web page becomes the plain-URL in_reply_to. What cannot be identified
 * stays text with a note saying exactly why, and hostile text stays text.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSiteInMemory, fixedDate, profileYaml } from "../../lib/harness/factories.ts";
import { MAX_TARGET_FEEDS, readTargetFeeds, resolveAtomTargets } from "../../lib/move/atom-targets.ts";
import { quotedPart } from "../../lib/move/html-to-markdown.ts";
import { type ImportPlan, planImport } from "../../lib/move/import-plan.ts";
import { readSourcePage, type SourceItem } from "../../lib/move/source-page.ts";
import { atomEntryId } from "../../lib/publish/feed/atom-ids.ts";
import { parsePost } from "../../lib/publish/posts.ts";
import { Budget } from "../../lib/shared/budget.ts";
import { createPageLoader } from "../../lib/validate/page-loader.ts";
import { type FeedServer, serveFeeds } from "../validate/support/serve.ts";

const BOB = { username: "bob", user_id: "0b0b0000-0000-4000-8000-000000000b0b" };
const ADA = { username: "ada", user_id: "3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10" };
const QUOTED = "Bob's <b>bold</b> words & more.";

let server: FeedServer;
beforeAll(async () => {
  server = await serveFeeds();
});
afterAll(() => server.close());

const loader = () =>
  createPageLoader({
    fetch,
    allowLoopback: true,
    budget: new Budget({ subrequests: 100, bytes: 16 * 1024 * 1024, durationMs: 60_000 }, Date.now),
    maxPageBytes: 8 * 1024 * 1024,
    timeoutMs: 5000,
    maxRedirects: 3,
  });

/** Bob's site at /bob on the server: post 0, and post 1 (what Ada quotes). */
function serveBob(): string {
  const url = `${server.base}/bob`;
  const bob = buildSiteInMemory({
    profile: profileYaml({ ...BOB, url }),
    posts: [
      { id: 0, date: fixedDate(0), body: "Hello from Bob.\n" },
      { id: 1, date: fixedDate(1), body: `${QUOTED.replace(/&/g, "\\&").replace(/</g, "\\<")}\n` },
    ],
  });
  for (const [permalink, xml] of bob.xml) server.routes.set(`/bob${permalink}`, xml);
  return `${url}/feed.xml`;
}

/** Ada's Atom feed as Skein builds it, plus entries other services write; its items as the importer reads them. */
function adaItems(bobFeed: string, extraEntries: string): SourceItem[] {
  const ada = buildSiteInMemory({
    profile: profileYaml({ ...ADA, url: "https://ada.example" }),
    posts: [
      { id: 0, date: fixedDate(2), body: "I agree, Bob.\n", replyTo: { user_id: BOB.user_id, user_link: bobFeed, status_id: 1 } },
      { id: 1, date: fixedDate(3), body: "Look:\n", repost: { user_id: BOB.user_id, user_link: bobFeed, status_id: 1, pubdate: fixedDate(1), text: QUOTED } },
    ],
  });
  const atom = ada.model.atomFiles
    .find((file) => file.permalink === "/atom.xml")!
    .render()
    .replace("</feed>", `${extraEntries}</feed>`);
  const page = readSourcePage({ url: "https://ada.example/atom.xml", label: "atom.xml", text: atom, bytes: atom.length, encoding: "utf-8" });
  if (!page.ok) throw new Error(page.error);
  return page.value.items;
}

const entry = (n: number, inside: string, html = `&lt;p&gt;Entry ${n}.&lt;/p&gt;`) =>
  `<entry xmlns:thr="http://purl.org/syndication/thread/1.0"><id>tag:other.example,2024:${n}</id><published>2024-01-0${n}T00:00:00Z</published><content type="html">${html}</content>${inside}</entry>\n`;

function imported(plan: ImportPlan) {
  return plan.posts.map((post) => {
    const parsed = parsePost({ file: "posts/x.md", bytes: new TextEncoder().encode(post.text) });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
    return { where: post.where, replyTo: parsed.value.replyTo, repost: parsed.value.repost, inReplyTo: parsed.value.inReplyTo, html: parsed.value.html };
  });
}

const plan = (items: SourceItem[]) =>
  planImport({ format: "atom", profile: {}, items }, { posts: [], names: new Set(), language: "en", follows: [], blocks: [] });

describe("Atom replies and reposts (RFC 4685 thr:in-reply-to, via links)", () => {
  it("Skein's own Atom reply and repost come back as reply_to and repost, read from the feed they name; a web page is the plain-URL in_reply_to", async () => {
    const bobFeed = serveBob();
    server.routes.set("/carol/post/5", { headers: { "Content-Type": "text/html" }, body: "<!doctype html><html><body>Carol's post</body></html>" });
    const items = adaItems(
      bobFeed,
      entry(4, `<thr:in-reply-to ref="tag:carol.example,2024:5" href="${server.base}/carol/post/5" type="text/html"/>`) +
        entry(5, `<thr:in-reply-to ref="https://dave.example/notes/9"/>`) +
        entry(6, `<thr:in-reply-to ref="urn:uuid:00000000-0000-5000-8000-000000000000" href="${bobFeed}"/>`) +
        entry(
          7,
          `<link rel="via" title="repost" href="${server.base}/gone/feed.xml"/>`,
          "&lt;p&gt;Mine.&lt;/p&gt;&lt;blockquote&gt;&lt;p&gt;&amp;lt;script&amp;gt;x&lt;/p&gt;&lt;/blockquote&gt;",
        ),
    );
    expect(items[1]!.atomReply).toEqual({ ref: atomEntryId(BOB.user_id, 1), href: bobFeed });
    const pages = await readTargetFeeds(items, loader());
    expect([...pages.keys()].sort()).toEqual([bobFeed, `${server.base}/carol/post/5`, `${server.base}/gone/feed.xml`].sort());
    expect(server.hits.get("/bob/feed.xml")).toBe(1);
    const result = plan(resolveAtomTargets(items, pages, quotedPart));
    const posts = imported(result);
    const [repost, reply] = [posts.find((p) => p.repost)!, posts.find((p) => p.replyTo)!];
    expect(reply.replyTo).toEqual({ user_id: BOB.user_id, user_link: bobFeed, status_id: "1" });
    expect(reply.html).toBe("<p>I agree, Bob.</p>\n");
    expect(repost.repost).toMatchObject({ user_id: BOB.user_id, user_link: bobFeed, status_id: "1", pubdate: fixedDate(1) });
    expect(repost.repost!.html).toBe("<p>Bob's &lt;b&gt;bold&lt;/b&gt; words &amp; more.</p>\n");
    expect(posts.filter((p) => p.inReplyTo).map((p) => p.inReplyTo)).toEqual([`${server.base}/carol/post/5`, "https://dave.example/notes/9"]);
    expect(result.notes.map((n) => n.reason)).toEqual([
      `reply_to is left out: the entry replies to urn:uuid:00000000-0000-5000-8000-000000000000 (${bobFeed}) (thr:in-reply-to), and no item on the head page of ${bobFeed} matches the entry urn:uuid:00000000-0000-5000-8000-000000000000; the text is kept`,
      `repost is left out: the entry reposts from ${server.base}/gone/feed.xml (link rel="via" title="repost"), and ${server.base}/gone/feed.xml cannot be read (${server.base}/gone/feed.xml answered HTTP 404); the text is kept as your own, the quote as a quote`,
    ]);
    // Hostile text stays text: the quote of the unidentified repost is escaped, no element made of it.
    const kept = posts.find((p) => p.html.includes("Mine."))!;
    expect(kept.html).toBe("<p>Mine.</p>\n<blockquote>\n<p>&lt;script&gt;x</p>\n</blockquote>\n");
  });

  it(`reads at most ${MAX_TARGET_FEEDS} other feeds an import, and says which were not read`, async () => {
    const many = Array.from({ length: MAX_TARGET_FEEDS + 1 }, (_, i) =>
      entry(1, `<thr:in-reply-to ref="urn:x:${i}" href="${server.base}/none/${i}.xml"/>`),
    ).join("");
    const items = adaItems(`${server.base}/none/bob.xml`, many).filter(
      (item) => item.atomReply?.href?.includes("/none/") && !item.atomReply.href.endsWith("bob.xml"),
    );
    const pages = await readTargetFeeds(items, loader());
    const notRead = [...pages.values()].filter((page) => !page.ok && /was not read/.test(page.error.reason));
    expect(notRead).toHaveLength(1);
  });
});
