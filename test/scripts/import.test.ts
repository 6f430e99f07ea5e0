/**
 * Moving in, whole: a 1,200-post Skein site, built by our own builder from factory posts (replies,
 * reposts with and without a comment, other languages, markup, emoji, a gap in the ids) and served on
 * loopback as three feed pages plus its follows and blocks lists, imported with the real CLI into a
 * fresh project. Every post comes back with its date, text, guid, language and reply / repost data;
 * the lists are appended; the rebuilt site validates with zero errors (npm run validate); running the
 * import again imports nothing; two new posts on the old site are imported by the next run.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildSiteInMemory, fixedDate, listYaml, type PostSpec, person, profileYaml, seededRandom } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import type { Post } from "../../lib/publish/posts.ts";
import type { SiteModel } from "../../lib/publish/site.ts";
import { readSiteSources } from "../../lib/site-build/site-source.ts";
import { readTree, runBuildCli, runScript } from "../support/cli.ts";
import { type FeedServer, serveFeeds } from "../validate/support/serve.ts";

const TIMEOUT = 240_000;
const POSTS = 1200;
const OLD_ID = "6f1c1a7e-5b2d-4b7e-9a63-1d2e3f4a5b6c";

/** Markdown pieces that must survive HTML -> markdown -> HTML. */
const PIECES = [
  "plain words",
  "**bold**",
  "*emphasis*",
  "`code & <tags>`",
  "a & b < c",
  "café crème",
  "中文",
  "🐦 𝄞",
  "[a link](https://example.org/page?a=1&b=2)",
  "https://bare.example/link",
];

function sourcePosts(): PostSpec[] {
  const rng = seededRandom(1200);
  return Array.from({ length: POSTS }, (_, i) => {
    const words = Array.from({ length: rng.int(1, 6) }, () => rng.pick(PIECES)).join(" ");
    let body = `Post ${i}: ${words}.\n`;
    if (i % 9 === 0) body += "\n- one\n- two *three*\n";
    if (i % 15 === 0) body += "\n> a quote\n\nAfter the quote.\n";
    // A fenced block with a language comes back with it (class="language-js").
    if (i % 23 === 0) body += `\n\`\`\`${i % 2 === 0 ? "js" : ""}\nconst x = 1 < 2;\n\`\`\`\n`;
    const spec: PostSpec = { name: `p${String(i).padStart(4, "0")}.md`, date: fixedDate(0, i * 3) + rng.int(0, 59) * 60_000, body, id: i < 600 ? i : i + 1000 };
    const other = person(i % 5);
    if (i % 7 === 1 && i % 11 !== 2)
      spec.replyTo = { user_id: other.user_id, user_link: other.user_link, status_id: rng.int(0, 9999), username: other.username };
    if (i % 11 === 2) {
      spec.repost = {
        user_id: other.user_id,
        user_link: other.user_link,
        status_id: `s-${i}`,
        pubdate: fixedDate(-1, i),
        text: `Quoted *words* number ${i} & more.`,
      };
      if (i % 2 === 0) delete spec.body;
    }
    if (i % 13 === 3) spec.language = "fr";
    return spec;
  });
}

let server: FeedServer;
let oldSite: ReturnType<typeof buildSiteInMemory>;
let project: ProjectCopy;
const specs = sourcePosts();

function serveOldSite(posts: PostSpec[]): SiteModel {
  oldSite = buildSiteInMemory({
    profile: profileYaml({ username: "oldme", user_id: OLD_ID, full_name: "Old Me", bio: "Moving to Skein.", url: `${server.base}/old`, public_blocks: true }),
    follows: listYaml([person(0), person(1), person(2)]),
    blocks: listYaml([person(9)]),
    posts,
  });
  for (const [permalink, xml] of oldSite.xml) server.routes.set(`/old${permalink}`, xml);
  return oldSite.model;
}

beforeAll(async () => {
  server = await serveFeeds();
  serveOldSite(specs);
  project = createProjectCopy({ posts: {} });
}, TIMEOUT);
afterAll(async () => {
  project.cleanup();
  await server.close();
}, TIMEOUT);

const effectiveLanguage = (post: Post, model: SiteModel) => post.language ?? model.profile.language;

describe("importing a 1,200-post Open Microblog feed chain", () => {
  it("every post comes back with its date, text, guid, language and reply/repost data; lists appended; the rebuilt site validates", {
    timeout: TIMEOUT,
  }, async () => {
    const source = oldSite.model;
    expect(source.feedPageCount).toBe(3);
    const result = await runScript(project.root, "scripts/import.ts", [`${server.base}/old/feed.xml`]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Read 3 pages of ${server.base}/old/feed.xml (an Open Microblog feed, 1,200 items).`);
    expect(result.stdout).toContain(
      "Posts: 1,200 posts imported into posts/ (1200 kept the old guid as id, 0 got the next free id), 0 already imported, 0 skipped.",
    );
    expect(result.stdout).toContain("Follows: 3 accounts added to site/_data/follows.yaml, 0 already there, 0 skipped.");
    expect(result.stdout).toContain("Blocks: 1 account added to site/_data/blocks.yaml, 0 already there, 0 skipped.");
    expect(result.stdout).toContain(`  user_id    ${OLD_ID}`);
    expect(result.stdout).toContain(`To adopt it: npm run import -- ${server.base}/old/feed.xml --profile`);
    // Progress on stderr: one line per page.
    expect(result.stderr.split("\n").filter((line) => line.startsWith("import: page "))).toHaveLength(3);

    const imported = buildSiteInMemory(readSiteSources(project.root)).model;
    expect(imported.posts).toHaveLength(POSTS);
    const byGuid = new Map(imported.posts.map((post) => [post.guid, post]));
    let sameHtml = 0;
    for (const old of source.posts) {
      const post = byGuid.get(old.guid);
      expect(post, `guid ${old.guid} came back`).toBeDefined();
      const where = `guid ${old.guid} (${old.file})`;
      expect(post!.date, where).toBe(old.date);
      expect(effectiveLanguage(post!, imported), where).toBe(effectiveLanguage(old, source));
      expect(post!.replyTo && { ...post!.replyTo }, where).toEqual(
        old.replyTo && { user_id: old.replyTo.user_id, user_link: old.replyTo.user_link, status_id: old.replyTo.status_id },
      );
      if (old.repost) {
        const { username: _u, ...rest } = old.repost;
        expect(post!.repost, where).toEqual(rest);
      } else expect(post!.repost, where).toBeUndefined();
      // The text: the same HTML, from markdown that turndown wrote.
      expect(post!.html, where).toBe(old.html);
      sameHtml++;
    }
    expect(sameHtml).toBe(POSTS);

    const follows = parseYaml(readFileSync(path.join(project.root, "site/_data/follows.yaml"), "utf8")) as { username: string }[];
    expect(follows.map((f) => f.username).slice(-3)).toEqual(["friend_0", "friend_1", "friend_2"]);
    expect(readFileSync(path.join(project.root, "site/_data/follows.yaml"), "utf8")).toMatch(/^# Accounts you follow/);

    const build = await runBuildCli(project.root);
    expect(build.stderr).toBe("");
    expect(build.code).toBe(0);
    const validate = await runScript(project.root, "scripts/validate.ts", ["_site"]);
    expect(validate.stdout).toMatch(/Checked 3 feed pages \(1200 items\) and 2 list pages: 0 errors, 0 warnings, 0 notes\./);
    expect(validate.code).toBe(0);
  });

  it("run again: nothing new, nothing written; two new posts on the old site: only they are imported", { timeout: TIMEOUT }, async () => {
    const before = readTree(path.join(project.root, "posts"));
    const again = await runScript(project.root, "scripts/import.ts", [`${server.base}/old/feed.xml`, "--quiet"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe("");
    expect(again.stdout).toContain(
      "Posts: 0 posts imported into posts/ (0 kept the old guid as id, 0 got the next free id), 1200 already imported, 0 skipped.",
    );
    expect(again.stdout).toContain("Follows: 0 accounts added to site/_data/follows.yaml, 3 already there, 0 skipped.");
    const after = readTree(path.join(project.root, "posts"));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [file, bytes] of before) expect(after.get(file)!.equals(bytes), file).toBe(true);

    serveOldSite([...specs, { date: fixedDate(200), id: 5000, body: "Still here.\n" }, { date: fixedDate(201), id: 5001, body: "And here.\n" }]);
    const more = await runScript(project.root, "scripts/import.ts", [`${server.base}/old/feed.xml`, "--quiet"]);
    expect(more.code, more.stderr).toBe(0);
    expect(more.stdout).toContain("Posts: 2 posts imported into posts/ (2 kept the old guid as id, 0 got the next free id), 1200 already imported, 0 skipped.");
    const model = buildSiteInMemory(readSiteSources(project.root)).model;
    expect(model.posts.slice(-2).map((p) => [p.guid, p.html])).toEqual([
      [5000, "<p>Still here.</p>\n"],
      [5001, "<p>And here.</p>\n"],
    ]);
    for (const [file, bytes] of before) expect(readFileSync(path.join(project.root, "posts", file)).equals(bytes), file).toBe(true);
  });

  it("a profile page instead of the feed: the feed it links to is read (as npm run follow takes it)", { timeout: TIMEOUT }, async () => {
    server.routes.set("/old/", {
      status: 200,
      headers: { "Content-Type": "text/html; charset=utf-8" },
      body: `<!doctype html><html><head><title>Old Me</title><link rel="alternate" type="application/rss+xml" href="feed.xml"></head><body>hi</body></html>`,
    });
    const page = await runScript(project.root, "scripts/import.ts", [`${server.base}/old/`]);
    expect(page.code, page.stderr).toBe(0);
    expect(page.stderr).toContain(`import: ${server.base}/old/ is a web page; reading the feed it links to, ${server.base}/old/feed.xml`);
    expect(page.stdout).toContain("Posts: 0 posts imported into posts/");
    server.routes.set("/lost/", { status: 200, headers: { "Content-Type": "text/html" }, body: "<!DOCTYPE html><html><body>no feed here</body></html>" });
    const lost = await runScript(project.root, "scripts/import.ts", [`${server.base}/lost/`, "--quiet"]);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(/is a web page, not a feed: give the URL of its feed/);
  });
});
