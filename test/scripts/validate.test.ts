/**
 * `npm run validate` (scripts/validate.ts) as a user runs it: on Skein's own build (the example site,
 * built by the real CLI with small page limits so there are archives and list pages) read from disk
 * and over HTTP -- zero problems, exit 0 -- and on broken feeds: exit 1, each problem on one line with
 * page, line, column and spec section; --json carries the same report.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import type { ValidationReport } from "../../lib/validate/validate-feed.ts";
import { readTree, runBuildCli, runScript } from "../support/cli.ts";
import { type FeedServer, serveFeeds } from "../validate/support/serve.ts";

const TIMEOUT = 90_000;
const LIMITS = { SKEIN_FEED_MAX_ITEMS: "2" };
let project: ProjectCopy;
let server: FeedServer;

beforeAll(async () => {
  project = createProjectCopy();
  server = await serveFeeds();
});
afterAll(async () => {
  project.cleanup();
  await server.close();
});

describe("npm run validate on Skein's own build", () => {
  it("from disk (a build folder) and over HTTP: every page read, zero problems, exit 0", { timeout: TIMEOUT }, async () => {
    const build = await runBuildCli(project.root, [], LIMITS);
    expect(build.code).toBe(0);
    const disk = await runScript(project.root, "scripts/validate.ts", ["_site"]);
    expect(disk.stderr).toBe("");
    expect(disk.code).toBe(0);
    expect(disk.stdout).toBe("Checked 3 feed pages (6 items) and 3 list pages: 0 errors, 0 warnings, 0 notes.\nValid Open Microblog 0.5 (no errors).\n");

    const json = await runScript(project.root, "scripts/validate.ts", ["_site/feed.xml", "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as ValidationReport;
    expect(report.valid).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.pages.map((p) => p.label)).toEqual([
      "_site/feed.xml",
      "_site/feed/2.xml",
      "_site/feed/1.xml",
      "_site/follows.xml",
      "_site/follows/1.xml",
      "_site/blocks.xml",
    ]);

    // A list feed given itself is read with the list layout's rules (its archive from disk too).
    const follows = await runScript(project.root, "scripts/validate.ts", ["_site/follows.xml"]);
    expect(follows.stderr).toBe("");
    expect(follows.code).toBe(0);
    expect(follows.stdout).toBe(
      `A follows or blocks list feed, checked with the list layout's rules (spec "Alternate Feed Layout"): 2 list pages (3 entries): 0 errors, 0 warnings, 0 notes.\nValid Open Microblog 0.5 (no errors).\n`,
    );

    // The same build served at another address: SKEIN_URL makes its links point there.
    const served = await runBuildCli(project.root, ["--out", "served"], { ...LIMITS, SKEIN_URL: `${server.base}/wren` });
    expect(served.code).toBe(0);
    for (const [file, bytes] of readTree(path.join(project.root, "served")))
      if (file.endsWith(".xml")) server.routes.set(`/wren/${file}`, new Uint8Array(bytes));
    const http = await runScript(project.root, "scripts/validate.ts", [`${server.base}/wren/feed.xml`]);
    expect(http.stderr).toBe("");
    expect(http.code).toBe(0);
    expect(http.stdout).toContain("Checked 3 feed pages (6 items) and 3 list pages: 0 errors, 0 warnings, 0 notes.");
  });
});

describe("npm run validate on broken feeds", () => {
  it("exit 1; each problem on one line: severity, page:line:column, message, [spec section]", { timeout: TIMEOUT }, async () => {
    server.routes.set(
      "/broken/feed.xml",
      `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:microblog="http://openmicroblog.com/">
  <channel>
    <microblog:username>broken</microblog:username>
    <microblog:user_id>b-1</microblog:user_id>
    <microblog:profile>${server.base}/broken/</microblog:profile>
    <link>${server.base}/broken/feed.xml</link>
    <language>en</language>
    <lastBuildDate>Sat, 16 May 2015 21:32:15 +0000</lastBuildDate>
    <item>
      <guid isPermaLink="false">one</guid>
      <pubDate>Sat, 16 May 2015 21:32:15 +0000</pubDate>
      <description><![CDATA[<p>hi</p>]]></description>
    </item>
  </channel>
</rss>
`,
    );
    const result = await runScript(project.root, "scripts/validate.ts", [`${server.base}/broken/feed.xml`]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toContain(
      `error   ${server.base}/broken/feed.xml:11:7  <guid> "one" is not an integer (the spec: a unique, incrementing integer starting from 0)  [Main Feed Layout › Required Item Elements]`,
    );
    expect(lines.at(-1)).toBe("Not valid: fix the errors above.");
    expect(lines.at(-2)).toMatch(/^Checked 1 feed page \(1 item\) and 0 list pages: 1 error, 0 warnings, 2 notes\.$/);

    const json = JSON.parse((await runScript(project.root, "scripts/validate.ts", [`${server.base}/broken/feed.xml`, "--json"])).stdout) as ValidationReport;
    expect(json.valid).toBe(false);
    expect(json.counts).toEqual({ error: 1, warning: 0, note: 2 });
    expect(json.problems[0]).toMatchObject({ severity: "note", line: 3, section: "RSS 2.0" });
  });

  it("what cannot be checked at all is one error, never a stack trace; wrong arguments exit 2", { timeout: TIMEOUT }, async () => {
    const down = await runScript(project.root, "scripts/validate.ts", ["http://127.0.0.1:1/feed.xml"]);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^error {3}http:\/\/127\.0\.0\.1:1\/feed\.xml {2}the feed cannot be read: .*could not be fetched \(fetch failed: bad port\)/);
    expect(`${down.stdout}${down.stderr}`).not.toMatch(/\n\s+at /);
    const missing = await runScript(project.root, "scripts/validate.ts", ["no/such/feed.xml"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("npm run validate: no/such/feed.xml: no such file\n");
    expect((await runScript(project.root, "scripts/validate.ts", [])).code).toBe(2);
    expect((await runScript(project.root, "scripts/validate.ts", ["ftp://x.example/feed.xml"])).stderr).toContain("only http(s) URLs and local paths");
  });
});
