/**
 * The built pages read by two independent microformats2 parsers: mf2py (Debian's python3-mf2py, the
 * parser Bridgy Fed uses) and the npm `microformats-parser`. Both must find the representative h-card
 * (name, photo, url, note, rel="me" links), the home page's h-feed of h-entries, and on post pages
 * e-content, dt-published, u-url, p-author, u-in-reply-to, u-repost-of and the approved replies as
 * p-comment h-cite, approved webmentions as p-like / p-repost h-cite. The site is made by the real build (`npm run build`) in a project copy.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { mf2 } from "microformats-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../../lib/harness/project-copy.ts";
import { runBuildCli } from "../../support/cli.ts";

const BASE = "https://wren.example";
const PROFILE = `username: wren
user_id: 8d3c6f0e-2b1a-4e57-9c4d-1f6a2e9b7c30
full_name: Wren Example
bio: Writes small things.
language: en
url: ${BASE}
portrait: /assets/portrait.svg
links:
  - https://social.example/@wren
  - https://code.example/wren
`;
const BOB = "user_id: 0e9a7c52-61f4-4d3b-b8a2-7c5e1d9f0a13\n  username: bob\n  user_link: https://bob.example/feed.xml";
const POSTS: Record<string, string> = {
  "a.md": "---\nid: 0\ndate: 2026-01-01T09:00:00Z\n---\nHello, web.\n",
  "b.md": `---\nid: 1\ndate: 2026-01-02T09:00:00Z\nreply_to:\n  ${BOB}\n  status_id: 18\n  link: https://bob.example/posts/18/\n---\n@bob Yes.\n`,
  "c.md": "---\nid: 2\ndate: 2026-01-03T09:00:00Z\nin_reply_to: https://indie.example/notes/7\n---\nAgreed, from afar.\n",
  "d.md": `---\nid: 3\ndate: 2026-01-04T09:00:00Z\nrepost:\n  ${BOB}\n  status_id: 19\n  pubdate: 2026-01-03T08:00:00Z\n  text: Bread is good.\n---\n`,
};
const REPLIES = `- user_id: 0e9a7c52-61f4-4d3b-b8a2-7c5e1d9f0a13
  username: bob
  user_link: https://bob.example/feed.xml
  profile: https://bob.example/
  name: Bob
  guid: "20"
  date: 2026-01-01T10:00:00Z
  link: https://bob.example/posts/20/
  text: "<p>Hello back.</p>"
- webmention: https://indie.example/notes/like
  kind: like
  date: 2026-01-01T11:00:00Z
  name: Carol Indie
  author_url: https://indie.example/
- webmention: https://indie.example/notes/repost
  kind: repost
  date: 2026-01-01T12:00:00Z
  name: Carol Indie
  author_url: https://indie.example/
`;

type Item = { type: string[]; properties: Record<string, unknown[]>; children?: Item[] };
type Parsed = { items: Item[]; rels: Record<string, string[]> };

let project: ProjectCopy;
const page = (relative: string) => readFileSync(path.join(project.root, "_site", relative), "utf8");

function byMf2py(relative: string, url: string): Parsed {
  const script = "import json,sys,mf2py; print(json.dumps(mf2py.parse(doc=open(sys.argv[1]).read(), url=sys.argv[2])))";
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, path.join(project.root, "_site", relative), url], { encoding: "utf8" }));
}
function byNpm(relative: string, url: string): Parsed {
  return mf2(page(relative), { baseUrl: url }) as unknown as Parsed;
}
const HAVE_MF2PY =
  existsSync("/usr/bin/python3") &&
  (() => {
    try {
      execFileSync("/usr/bin/python3", ["-c", "import mf2py"]);
      return true;
    } catch {
      return false;
    }
  })();
const parsers: [string, (relative: string, url: string) => Parsed][] = [["microformats-parser", byNpm]];
if (HAVE_MF2PY || process.env.CI) parsers.push(["mf2py", byMf2py]);

/** Text of a property value: a plain string, or an embedded item's value / html. */
const text = (value: unknown): string =>
  typeof value === "string" ? value : ((value as { value?: string; html?: string }).value ?? (value as { html?: string }).html ?? "");
const first = (item: Item, name: string): string => text(item.properties[name]?.[0]).trim();
const urls = (item: Item, name: string): string[] => (item.properties[name] ?? []).map((value) => text(value));

beforeAll(async () => {
  project = createProjectCopy({ profile: PROFILE, follows: null, blocks: null, posts: POSTS });
  project.write("posts/replies/0.yaml", REPLIES);
  const build = await runBuildCli(project.root, [], { SKEIN_URL: BASE });
  expect(build.stderr).not.toMatch(/error/i);
  expect(build.code).toBe(0);
}, 120_000);
afterAll(() => project?.cleanup());

describe.each(parsers)("microformats2 on the built pages, read by %s", { timeout: 60_000 }, (_name, parse) => {
  it("the home page: a representative h-card with name, photo, url, note and rel=me links", () => {
    const { items, rels } = parse("index.html", `${BASE}/`);
    const card = items.find((item) => item.type.includes("h-card"));
    expect(card, "an h-card at the top level").toBeDefined();
    if (!card) return;
    expect(first(card, "name")).toBe("Wren Example");
    expect(urls(card, "url")).toContain(`${BASE}/`);
    expect(urls(card, "uid")).toEqual([`${BASE}/`]);
    expect(urls(card, "photo").map((photo) => photo.replace(/\?.*$/, ""))).toEqual([`${BASE}/assets/portrait.svg`]);
    expect(first(card, "note")).toBe("Writes small things.");
    expect(rels.me).toEqual(["https://social.example/@wren", "https://code.example/wren"]);
    expect(rels.webmention).toEqual([`${BASE}/api/webmention`]);
    expect(rels.micropub).toEqual([`${BASE}/api/micropub`]);
    // IndieAuth §4.1: the metadata, and the two endpoints older clients look for.
    expect(rels["indieauth-metadata"]).toEqual([`${BASE}/.well-known/oauth-authorization-server`]);
    expect(rels.authorization_endpoint).toEqual([`${BASE}/api/indieauth/auth`]);
    expect(rels.token_endpoint).toEqual([`${BASE}/api/indieauth/token`]);
  });

  it("the home page: an h-feed of h-entries, each with content, date, url and author", () => {
    const { items } = parse("index.html", `${BASE}/`);
    const feed = items.find((item) => item.type.includes("h-feed"));
    expect(feed?.children?.length).toBe(4);
    for (const entry of feed?.children ?? []) {
      expect(entry.type).toEqual(["h-entry"]);
      expect(urls(entry, "url")[0]).toMatch(new RegExp(`^${BASE}/posts/\\d+/$`));
      expect(first(entry, "published")).toMatch(/^2026-01-0\dT09:00:00Z$/);
      const author = entry.properties.author?.[0] as Item;
      expect(author.type).toEqual(["h-card"]);
      expect(first(author, "name")).toBe("Wren Example");
      expect(urls(author, "url")).toEqual([`${BASE}/`]);
    }
    const hello = feed?.children?.find((entry) => urls(entry, "url")[0] === `${BASE}/posts/0/`);
    expect(first(hello as Item, "content")).toBe("Hello, web.");
  });

  it("a post page: one h-entry with e-content, dt-published, u-url, p-author and its replies as p-comment h-cite", () => {
    const { items } = parse("posts/0/index.html", `${BASE}/posts/0/`);
    const entry = items.find((item) => item.type.includes("h-entry")) as Item;
    expect(first(entry, "content")).toBe("Hello, web.");
    expect(first(entry, "published")).toBe("2026-01-01T09:00:00Z");
    expect(urls(entry, "url")).toEqual([`${BASE}/posts/0/`]);
    expect(urls((entry.properties.author?.[0] as Item) ?? { properties: {} }, "url")).toEqual([`${BASE}/`]);
    const comments = (entry.properties.comment ?? []) as Item[];
    expect(comments).toHaveLength(1);
    expect(comments[0]?.type).toEqual(["h-cite"]);
    expect(first(comments[0] as Item, "content")).toBe("Hello back.");
    expect(urls(comments[0] as Item, "url")).toEqual(["https://bob.example/posts/20/"]);
    expect(first(comments[0] as Item, "published")).toBe("2026-01-01T10:00:00Z");
    expect(first((comments[0]?.properties.author?.[0] as Item) ?? { properties: {} }, "name")).toBe("Bob");
    // Approved webmentions (npm run replies -- approve w<id>) with their kind: p-like and p-repost h-cite.
    for (const kind of ["like", "repost"]) {
      const cites = (entry.properties[kind] ?? []) as Item[];
      expect(cites).toHaveLength(1);
      expect(cites[0]?.type).toEqual(["h-cite"]);
      expect(urls(cites[0] as Item, "url")).toContain(`https://indie.example/notes/${kind}`);
      expect(first((cites[0]?.properties.author?.[0] as Item) ?? { properties: {} }, "name")).toBe("Carol Indie");
    }
  });

  it("replies and reposts: u-in-reply-to (an Open Microblog item or a plain web page) and u-repost-of", () => {
    const entryOf = (guid: number) => parse(`posts/${guid}/index.html`, `${BASE}/posts/${guid}/`).items.find((item) => item.type.includes("h-entry")) as Item;
    expect(urls(entryOf(1), "in-reply-to")).toEqual(["https://bob.example/posts/18/"]);
    expect(urls(entryOf(2), "in-reply-to")).toEqual(["https://indie.example/notes/7"]);
    expect(urls(entryOf(3), "repost-of")).toEqual(["https://bob.example/feed.xml"]);
    expect(first(entryOf(3), "content")).toBe("Bread is good.");
  });
});
