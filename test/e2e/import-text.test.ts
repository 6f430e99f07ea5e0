/// <reference lib="dom" />
/**
 * What a reader saw as text in an imported feed is text in our site, and nothing executable survives
 * (issue 18): a differential test over generated hostile strings, through the real path -- a plain RSS
 * chain and an Atom feed served on loopback, `npm run import` (the CLI) into a fresh project,
 * `npm run build` (the CLI) -- then, in a real browser (Debian's chromium):
 * - the visible text of every source item (its HTML parsed by the browser) equals the visible text of
 *   our post on its own page, on the home page, in feed.xml's description and in atom.xml's content;
 * - every built page loads without running anything the hostile strings carry (each payload would
 *   call window.__ran), and no page holds a <script>, an event attribute or a javascript: URL;
 * - posts/*.md holds no raw HTML but the clean elements markdown cannot say (markdown-it's own tokens).
 * Strings come from the project's seeded PRNG (same strings every run): text as a reader sees it,
 * `<script>`, `<img onerror>`, entities, markdown syntax, autolinks, template syntax, in paragraphs,
 * emphasis, code, code blocks, lists, quotes, headings, links, table cells, <sup>, lines cut by <br>;
 * Atom entries quote a repost in a trailing <blockquote>, as Skein's own atom.xml writes one.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import MarkdownIt from "markdown-it";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "../../lib/harness/browser.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { type SeededRandom, seededRandom } from "../../lib/harness/seeded-random.ts";
import { freePort, type StaticServer, serveFolder } from "../../lib/harness/static-server.ts";
import { runScript } from "../support/cli.ts";
import { type FeedServer, serveFeeds } from "../validate/support/serve.ts";

const RSS_ITEMS = 240;
const ATOM_ENTRIES = 60;

/** Pieces of text a hostile (or merely technical) old post shows as text. */
const PIECES = [
  "<script>__ran(1)</script>",
  "<img src=x onerror=__ran(2)>",
  "<svg onload=__ran(3)>",
  '<a href="javascript:__ran(4)">x</a>',
  "<iframe srcdoc='<script>parent.__ran(5)</script>'>",
  "</p><script>__ran(6)</script><p>",
  "&lt;script&gt;",
  "&amp;",
  "&#60;b&#62;",
  "&copy;",
  "<!-- comment -->",
  "<http://auto.example/>",
  "<someone@mail.example>",
  "*a*",
  "_b_",
  "**c**",
  "`d`",
  "~~e~~",
  "[f](https://x.example)",
  "![g](https://x.example/i.png)",
  "[h]: https://ref.example",
  "\\",
  "\\*",
  "1) ",
  "2. ",
  "- ",
  "+ ",
  "# ",
  "> ",
  "===",
  "---",
  "| a | b |",
  "|---|---|",
  ": ",
  "www.example.com",
  "https://x.example/p?a=1&b=2",
  "]]>",
  "{{ x }}",
  "{% raw %}",
  "\u0024{x}",
  "<?php echo 1; ?>",
  "<![CDATA[x]]>",
  "é",
  "🐦",
  "<",
  ">",
  "&",
  '"',
  "'",
  "word",
  "two words",
];

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function hostileText(rng: SeededRandom): string {
  const count = rng.int(1, 6);
  let text = "";
  for (let i = 0; i < count; i++) text += (i > 0 && rng.chance(0.6) ? " " : "") + rng.pick(PIECES);
  return text.trim() || "word";
}

/** One block of HTML whose text is `hostileText`, shown as text (escaped) inside some element. */
function block(rng: SeededRandom): string {
  const t = () => escapeHtml(hostileText(rng));
  switch (rng.int(0, 11)) {
    case 0:
      return `<p><em>${t()}</em> ${t()}</p>`;
    case 1:
      return `<p><strong>${t()}</strong></p>`;
    case 2:
      return `<p>${t()} <code>${t()}</code></p>`;
    case 3:
      return `<pre><code>${t()}\n${t()}</code></pre>`;
    case 4:
      return `<ul><li>${t()}</li><li>${t()}</li></ul>`;
    case 5:
      return `<blockquote><p>${t()}</p></blockquote>`;
    case 6:
      return `<h2>${t()}</h2>`;
    case 7:
      return `<p><a href="https://link.example/">${t()}</a></p>`;
    case 8:
      return `<table><tr><td>${t()}</td></tr></table>`;
    case 9:
      return `<p>x<sup>${t()}</sup></p>`;
    case 10:
      return `<p>${t()}<br>${t()}<br>${t()}</p>`;
    default:
      return `<p>${t()}</p>`;
  }
}

interface SourceItem {
  id: number;
  html: string;
  date: Date;
}

function sourceItems(seed: number, count: number, start: number, quote: boolean): SourceItem[] {
  const rng = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    let html = Array.from({ length: rng.int(1, 3) }, () => block(rng)).join("\n");
    // A repost with a comment, as Skein's own feeds write one: the quoted text in a trailing blockquote.
    if (quote) html += `\n<blockquote>\n<p>${escapeHtml(hostileText(rng))}</p>\n</blockquote>`;
    return { id: start + i, html, date: new Date(Date.UTC(2021, 0, 1) + (start + i) * 3_600_000) };
  });
}

const xmlEscape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function rssPage(base: string, items: SourceItem[], next?: string): string {
  const entries = items
    .map(
      (item) =>
        `<item><guid isPermaLink="false">${item.id}</guid><pubDate>${item.date.toUTCString()}</pubDate><description>${xmlEscape(item.html)}</description></item>`,
    )
    .join("\n");
  const older = next ? `<atom:link rel="prev-archive" href="${base}${next}"/>` : "";
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Hostile</title><link>${base}/</link><description>x</description>${older}
${entries}
</channel></rss>
`;
}

function atomFeed(items: SourceItem[]): string {
  const entries = items
    .map(
      (item, i) =>
        `<entry><id>tag:hostile.example,2021:${i}</id><published>${item.date.toISOString()}</published><content type="html">${xmlEscape(item.html)}</content><link rel="via" title="repost" href="https://quoted.example/feed.xml"/></entry>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Hostile Atom</title><id>tag:hostile.example,2021:feed</id><updated>2021-01-01T00:00:00Z</updated>
${entries}
</feed>
`;
}

const rssItems = sourceItems(18, RSS_ITEMS, 0, false);
const atomItems = sourceItems(1818, ATOM_ENTRIES, RSS_ITEMS, true);
/** Post id -> the source HTML it came from (RSS guids are kept; Atom entries get the next ids in date order). */
const expected = new Map<number, string>([...rssItems, ...atomItems].map((item) => [item.id, item.html]));

let feeds: FeedServer;
let project: ProjectCopy;
let site: StaticServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  feeds = await serveFeeds();
  const half = RSS_ITEMS / 2;
  feeds.routes.set("/rss/feed.xml", rssPage(feeds.base, rssItems.slice(half).reverse(), "/rss/older.xml"));
  feeds.routes.set("/rss/older.xml", rssPage(feeds.base, rssItems.slice(0, half).reverse()));
  feeds.routes.set("/atom.xml", { body: atomFeed(atomItems), headers: { "Content-Type": "application/atom+xml" } });
  project = createProjectCopy({ posts: {} });
  for (const feed of ["/rss/feed.xml", "/atom.xml"]) {
    const result = await runScript(project.root, "scripts/import.ts", [`${feeds.base}${feed}`, "--quiet"]);
    expect(result.code, result.stderr).toBe(0);
  }
  const port = await freePort();
  const build = await runScript(project.root, "scripts/build.ts", ["--quiet"], { SKEIN_URL: `http://127.0.0.1:${port}`, SKEIN_HTML_PAGE_SIZE: "50" });
  expect(build.code, build.stderr).toBe(0);
  site = await serveFolder(path.join(project.root, "_site"), port);
  browser = await launchChromium();
  page = await browser.newPage();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await feeds?.close();
  project?.cleanup();
});

/** The text a reader sees of some HTML, as the browser parses it: scripts and the like are not text; blocks are separated. */
function visibleTexts(target: Page, htmls: string[]): Promise<string[]> {
  return target.evaluate((list) => {
    const BLOCKS = new Set(["P", "DIV", "LI", "UL", "OL", "BR", "BLOCKQUOTE", "PRE", "H1", "H2", "H3", "H4", "H5", "H6", "TABLE", "TR", "TD", "TH", "HR"]);
    const text = (node: Node): string => {
      if (node.nodeType === Node.TEXT_NODE) return node.nodeValue ?? "";
      if (node.nodeType !== Node.ELEMENT_NODE) return "";
      const element = node as Element;
      if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "IFRAME", "OBJECT", "SVG", "svg", "IMG"].includes(element.tagName)) return "";
      const inner = Array.from(element.childNodes, text).join("");
      return BLOCKS.has(element.tagName) ? ` ${inner} ` : inner;
    };
    return list.map((html) => {
      const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, "text/html");
      return text(doc.body).replace(/\s+/g, " ").trim();
    });
  }, htmls);
}

/** What in each HTML could run: script-like elements, event attributes, javascript: URLs (as the browser parses it). */
function liveParts(target: Page, htmls: string[]): Promise<string[][]> {
  return target.evaluate(
    (list) =>
      list.map((html) => {
        const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, "text/html");
        return Array.from(doc.body.querySelectorAll("*")).flatMap((element) => [
          ...(["SCRIPT", "IFRAME", "OBJECT", "EMBED", "svg", "SVG", "STYLE", "LINK", "META", "BASE", "FORM"].includes(element.tagName)
            ? [element.tagName]
            : []),
          ...Array.from(element.attributes)
            .filter((a) => /^on/i.test(a.name) || /^\s*(javascript|data|vbscript):/i.test(a.value))
            .map((a) => `${element.tagName} ${a.name}=${a.value}`),
        ]);
      }),
    htmls,
  );
}

/** Each of `ours` shows the text its source showed (one failure names the post and both HTMLs). */
async function expectSameTexts(target: Page, what: string, labels: readonly (string | number)[], ours: string[], sources: string[]): Promise<void> {
  expect(ours.length, what).toBe(sources.length);
  const [got, want] = [await visibleTexts(target, ours), await visibleTexts(target, sources)];
  for (let i = 0; i < got.length; i++) expect(got[i], `${what} ${labels[i]}\nsource: ${sources[i]}\nours: ${ours[i]}`).toBe(want[i]);
}

const guidOf = (href: string) => Number(/\/posts\/(\d+)\/$/.exec(href)?.[1]);

describe.skipIf(!chromiumAvailable)("imported text stays text (differential, through npm run import and npm run build)", () => {
  it("every post was imported, and its markdown holds no raw HTML but clean tables, sup and the like", () => {
    const files = readdirSync(path.join(project.root, "posts")).filter((name) => name.endsWith(".md"));
    expect(files).toHaveLength(RSS_ITEMS + ATOM_ENTRIES);
    const markdown = new MarkdownIt({ html: true, linkify: true });
    const allowed = /^<\/?(table|tbody|thead|tr|td|th|sup)>$/;
    for (const file of files) {
      const text = readFileSync(path.join(project.root, "posts", file), "utf8");
      const tokens = markdown.parse(text.replace(/^---\n[\s\S]*?\n---\n/, ""), {});
      for (const token of tokens.flatMap((t) => [t, ...(t.children ?? [])])) {
        if (token.type === "html_inline") expect(token.content, file).toMatch(allowed);
        if (token.type === "html_block")
          expect(token.content.replace(/<\/?(table|tbody|thead|tr|td|th)>/g, "").includes("<"), `${file}: ${token.content}`).toBe(false);
      }
    }
  });

  it("every page of posts, loaded in the browser, runs nothing and shows each post's source text", async () => {
    const ran: string[] = [];
    await page.exposeFunction("__ran", (n: number) => ran.push(`${page.url()}: ${n}`));
    const shown = new Map<number, string>();
    const pages = ["/", ...readdirSync(path.join(project.root, "_site/page")).map((k) => `/page/${k}/`)];
    for (const where of pages) {
      await page.goto(`${site.url}${where}`, { waitUntil: "load" });
      const live = await page.evaluate(() => ({
        scripts: document.querySelectorAll("script, iframe, object, embed, svg").length,
        handlers: Array.from(document.querySelectorAll("*")).flatMap((e) =>
          Array.from(e.attributes)
            .filter((a) => /^on/i.test(a.name))
            .map((a) => a.name),
        ),
        javascript: Array.from(document.querySelectorAll("[href], [src]")).filter((e) =>
          /^\s*javascript:/i.test(e.getAttribute("href") ?? e.getAttribute("src") ?? ""),
        ).length,
      }));
      expect(live, where).toEqual({ scripts: 0, handlers: [], javascript: 0 });
      const posts = await page
        .locator("article.post")
        .evaluateAll((articles) =>
          articles.map((a) => ({ href: a.querySelector("a.u-url")?.getAttribute("href") ?? "", html: a.querySelector(".e-content")?.innerHTML ?? "" })),
        );
      for (const post of posts) shown.set(guidOf(new URL(post.href, site.url).href), post.html);
    }
    expect([...shown.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()]);
    const ids = [...shown.keys()];
    await expectSameTexts(
      page,
      "post",
      ids,
      ids.map((id) => shown.get(id)!),
      ids.map((id) => expected.get(id)!),
    );
    expect(ran).toEqual([]);
  });

  it("each post's own page shows the same text as the source item showed", async () => {
    const ids = [...expected.keys()];
    const bodies = ids.map((id) => {
      const html = readFileSync(path.join(project.root, `_site/posts/${id}/index.html`), "utf8");
      return html.slice(html.indexOf('<div class="post-body e-content">'), html.indexOf('<footer class="post-meta">'));
    });
    expect((await liveParts(page, bodies)).flat()).toEqual([]);
    await expectSameTexts(
      page,
      "post page",
      ids,
      bodies,
      ids.map((id) => expected.get(id)!),
    );
  });

  it("feed.xml and atom.xml carry the same text in their HTML", async () => {
    const rss = readFileSync(path.join(project.root, "_site/feed.xml"), "utf8");
    const atom = readFileSync(path.join(project.root, "_site/atom.xml"), "utf8");
    const fromXml = await page.evaluate(
      ([rssText, atomText]: string[]) => {
        const parse = (xml: string | undefined) => new DOMParser().parseFromString(xml ?? "", "application/xml");
        const items = Array.from(parse(rssText).querySelectorAll("item")).map((item) => ({
          guid: item.querySelector("guid")?.textContent ?? "",
          html: item.querySelector("description")?.textContent ?? "",
        }));
        const entries = Array.from(parse(atomText).getElementsByTagName("entry")).map((entry) => ({
          href: entry.querySelector("link[rel=alternate]")?.getAttribute("href") ?? "",
          html: entry.getElementsByTagName("content")[0]?.textContent ?? "",
        }));
        return { items, entries };
      },
      [rss, atom],
    );
    expect(fromXml.items.length).toBeGreaterThan(10);
    expect(fromXml.entries.length).toBe(fromXml.items.length);
    await expectSameTexts(
      page,
      "feed.xml item",
      fromXml.items.map((item) => item.guid),
      fromXml.items.map((item) => item.html),
      fromXml.items.map((item) => expected.get(Number(item.guid))!),
    );
    await expectSameTexts(
      page,
      "atom.xml entry",
      fromXml.entries.map((entry) => entry.href),
      fromXml.entries.map((entry) => entry.html),
      fromXml.entries.map((entry) => expected.get(guidOf(entry.href))!),
    );
    expect(
      (
        await liveParts(
          page,
          [...fromXml.items, ...fromXml.entries].map((entry) => entry.html),
        )
      ).flat(),
    ).toEqual([]);
  });
});
