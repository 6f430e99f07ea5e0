/**
 * lib/validate/validate-feed.ts over real HTTP (a loopback server, the real guarded fetch): whole
 * chains and their list feeds. Skein's own paginated site validates with no problem; each chain rule
 * then has a broken chain that must be reported: a loop (also through a redirect), a next_node that
 * cannot be read or is no URL, a file: link from the web, guids used twice or not incrementing across
 * pages, relocate on an archive, <link> not the head, prev-archive against next_node, a list count
 * that does not match, an archive given as the start, too many pages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSiteFiles, fixedDate, listYaml, type PostSpec, person, profileYaml } from "../../lib/harness/factories.ts";
import { Budget } from "../../lib/shared/budget.ts";
import { createPageLoader } from "../../lib/validate/page-loader.ts";
import type { Problem, Severity } from "../../lib/validate/problems.ts";
import { type ValidationReport, validateFeed } from "../../lib/validate/validate-feed.ts";
import { type FeedServer, serveFeeds } from "./support/serve.ts";
import { specShapedSite } from "./support/spec-shaped.ts";

let server: FeedServer;
beforeAll(async () => {
  server = await serveFeeds();
});
afterAll(() => server.close());

const POSTS: PostSpec[] = Array.from({ length: 7 }, (_, i) => ({ date: fixedDate(i), body: `Post ${i}.\n` }));

/** A Skein site served under /<name>/ of the test server: its files (permalink -> XML) to break. */
function skeinSite(name: string, posts: PostSpec[] = POSTS): Map<string, string> {
  const url = `${server.base}/${name}`;
  const files = buildSiteFiles(
    { profile: profileYaml({ url, public_blocks: true }), follows: listYaml([person(0), person(1), person(2)]), blocks: listYaml([person(7)]), posts },
    { feedLimits: { maxItems: 2, maxBytes: 50_000, headerReserveBytes: 4000 } },
  );
  return files;
}

function publish(name: string, files: Map<string, string>): string {
  for (const [permalink, xml] of files) server.routes.set(`/${name}${permalink}`, xml);
  return `${server.base}/${name}/feed.xml`;
}

async function validate(url: string, maxPages = 100): Promise<ValidationReport> {
  const loader = createPageLoader({
    fetch,
    allowLoopback: true,
    budget: new Budget({ subrequests: 1000, bytes: 64 * 1024 * 1024, durationMs: 60_000 }, Date.now),
    maxPageBytes: 8 * 1024 * 1024,
    timeoutMs: 5000,
    maxRedirects: 3,
  });
  return validateFeed(url, { loader, maxPages });
}

function only(report: ValidationReport, severity: Severity, message: RegExp): Problem {
  const found = report.problems.filter((p) => p.severity === severity && message.test(p.message));
  expect(found, JSON.stringify(report.problems, null, 1)).toHaveLength(1);
  return found[0]!;
}

const edit = (files: Map<string, string>, permalink: string, from: string | RegExp, to: string) => {
  const before = files.get(permalink)!;
  const after = before.replace(from, to);
  expect(after, `${String(from)} in ${permalink}`).not.toBe(before);
  files.set(permalink, after);
};

describe("a whole feed", () => {
  it("Skein's own site: every page of the feed and both lists read, no problem at all", async () => {
    const report = await validate(publish("good", skeinSite("good")));
    expect(report.problems).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.pages.map((p) => [p.kind, p.url.replace(server.base, ""), p.items])).toEqual([
      ["main", "/good/feed.xml", 1],
      ["main", "/good/feed/3.xml", 2],
      ["main", "/good/feed/2.xml", 2],
      ["main", "/good/feed/1.xml", 2],
      ["list", "/good/follows.xml", 1],
      ["list", "/good/follows/1.xml", 2],
      ["list", "/good/blocks.xml", 1],
    ]);
  });

  it("the spec's sample layout, filled in: no error; notes for its spellings; the relocate note", async () => {
    const files = specShapedSite(`${server.base}/spec`);
    files["/feed.xml"] = files["/feed.xml"]!.replace(
      "<microblog:blocks",
      `<microblog:relocate>${server.base}/new/feed.xml</microblog:relocate>\n\t\t<microblog:blocks`,
    );
    const report = await validate(publish("spec", new Map(Object.entries(files))));
    expect(report.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.counts.note).toBeGreaterThan(5);
    only(report, "note", /this account has moved to .*\/new\/feed\.xml/);
    expect(report.pages).toHaveLength(4);
  });
});

describe("chain rules (spec 'Feed Paging')", () => {
  it("a next_node back to an earlier page: a loop, reported where the link is", async () => {
    const files = skeinSite("loop");
    edit(files, "/feed/1.xml", "</link>", `</link>\n    <microblog:next_node>${server.base}/loop/feed/3.xml</microblog:next_node>`);
    const report = await validate(publish("loop", files));
    const loop = only(report, "error", /next_node points back to .*\/loop\/feed\/3\.xml, page 2 of the feed chain: the chain has a loop/);
    expect(loop.page).toBe(`${server.base}/loop/feed/1.xml`);
    expect(loop.line).toBeGreaterThan(1);
    expect(report.valid).toBe(false);
    // Each page was read once: the walk stopped at the loop.
    expect(server.hits.get("/loop/feed/3.xml")).toBe(1);
  });

  it("a loop through a redirect", async () => {
    const files = skeinSite("redirect-loop");
    edit(files, "/feed/1.xml", "</link>", `</link>\n    <microblog:next_node>${server.base}/elsewhere.xml</microblog:next_node>`);
    server.routes.set("/elsewhere.xml", { status: 301, headers: { Location: `${server.base}/redirect-loop/feed/2.xml` } });
    only(await validate(publish("redirect-loop", files)), "error", /points back to .*\/redirect-loop\/feed\/2\.xml/);
  });

  it("a next_node that answers 404, one that is not a URL, one that is a local file", async () => {
    const gone = skeinSite("gone");
    gone.delete("/feed/2.xml");
    const missing = only(await validate(publish("gone", gone)), "error", /next_node .*\/gone\/feed\/2\.xml cannot be read: .* answered HTTP 404/);
    expect(missing.page).toBe(`${server.base}/gone/feed/3.xml`);

    const bad = skeinSite("badlink");
    edit(bad, "/feed.xml", /<microblog:next_node>[^<]+/, "<microblog:next_node>http://[bad");
    const report = await validate(publish("badlink", bad));
    only(report, "error", /next_node "http:\/\/\[bad" is not a URL/);

    const file = skeinSite("filelink");
    edit(file, "/feed.xml", /<microblog:next_node>[^<]+/, "<microblog:next_node>file:///etc/passwd");
    only(await validate(publish("filelink", file)), "error", /is a local file, linked from a page on the web \(refused\)/);
  });

  it("more pages than allowed: a warning, the rest unchecked", async () => {
    const report = await validate(publish("many", skeinSite("many")), 2);
    only(report, "warning", /stopped after 2 feed pages/);
    expect(report.pages.filter((p) => p.kind === "main")).toHaveLength(2);
  });

  it("the start is an archive page: a warning", async () => {
    publish("archive-start", skeinSite("archive-start"));
    only(await validate(`${server.base}/archive-start/feed/2.xml`), "warning", /marked as an archive/);
  });

  it("prev-archive and next_node pointing at different pages: a warning", async () => {
    const files = skeinSite("rfc5005");
    edit(
      files,
      "/feed.xml",
      /rel="prev-archive" type="application\/rss\+xml" href="[^"]+"/,
      `rel="prev-archive" type="application/rss+xml" href="${server.base}/x.xml"`,
    );
    only(await validate(publish("rfc5005", files)), "warning", /prev-archive.* and next_node .* point at different pages/);
  });

  it("<link> that is not the head: on the head, and on an archive", async () => {
    const files = skeinSite("links");
    edit(files, "/feed/2.xml", /<link>[^<]+<\/link>/, "<link>https://elsewhere.example/feed.xml</link>");
    const report = await validate(publish("links", files));
    expect(only(report, "warning", /on every page it should be the head's/).page).toBe(`${server.base}/links/feed/2.xml`);
    const moved = await validate(`${server.base}/links/feed/2.xml`);
    only(moved, "warning", /<link> is https:\/\/elsewhere\.example\/feed\.xml, but this page was read from/);
  });
});

describe("guids across the chain (spec 'Required Item Elements')", () => {
  it("a guid used on two pages: an error at the second, naming the first", async () => {
    const files = skeinSite("dup");
    edit(files, "/feed/1.xml", '<guid isPermaLink="false">0</guid>', '<guid isPermaLink="false">4</guid>');
    const report = await validate(publish("dup", files));
    const dup = only(report, "error", /guid 4 is used twice: also at .*\/dup\/feed\/3\.xml, line \d+/);
    expect(dup.page).toBe(`${server.base}/dup/feed/1.xml`);
  });

  it("a newer post with a smaller guid: not incrementing", async () => {
    const files = skeinSite("order");
    edit(files, "/feed.xml", '<guid isPermaLink="false">6</guid>', '<guid isPermaLink="false">60</guid>');
    edit(files, "/feed/3.xml", '<guid isPermaLink="false">5</guid>', '<guid isPermaLink="false">61</guid>');
    const report = await validate(publish("order", files));
    const problem = only(report, "error", /guid 60 is smaller than guid 61 of an older item/);
    expect(problem.page).toBe(`${server.base}/order/feed.xml`);
  });

  it("relocate on an archive page: an error on that page", async () => {
    const files = skeinSite("reloc");
    edit(files, "/feed/2.xml", "<docs>", "<microblog:relocate>https://new.example/feed.xml</microblog:relocate>\n    <docs>");
    expect(only(await validate(publish("reloc", files)), "error", /on a page that is not the head/).page).toBe(`${server.base}/reloc/feed/2.xml`);
  });
});

describe("the list feeds the head links", () => {
  it("are walked as chains with the list rules; a count that does not match is a warning; one that cannot be read an error", async () => {
    const files = skeinSite("lists");
    edit(files, "/feed.xml", '<microblog:follows count="3">', '<microblog:follows count="5">');
    edit(files, "/follows/1.xml", /<microblog:user_name>friend_0<\/microblog:user_name>/, "");
    files.delete("/blocks.xml");
    const report = await validate(publish("lists", files));
    only(report, "warning", /count="5"> but the follows list holds 3 entries/);
    expect(only(report, "error", /<item> has no <microblog:user_name>/).page).toBe(`${server.base}/lists/follows/1.xml`);
    only(report, "error", /the blocks feed cannot be read: .*answered HTTP 404/);
  });
});

describe("a list feed given as the start (spec 'Alternate Feed Layout')", () => {
  it("Skein's own follows and blocks lists, paginated or empty: read with the list rules, no problem at all", async () => {
    const files = skeinSite("own-lists");
    publish("own-lists", files);
    const follows = await validate(`${server.base}/own-lists/follows.xml`);
    expect(follows.problems).toEqual([]);
    expect(follows.layout).toBe("list");
    expect(follows.pages.map((p) => [p.kind, p.url.replace(server.base, ""), p.items])).toEqual([
      ["list", "/own-lists/follows.xml", 1],
      ["list", "/own-lists/follows/1.xml", 2],
    ]);
    expect((await validate(`${server.base}/own-lists/blocks.xml`)).problems).toEqual([]);
    const empty = buildSiteFiles({ profile: profileYaml({ url: `${server.base}/no-lists` }), follows: listYaml([]), posts: POSTS });
    expect(empty.get("/follows.xml")).not.toContain("<item>");
    const none = await validate(publish("no-lists", empty).replace("feed.xml", "follows.xml"));
    expect([none.layout, none.problems]).toEqual(["list", []]);
  });

  it("a broken list gets the list layout's errors, none of the main feed's", async () => {
    const files = skeinSite("bad-list");
    edit(files, "/follows.xml", /<microblog:user_name>[^<]+<\/microblog:user_name>/, "");
    edit(files, "/follows/1.xml", /<microblog:user_link>[^<]+<\/microblog:user_link>/, "<microblog:user_link>not a url</microblog:user_link>");
    publish("bad-list", files);
    const report = await validate(`${server.base}/bad-list/follows.xml`);
    expect(report.layout).toBe("list");
    expect(report.problems.map((p) => [p.severity, p.page.replace(server.base, ""), p.section, p.message])).toEqual([
      ["error", "/bad-list/follows.xml", "Alternate Feed Layout › Required Item Elements", "<item> has no <microblog:user_name>"],
      [
        "error",
        "/bad-list/follows/1.xml",
        "Alternate Feed Layout › Required Item Elements",
        '<microblog:user_link> "not a url" is not an absolute http(s) URL',
      ],
    ]);
  });
});

describe("128-bit guids", () => {
  it("are compared exactly and printed as written, never as floats", async () => {
    // Two guids that are one apart: as floats (Number) both are 5.72e+37 and would collide.
    const big = "57200000000000000000000000000000000001";
    const files = skeinSite("big");
    edit(files, "/feed.xml", '<guid isPermaLink="false">6</guid>', `<guid isPermaLink="false">${big}</guid>`);
    edit(files, "/feed/3.xml", '<guid isPermaLink="false">5</guid>', `<guid isPermaLink="false">${big.replace(/1$/, "2")}</guid>`);
    edit(files, "/feed/3.xml", '<guid isPermaLink="false">4</guid>', `<guid isPermaLink="false">${big.replace(/1$/, "0")}</guid>`);
    const report = await validate(publish("big", files));
    const messages = (r: ValidationReport) => r.problems.map((p) => p.message.replace(/line \d+/, "line N"));
    expect(messages(report)).toEqual([
      `guid ${big} is smaller than guid ${big.replace(/1$/, "2")} of an older item (${server.base}/big/feed/3.xml, line N): guids increment with time`,
    ]);
    expect(JSON.stringify(report)).not.toMatch(/e\+37/);
    edit(files, "/feed/1.xml", '<guid isPermaLink="false">0</guid>', `<guid isPermaLink="false">${big}</guid>`);
    const twice = await validate(publish("big", files));
    only(twice, "error", /is used twice/);
    expect(messages(twice)).toContain(`guid ${big} is used twice: also at ${server.base}/big/feed.xml, line N (a guid is unique)`);
  });
});

describe("what is not a feed", () => {
  it("an RSS 0.91 feed with Netscape's DOCTYPE is named as what it is", async () => {
    server.routes.set("/rss091.xml", {
      headers: { "Content-Type": "text/xml" },
      body: `<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>WriteTheWeb</title><link>http://writetheweb.com</link><description>News</description>
<language>en-us</language><item><title>A pluggable Gnutella</title><link>http://writetheweb.com/read.php?item=24</link></item></channel></rss>`,
    });
    const report = await validate(`${server.base}/rss091.xml`);
    expect(report.problems).toEqual([
      {
        severity: "error",
        page: `${server.base}/rss091.xml`,
        line: 2,
        column: 1,
        section: "RSS 2.0",
        message:
          'this is an RSS 0.91 feed (DOCTYPE "-//Netscape Communications//DTD RSS 0.91//EN"), not an Open Microblog feed: Open Microblog is RSS 2.0 (<rss version="2.0">, no DOCTYPE) with the microblog namespace\'s user_id, username and profile',
      },
    ]);
  });

  it("an unreachable start, an HTML page, a page over the size cap: one error each, nothing else", async () => {
    const unreachable = await validate("http://127.0.0.1:1/feed.xml");
    expect(unreachable.problems).toHaveLength(1);
    only(unreachable, "error", /the feed cannot be read: .*could not be fetched \(fetch failed: bad port\)/);
    server.routes.set("/page.html", { headers: { "Content-Type": "text/html" }, body: "<!doctype html><html><body>hi</body></html>" });
    only(await validate(`${server.base}/page.html`), "error", /not well-formed XML|root element is <html>/);
    server.routes.set("/huge.xml", { body: '<rss version="2.0"><channel>', endless: 9 * 1024 * 1024 });
    only(await validate(`${server.base}/huge.xml`), "error", /is larger than 8388608 bytes/);
  });
});
