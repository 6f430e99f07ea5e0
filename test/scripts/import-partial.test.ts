/**
 * `npm run import` of a chain it cannot read to the end (issue 18): what could be read is imported,
 * the command says exactly what was not, and a later run completes it (by file name, no item twice):
 * - a `next_node` that cannot be reached (404): pages before it imported, exit 1 with one line naming
 *   the page and the command that continues; served again, the same command imports only the rest;
 * - `--max-pages 1`: page 1 imported (exit 0), the rest named; `npm run import -- <that page>` completes;
 * - an endless chain of big pages: reading stops at a cap with one line (no stack trace), the pages
 *   before it imported; under a 160 MB heap, 60 pages of 4 MiB are read and imported (each page's
 *   text is dropped once read: kept, they would not fit).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { type CliResult, runScript } from "../support/cli.ts";
import { type FeedServer, serveFeeds } from "../validate/support/serve.ts";

const TIMEOUT = 240_000;
const USER_ID = "2f6c7a1e-8b3d-4c5e-9f01-a2b3c4d5e6f7";
let server: FeedServer;
const copies: ProjectCopy[] = [];

/** An Open Microblog page: `count` items with ids `first`, `first - 1`, ... (newest first), a minute apart. */
function page(base: string, first: number, count: number, next?: string, filler = ""): string {
  const items = Array.from({ length: count }, (_, i) => {
    const id = first - i;
    const date = new Date(Date.UTC(2020, 0, 1) + (id % 10_000_000) * 60_000).toUTCString().replace("GMT", "+0000");
    return `<item><guid isPermaLink="false">${id}</guid><pubDate>${date}</pubDate><description>Post number ${id}.</description></item>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:microblog="http://openmicroblog.com/"><channel><title>Old</title><link>${base}/chain/1.xml</link><description>x</description>
<microblog:username>old</microblog:username><microblog:user_id>${USER_ID}</microblog:user_id>${next ? `<microblog:next_node>${base}${next}</microblog:next_node>` : ""}${filler}
${items.join("\n")}
</channel></rss>
`;
}

const hugePage = (k: number) => page(server.base, 1_000_000_000 - k, 1, `/huge/${k + 1}.xml`, `<!--${" ".repeat(4 * 1024 * 1024)}-->`);

beforeAll(async () => {
  server = await serveFeeds();
  // Three pages of two posts each: ids 5..0.
  server.routes.set("/chain/1.xml", page(server.base, 5, 2, "/chain/2.xml"));
  server.routes.set("/chain/2.xml", page(server.base, 3, 2, "/chain/3.xml"));
  // Endless chains (as many pages as any run could read): page k holds 500 fresh ids and links page
  // k + 1; or one item and a 4 MiB comment.
  for (let k = 1; k <= 400; k++) {
    server.routes.set(`/endless/${k}.xml`, () => ({ body: page(server.base, 1_000_000_000 - k * 500, 500, `/endless/${k + 1}.xml`) }));
    server.routes.set(`/huge/${k}.xml`, () => ({ body: hugePage(k) }));
  }
}, TIMEOUT);
afterAll(async () => {
  for (const copy of copies) copy.cleanup();
  await server.close();
}, TIMEOUT);

function emptySite(): ProjectCopy {
  const copy = createProjectCopy({ posts: {} });
  copies.push(copy);
  return copy;
}

const importing = (copy: ProjectCopy, args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runScript(copy.root, "scripts/import.ts", [...args, "--quiet"], env);
const postFiles = (copy: ProjectCopy) => readdirSync(path.join(copy.root, "posts")).filter((name) => name.endsWith(".md"));

describe("a chain that cannot be read to its end", () => {
  it("one unreachable next_node: the pages before it are imported and named; served again, the same command imports the rest", {
    timeout: TIMEOUT,
  }, async () => {
    const copy = emptySite();
    const feed = `${server.base}/chain/1.xml`;
    const first = await importing(copy, [feed]);
    expect(first.code).toBe(1);
    expect(first.stderr.trim().split("\n")).toEqual([
      `npm run import: not everything was imported: page 3 of the feed (${server.base}/chain/3.xml, linked from ${server.base}/chain/2.xml) cannot be read: ${server.base}/chain/3.xml answered HTTP 404 (the rest: npm run import -- ${server.base}/chain/3.xml)`,
    ]);
    expect(first.stdout).toContain("Posts: 4 posts imported into posts/ (4 kept the old guid as id, 0 got the next free id), 0 already imported, 0 skipped.");
    expect(first.stdout).toContain(`Not read: page 3 of the feed (${server.base}/chain/3.xml, linked from`);
    expect(first.stdout).toContain(`To import the rest: npm run import -- ${server.base}/chain/3.xml`);
    expect(postFiles(copy)).toHaveLength(4);

    server.routes.set("/chain/3.xml", page(server.base, 1, 2));
    const again = await importing(copy, [feed]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Posts: 2 posts imported into posts/ (2 kept the old guid as id, 0 got the next free id), 4 already imported, 0 skipped.");
    expect(again.stdout).not.toContain("Not read");
    expect(postFiles(copy)).toHaveLength(6);
    server.routes.delete("/chain/3.xml");
  });

  it("--max-pages 1 imports page 1 and names the next; importing from that page completes it; nothing twice", { timeout: TIMEOUT }, async () => {
    server.routes.set("/chain/3.xml", page(server.base, 1, 2));
    const copy = emptySite();
    const feed = `${server.base}/chain/1.xml`;
    const one = await importing(copy, [feed, "--max-pages", "1"]);
    expect(one.stderr).toBe("");
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`Read 1 page of ${feed} (an Open Microblog feed, 2 items).`);
    expect(one.stdout).toContain("Posts: 2 posts imported into posts/");
    expect(one.stdout).toContain("Not read: the feed has more than 1 page (--max-pages 1). The 1 page before it are imported.");
    expect(one.stdout).toContain(`To import the rest: npm run import -- ${server.base}/chain/2.xml`);
    const rest = await importing(copy, [`${server.base}/chain/2.xml`]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain("Posts: 4 posts imported into posts/ (4 kept the old guid as id, 0 got the next free id), 0 already imported");
    const whole = await importing(copy, [feed]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toContain("Posts: 0 posts imported into posts/ (0 kept the old guid as id, 0 got the next free id), 6 already imported, 0 skipped.");
    expect(postFiles(copy)).toHaveLength(6);
    server.routes.delete("/chain/3.xml");
  });
});

describe("an endless chain of big pages: bounded, one line, never a stack trace", () => {
  it("the item cap: reading stops before the page that would pass it; the pages before it are imported", { timeout: TIMEOUT }, async () => {
    const copy = emptySite();
    const result = await importing(copy, [`${server.base}/endless/1.xml`, "--max-items", "2000"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      `npm run import: not everything was imported: page 5 of the feed (${server.base}/endless/5.xml) is left out: one run reads at most 2,000 items, and ${server.base}/endless/5.xml would make 2,500 items (the rest: npm run import -- ${server.base}/endless/5.xml)`,
    ]);
    expect(result.stdout).toContain("Posts: 2,000 posts imported into posts/");
    expect(postFiles(copy)).toHaveLength(2000);
    expect(server.hits.get("/endless/6.xml")).toBeUndefined();
  });

  it("memory: under a 160 MB heap, 4 MiB pages without end stop at the cap with one line (no page's text is kept)", { timeout: TIMEOUT }, async () => {
    const copy = emptySite();
    // 60 pages of 4 MiB: 240 MiB of text if the pages were kept.
    const result = await importing(copy, [`${server.base}/huge/1.xml`, "--max-items", "60"], { NODE_OPTIONS: "--max-old-space-size=160" });
    expect(result.stderr).not.toMatch(/heap| {4}at /i);
    expect(result.stderr.trim().split("\n")).toEqual([
      `npm run import: not everything was imported: page 61 of the feed (${server.base}/huge/61.xml) is left out: one run reads at most 60 items, and ${server.base}/huge/61.xml would make 61 items (the rest: npm run import -- ${server.base}/huge/61.xml)`,
    ]);
    expect(result.code).toBe(1);
    expect(postFiles(copy)).toHaveLength(60);
  });
});
