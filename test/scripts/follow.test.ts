/**
 * npm run follow / unfollow as a user runs them, in a project copy, against a real loopback server
 * serving feeds and pages built by our own builder (and a few things that are not Open Microblog
 * feeds): the feed found from a profile page, the entry appended at the END of follows.yaml with every
 * other byte kept, duplicates and non-Open-Microblog feeds refused in one line with the file untouched,
 * a relocation or 301 followed, and the edited file still building; list feeds refused, and an
 * account followed at another URL moved only when that old feed says so (spec "Relocation"). Most
 * cases call the command's main() in this process (the same code and output); a few run the real
 * command line for its one-line errors and exit codes.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CliError } from "../../lib/cli/run.ts";
import { buildSiteInMemory, listYaml, postFile, profileYaml, siteSources } from "../../lib/harness/factories.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { buildSite } from "../../lib/publish/site.ts";
import { main as followMain } from "../../scripts/follow.ts";
import { runScript } from "../support/cli.ts";

const OWN = { username: "ada", user_id: "3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10" };
const BOB = { username: "bob", user_id: "0b0b0000-0000-4000-8000-000000000b0b", full_name: "Bob B." };
const CARL = { username: "carl", user_id: "ca410000-0000-4000-8000-0000000ca41c" };
const DANA = { username: "dana", user_id: "da4a0000-0000-4000-8000-0000000da4a0" };
/** Built as "zoe" (our own usernames are ASCII), served as "zoë": other services allow any letters. */
const ZOE = { username: "zoe", user_id: "20e00000-0000-4000-8000-00000000020e", full_name: "Zoë Ångström" };
const MALLORY = { username: "mallory", user_id: "b10c0000-0000-4000-8000-00000000b10c" };

const FOLLOWS = `# Accounts you follow. Add new ones at the END.
# (a second comment line, kept)
- user_id: 11110000-0000-4000-8000-000000001111
  username: first
  user_link: "https://first.example/feed.xml"   # quoted on purpose
  since: 2026-01-03T10:00:00Z

# Dana moved since; this entry still has her old feed.
- user_id: ${DANA.user_id}
  username: dana
  user_link: OLD_DANA
  since: 2026-01-20T18:30:00Z
`;

let server: http.Server;
let base = "";
let project: ProjectCopy;
const files = new Map<string, { body: Buffer | string; type: string; status?: number; location?: string }>();

function siteFiles(
  person: { username: string; user_id: string; full_name?: string },
  prefix: string,
  extra: Record<string, unknown> = {},
  lists: { follows?: string; blocks?: string } = {},
) {
  const url = `${base}${prefix}`;
  const built = buildSiteInMemory(
    {
      profile: profileYaml({ ...person, url, ...extra }),
      posts: [postFile({ id: 0, date: Date.UTC(2026, 1, 1), body: `Hello from ${person.username}.` })],
      ...lists,
    },
    { urlOverride: url },
  );
  for (const [permalink, xml] of built.xml) files.set(`${prefix}${permalink}`, { body: xml, type: "application/rss+xml; charset=utf-8" });
  // A real page of the site: its <head> links the feed with rel="alternate".
  files.set(`${prefix}/`, { body: built.stableHtml.get("/posts/0/")!, type: "text/html; charset=utf-8" });
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const requested = new URL(req.url ?? "/", "http://x").pathname;
    // A trailing slash after a file name is served as the file, as many servers do.
    const entry = files.get(requested) ?? files.get(requested.replace(/\/$/, ""));
    if (!entry) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      return res.end("not found");
    }
    res.writeHead(entry.status ?? 200, { "Content-Type": entry.type, ...(entry.location ? { Location: entry.location } : {}) });
    res.end(entry.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  siteFiles(BOB, "/bob");
  siteFiles(CARL, "/carl");
  siteFiles(DANA, "/dana");
  siteFiles(DANA, "/dana-old", { relocate: `${base}/dana/feed.xml` });
  siteFiles(MALLORY, "/mallory");
  // Bob's posts copied to a second URL under his user_id: the copy says nothing about moving.
  siteFiles(BOB, "/bob-copy");
  // Lists of accounts (spec "Alternate Feed Layout"): the same channel elements as a person's feed.
  const listed = (who: { user_id: string; username: string }) =>
    listYaml([{ user_id: who.user_id, username: who.username, user_link: `${base}/${who.username}/feed.xml` }]);
  siteFiles(CARL, "/lists", { public_blocks: true }, { follows: listed(BOB), blocks: listed(MALLORY) });
  siteFiles(DANA, "/empty-lists", {}, { follows: listYaml([]) });
  // A feed whose relocate names another account's feed: not a move.
  siteFiles(ZOE, "/zoe-old", { relocate: `${base}/bob/feed.xml` });
  siteFiles(OWN, "/me");
  siteFiles(ZOE, "/zoe");
  const latin1 = files.get("/zoe/feed.xml")!.body as string;
  const zoe = latin1.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("<microblog:username>zoe<", "<microblog:username>zoë<");
  files.set("/zoe/feed.xml", { body: Buffer.from(zoe, "latin1"), type: "application/rss+xml" });
  files.set("/moved/feed.xml", { body: "", type: "text/plain", status: 301, location: "/carl/feed.xml" });
  files.set("/plain.xml", {
    body: '<?xml version="1.0"?><rss version="2.0"><channel><title>A blog</title><item><guid>1</guid><description>hi</description></item></channel></rss>',
    type: "application/rss+xml",
  });
  files.set("/nolink/", { body: "<!doctype html><html><head><title>No feed here</title></head><body>hello</body></html>", type: "text/html" });
  files.set("/garbage", { body: "this is not xml at all", type: "application/octet-stream" });
  files.set("/huge.xml", { body: Buffer.alloc(3 * 1024 * 1024, 0x20), type: "application/rss+xml" });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  project?.cleanup();
  project = createProjectCopy({
    profile: profileYaml({ ...OWN, url: `${base}/me` }),
    follows: FOLLOWS.replace("OLD_DANA", `${base}/dana-old/feed.xml`),
    blocks: listYaml([{ ...MALLORY, user_link: `${base}/mallory/feed.xml` }].map(({ user_id, username, user_link }) => ({ user_id, username, user_link }))),
    posts: {},
  });
});

afterAll(() => project?.cleanup());

const followsText = () => readFileSync(path.join(project.root, "site/_data/follows.yaml"), "utf8");
const follow = (...args: string[]) => runScript(project.root, "scripts/follow.ts", args);
const unfollow = (...args: string[]) => runScript(project.root, "scripts/unfollow.ts", args);

/** The same command in this process (no tsx start-up): what runCommand would print and exit with. */
async function followHere(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const lines: string[] = [];
  const stdout = () => lines.map((line) => `${line}\n`).join("");
  try {
    await followMain(args, project.root, (line) => lines.push(line));
    return { code: 0, stdout: stdout(), stderr: "" };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { code: 1, stdout: stdout(), stderr: `npm run follow: ${error.message}\n` };
  }
}
const SINCE = "2026-03-01T12:00:00Z";

/** The follows file builds with the build's own checks (entries, duplicates). */
function builds(text: string): string[] {
  return buildSite(siteSources({ profile: profileYaml(OWN), follows: text })).follows.map((entry) => entry.username);
}

function expectOneLineError(result: { code: number; stdout: string; stderr: string }, code: number, pattern: RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at |node:internal/);
  if (code === 1) expect(result.stderr.trim().split("\n")).toHaveLength(1);
}

describe("npm run follow", { timeout: 60_000 }, () => {
  it("appends a feed's account at the end, keeping every other byte of follows.yaml", async () => {
    const before = followsText();
    const result = await follow(`${base}/bob/feed.xml`, "--since", SINCE);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `Following @bob (Bob B.) at ${base}/bob/feed.xml: added to site/_data/follows.yaml (entry 3). Publish it: commit and git push (npm start picks it up now).\n`,
    );
    expect(followsText()).toBe(`${before}- user_id: ${BOB.user_id}\n  username: bob\n  user_link: ${base}/bob/feed.xml\n  since: ${SINCE}\n`);
    expect(builds(followsText())).toEqual(["first", "dana", "bob"]);
  });

  it("finds the feed of a profile page through <link rel=alternate type=application/rss+xml>", async () => {
    const result = await followHere(`${base}/carl/`, "--since", SINCE, "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      action: "added",
      entry: 3,
      user_id: CARL.user_id,
      username: "carl",
      name: null,
      user_link: `${base}/carl/feed.xml`,
      notes: [`found the feed ${base}/carl/feed.xml on the page ${base}/carl/`],
    });
    expect(followsText()).toContain(`  user_link: ${base}/carl/feed.xml\n`);
  });

  it("records where a 301 leads", async () => {
    const result = await followHere(`${base}/moved/feed.xml`, "--since", SINCE);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`moved permanently to ${base}/carl/feed.xml`);
    expect(followsText()).toContain(`  user_link: ${base}/carl/feed.xml\n`);
  });

  it("reads a feed in ISO-8859-1 (a username in any script)", async () => {
    const result = await followHere(`${base}/zoe/feed.xml`, "--since", SINCE);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Following @zoë (Zoë Ångström)");
    expect(builds(followsText())).toEqual(["first", "dana", "zoë"]);
  });

  it("follows a relocation, and updates the entry of an account already followed at its old URL, in place", async () => {
    const before = followsText();
    const result = await followHere(`${base}/dana-old/feed.xml`, "--since", SINCE);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`relocated to ${base}/dana/feed.xml (<microblog:relocate>)`);
    expect(result.stdout).toContain(`Updated @dana in site/_data/follows.yaml (entry 2): user_link ${base}/dana-old/feed.xml -> ${base}/dana/feed.xml`);
    expect(followsText()).toBe(before.replace(`${base}/dana-old/feed.xml`, `${base}/dana/feed.xml`));
  });

  it("moves an entry to the URL its old feed relocates or permanently redirects to; refuses when the old feed says no such thing", async () => {
    // Dana's entry is at dana-old, whose head says <microblog:relocate> .../dana/feed.xml.
    const before = followsText();
    const moved = await followHere(`${base}/dana/feed.xml`, "--since", SINCE);
    expect(moved.stderr).toBe("");
    expect(moved.stdout).toContain(`${base}/dana-old/feed.xml says the account moved to ${base}/dana/feed.xml`);
    expect(moved.stdout).toContain(`Updated @dana in site/_data/follows.yaml (entry 2): user_link ${base}/dana-old/feed.xml -> ${base}/dana/feed.xml`);
    expect(followsText()).toBe(before.replace(`${base}/dana-old/feed.xml`, `${base}/dana/feed.xml`));

    // Carl at a URL that answers 301 to his feed; Bob at a copy that does not say it moved; Zoe at a dead address.
    const entries = [
      { user_id: CARL.user_id, username: "carl", user_link: `${base}/moved/feed.xml` },
      { user_id: BOB.user_id, username: "bob", user_link: `${base}/bob-copy/feed.xml` },
      { user_id: ZOE.user_id, username: "zoe", user_link: "http://127.0.0.1:1/zoe.xml" },
    ];
    project.write("site/_data/follows.yaml", listYaml(entries));
    const carl = await followHere(`${base}/carl/feed.xml`, "--since", SINCE);
    expect(carl.stderr).toBe("");
    expect(carl.stdout).toContain(`Updated @carl in site/_data/follows.yaml (entry 1): user_link ${base}/moved/feed.xml -> ${base}/carl/feed.xml`);
    const afterCarl = followsText();
    expect(afterCarl).toBe(listYaml([{ ...entries[0]!, user_link: `${base}/carl/feed.xml` }, entries[1]!, entries[2]!]));

    const bob = await followHere(`${base}/bob/feed.xml`, "--since", SINCE);
    expectOneLineError(
      bob,
      1,
      /you already follow @bob \(user_id 0b0b0000-0000-4000-8000-000000000b0b\) at .*\/bob-copy\/feed\.xml \(site\/_data\/follows\.yaml entry 2\), and that feed does not say it moved: it has no <microblog:relocate> and no permanent redirect to .*\/bob\/feed\.xml .*unfollow the old feed first \(npm run unfollow -- .*\/bob-copy\/feed\.xml\)$/m,
    );
    const elsewhere = await followHere(`${base}/zoe-old/feed.xml`, "--since", SINCE);
    expectOneLineError(
      elsewhere,
      1,
      /zoe-old\/feed\.xml relocates to .*\/bob\/feed\.xml, which is another account \(user_id 0b0b0000-0000-4000-8000-000000000b0b, not 20e00000-0000-4000-8000-00000000020e\); follow that URL itself if you mean to$/m,
    );
    const zoe = await followHere(`${base}/zoe/feed.xml`, "--since", SINCE);
    expectOneLineError(zoe, 1, /at http:\/\/127\.0\.0\.1:1\/zoe\.xml .* does not say it moved: it cannot be read to confirm a move \(could not fetch/);
    expect(bob.stdout + zoe.stdout + elsewhere.stdout).toBe("");
    expect(followsText()).toBe(afterCarl);
  });

  it("refuses a follows or blocks list feed, given itself or found through a page linking only to it; writes nothing", async () => {
    const before = followsText();
    files.set("/lists-page/", {
      body: `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="${base}/lists/follows.xml"></head><body>lists</body></html>`,
      type: "text/html",
    });
    for (const [url, list] of [
      [`${base}/lists/follows.xml`, `${base}/lists/follows.xml`],
      [`${base}/lists/blocks.xml`, `${base}/lists/blocks.xml`],
      [`${base}/lists-page/`, `${base}/lists/follows.xml`],
      [`${base}/empty-lists/follows.xml`, `${base}/empty-lists/follows.xml`],
    ] as const) {
      // The first through the real command line, the others in this process.
      const result = url === `${base}/lists/follows.xml` ? await follow(url) : await followHere(url);
      const listed = list.replace(/[./]/g, "\\$&");
      expectOneLineError(
        result,
        1,
        new RegExp(
          `${listed} is a follows or blocks list \\(spec "Alternate Feed Layout": its items are accounts, not posts\\), not a person's feed; follow the account's own feed instead`,
        ),
      );
      expect(result.stdout).toBe("");
    }
    expect(followsText()).toBe(before);
  });

  it("refuses an account already followed, by user_id or by the same feed spelled otherwise; the file stays as it was", async () => {
    await followHere(`${base}/bob/feed.xml`, "--since", SINCE);
    const before = followsText();
    const spelledOtherwise = `${base}/bob/feed.xml/#top`;
    for (const url of [`${base}/bob/feed.xml`, spelledOtherwise, `${base}/bob/`]) {
      const result = await followHere(url);
      expectOneLineError(result, 1, /^npm run follow: you already follow @bob at .*\/bob\/feed\.xml \(site\/_data\/follows\.yaml entry 3\); nothing changed$/m);
      expect(followsText()).toBe(before);
    }
  });

  it("refuses what is not an Open Microblog feed, in one line saying why, and writes nothing", async () => {
    const before = followsText();
    const cases: [string, RegExp][] = [
      [`${base}/plain.xml`, /is an RSS feed but not an Open Microblog feed: it has no <microblog:user_id> and no <microblog:username>/],
      [`${base}/nolink/`, /is a web page with no <link rel="alternate" type="application\/rss\+xml"> to a feed; give the feed's URL instead/],
      [`${base}/garbage`, /is not an RSS feed \(text before the first element/],
      [`${base}/huge.xml`, /is larger than 2 MB/],
      [`${base}/missing.xml`, /answered HTTP 404/],
      ["http://127.0.0.1:1/feed.xml", /could not fetch http:\/\/127\.0\.0\.1:1\/feed\.xml/],
      [`${base}/mallory/feed.xml`, /@mallory is in site\/_data\/blocks\.yaml \(entry 1\); follow or block, not both/],
      [`${base}/me/feed.xml`, /is your own feed/],
    ];
    for (const [url, pattern] of cases) {
      // The first through the real command line (one line on stderr, exit 1), the others in this process.
      const result = url === cases[0]![0] ? await follow(url) : await followHere(url);
      expectOneLineError(result, 1, pattern);
      expect(result.stdout).toBe("");
    }
    expect(followsText()).toBe(before);
  });

  it("answers usage errors with the usage (exit 2)", async () => {
    expectOneLineError(await follow(), 2, /which feed\? give its URL/);
    expectOneLineError(await followHere("ftp://x.example/feed.xml"), 1, /not an http\(s\) URL/);
    expectOneLineError(await follow(`${base}/bob/feed.xml`, "--since", "yesterday"), 2, /--since must be an ISO 8601 date with a zone/);
  });

  it("creates follows.yaml (with its header comment) when there is none", async () => {
    project.remove("site/_data/follows.yaml");
    const result = await followHere(`${base}/bob/feed.xml`, "--since", SINCE);
    expect(result.code).toBe(0);
    expect(followsText()).toMatch(/^# Accounts you follow\. Add new ones at the END/);
    expect(builds(followsText())).toEqual(["bob"]);
  });
});

describe("npm run unfollow", { timeout: 60_000 }, () => {
  it("removes the entry named by @username, URL or user_id; comments and the other entries stay", async () => {
    await followHere(`${base}/bob/feed.xml`, "--since", SINCE);
    const withBob = followsText();
    const result = await unfollow("@bob");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `Unfollowed @bob (${base}/bob/feed.xml): removed from site/_data/follows.yaml. Publish it: commit and git push. Their posts already in your timeline stay.\n`,
    );
    expect(followsText()).toBe(withBob.slice(0, withBob.indexOf(`- user_id: ${BOB.user_id}`)));
    expect((await unfollow(`${base.replace("http:", "HTTP:")}/dana-old/feed.xml/`)).code).toBe(0);
    expect((await unfollow("11110000-0000-4000-8000-000000001111")).code).toBe(0);
    expect(followsText()).toBe(
      "# Accounts you follow. Add new ones at the END.\n# (a second comment line, kept)\n\n# Dana moved since; this entry still has her old feed.\n",
    );
    expect(builds(followsText())).toEqual([]);
  });

  it("says so when nothing matches, and changes nothing", async () => {
    const before = followsText();
    expectOneLineError(await unfollow("@nobody"), 1, /no entry in site\/_data\/follows\.yaml is "@nobody"/);
    expectOneLineError(await unfollow(), 2, /give one feed URL, @username or user_id/);
    expect(followsText()).toBe(before);
  });
});
