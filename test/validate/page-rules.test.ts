/**
 * lib/validate/page-rules.ts: one page checked on its own. Skein's own pages (built by lib/publish from
 * factory content) have no problem at all; each rule then has a case that breaks it -- the same page
 * with one thing changed -- and must be reported with its severity, section and line. The spec's two
 * sample feeds (verbatim) give notes for what they do differently and errors only for their empty
 * values; filled in, they have no error.
 */
import { describe, expect, it } from "vitest";
import { buildSiteInMemory, fixedDate, listYaml, person, profileYaml } from "../../lib/harness/factories.ts";
import { checkPage, checkRfc822, type FeedKind, PAGE_MAX_BYTES } from "../../lib/validate/page-rules.ts";
import type { Problem, Severity } from "../../lib/validate/problems.ts";
import { SPEC_LIST_SAMPLE, SPEC_MAIN_SAMPLE } from "../shared/remote-feed-reader/factories.ts";
import { specShapedSite } from "./support/spec-shaped.ts";

const site = buildSiteInMemory(
  {
    profile: profileYaml({ full_name: "Ada", bio: "Bio", public_blocks: true, portrait: "/p.svg" }),
    follows: listYaml([person(0), person(1)]),
    blocks: listYaml([person(5)]),
    posts: [
      { date: fixedDate(0), body: "Hello\n" },
      { date: fixedDate(1), body: "Reply\n", replyTo: { user_id: "u1", user_link: "https://bob.example/feed.xml", status_id: 4 } },
      {
        date: fixedDate(2),
        body: "Repost\n",
        repost: { user_id: "u2", user_link: "https://c.example/feed.xml", status_id: "9", pubdate: fixedDate(-1), text: "Orig" },
      },
    ],
  },
  { feedLimits: { maxItems: 2, maxBytes: 50_000, headerReserveBytes: 4000 } },
);
const HEAD = site.xml.get("/feed.xml")!;
const ARCHIVE = site.xml.get("/feed/1.xml")!;
const FOLLOWS = site.xml.get("/follows.xml")!;

function check(text: string, kind: FeedKind = "main", head = true, encoding = "utf-8"): Problem[] {
  return checkPage({ text, bytes: Buffer.byteLength(text), encoding, page: "p.xml", kind, head }).problems;
}

/** Exactly one problem matching; returned for further checks. */
function only(problems: Problem[], severity: Severity, message: RegExp): Problem {
  const found = problems.filter((p) => p.severity === severity && message.test(p.message));
  expect(found, JSON.stringify(problems, null, 1)).toHaveLength(1);
  return found[0]!;
}

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

function replaced(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  expect(out, `${String(from)} is in the page`).not.toBe(text);
  return out;
}

describe("Skein's own pages", () => {
  it("have no problem at all: head, archive, follows and blocks", () => {
    expect(check(HEAD)).toEqual([]);
    expect(check(ARCHIVE, "main", false)).toEqual([]);
    expect(check(FOLLOWS, "list")).toEqual([]);
    expect(check(site.xml.get("/blocks.xml")!, "list")).toEqual([]);
  });
});

describe("XML and RSS 2.0 basics", () => {
  it("not well-formed: one error with the line and column", () => {
    const broken = replaced(HEAD, "</microblog:username>", "</microblog:user>");
    const problem = only(check(broken), "error", /not well-formed XML: <\/microblog:user> does not match <microblog:username>/);
    expect(problem).toMatchObject({ line: lineOf(HEAD, "<microblog:username>"), section: "XML 1.0" });
    expect(check(broken)).toHaveLength(1);
  });

  it("a DOCTYPE, an unknown entity, an undeclared prefix, a declaration not first", () => {
    only(check(replaced(HEAD, "<rss ", '<!DOCTYPE rss [<!ENTITY x "y">]>\n<rss ')), "error", /<!DOCTYPE> is not allowed/);
    only(check(replaced(HEAD, "<title>Ada (@ada)</title>", "<title>&nbsp;</title>")), "error", /unknown entity &nbsp;/);
    const unbound = only(
      check(replaced(HEAD, "<generator>Skein</generator>", "<dc:creator>ada</dc:creator>")),
      "error",
      /prefix "dc:" is used but never declared/,
    );
    expect(unbound.section).toBe("Namespaces in XML 1.0");
    only(check(` \n${HEAD}`), "error", /before the <\?xml \.\.\.\?> declaration/);
  });

  it("Atom, another root, no version, no channel", () => {
    only(check('<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'), "error", /this is an Atom feed/);
    only(check("<html><body/></html>"), "error", /root element is <html>, not <rss>/);
    only(check(replaced(HEAD, '<rss version="2.0"', "<rss")), "error", /<rss> has no version="2\.0"/);
    only(check('<rss version="2.0"></rss>'), "error", /<rss> has no <channel>/);
  });

  it("not UTF-8: a warning (spec Notes: feeds should be UTF-8)", () => {
    const problem = only(check(HEAD, "main", true, "utf-16le"), "warning", /encoded in utf-16le/);
    expect(problem.section).toBe("Main Feed Layout › Notes");
  });

  it("an element RSS 2.0 does not have, and a microblog element the spec does not have", () => {
    only(check(replaced(HEAD, "<generator>Skein</generator>", "<mood>happy</mood>")), "warning", /<mood> is not an RSS 2.0 element/);
    only(
      check(replaced(HEAD, "<generator>Skein</generator>", "<microblog:mood>happy</microblog:mood>")),
      "warning",
      /<microblog:mood> is not an Open Microblog 0\.5 element/,
    );
  });
});

describe("Main Feed Layout: channel", () => {
  for (const [element, name] of [
    ["<microblog:username>ada</microblog:username>", "microblog:username"],
    ["<microblog:user_id>3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10</microblog:user_id>", "microblog:user_id"],
    ["<microblog:profile>https://ada.example/</microblog:profile>", "microblog:profile"],
    ["<link>https://ada.example/feed.xml</link>", "link"],
    ["<language>en</language>", "language"],
    ["<lastBuildDate>Sat, 03 Jan 2026 09:00:00 +0000</lastBuildDate>", "lastBuildDate"],
  ] as const) {
    it(`required: no <${name}> is an error; an empty one too`, () => {
      const missing = only(check(replaced(HEAD, element, "")), "error", new RegExp(`has no <${name}>`));
      expect(missing.section).toBe("Main Feed Layout › Required Channel Elements");
      const empty = element.replace(/>[^<]+</, "><");
      only(check(replaced(HEAD, element, empty)), "error", new RegExp(`<${name}> is empty`));
    });
  }

  it("username longer than 25 characters; a microblog element without its namespace", () => {
    only(check(replaced(HEAD, ">ada</microblog:username>", `>${"a".repeat(26)}</microblog:username>`)), "error", /longer than 25 characters/);
    const bare = only(
      check(replaced(HEAD, "<microblog:username>ada</microblog:username>", "<username>ada</username>")),
      "error",
      /<username> must be <microblog:username>/,
    );
    expect(bare.line).toBe(lineOf(HEAD, "<microblog:username>"));
  });

  it("URLs: profile and link must be absolute http(s); docs, header and portrait should be", () => {
    only(
      check(replaced(HEAD, "<microblog:profile>https://ada.example/</microblog:profile>", "<microblog:profile>/me</microblog:profile>")),
      "error",
      /<microblog:profile> "\/me" is not an absolute/,
    );
    only(check(replaced(HEAD, "<link>https://ada.example/feed.xml</link>", "<link>feed.xml</link>")), "error", /<link> "feed\.xml" is not an absolute/);
    only(check(replaced(HEAD, "https://ada.example/p.svg", "p.svg")), "warning", /<microblog:portrait> "p\.svg"/);
  });

  it("language that is no language tag: a warning", () => {
    only(check(replaced(HEAD, "<language>en</language>", "<language>English</language>")), "warning", /"English" is not a language tag/);
  });

  it("message: accept must be everyone, follows or selected, and should be there", () => {
    only(check(replaced(HEAD, 'accept="everyone"', 'accept="friends"')), "error", /accept is everyone, follows or selected/);
    const missing = only(check(replaced(HEAD, ' accept="everyone"', "")), "warning", /no accept attribute/);
    expect(missing.section).toBe("Private Messaging");
  });

  it("follows / blocks count: a number", () => {
    only(check(replaced(HEAD, '<microblog:follows count="2">', '<microblog:follows count="two">')), "error", /count is the number of users/);
  });

  it("relocate: never empty; not on a page other than the head", () => {
    const relocated = replaced(HEAD, "<docs>", "<microblog:relocate>https://new.example/feed.xml</microblog:relocate>\n    <docs>");
    expect(check(relocated)).toEqual([]);
    const onArchive = only(check(relocated, "main", false), "error", /relocate> on a page that is not the head/);
    expect(onArchive).toMatchObject({ section: "Relocation", line: lineOf(relocated, "<microblog:relocate>") });
    only(check(replaced(HEAD, "<docs>", "<microblog:relocate></microblog:relocate>\n    <docs>")), "error", /relocate> is empty/);
  });

  it("a required element twice: a warning (readers take the first)", () => {
    only(check(replaced(HEAD, "<language>en</language>", "<language>en</language><language>fr</language>")), "warning", /<language> appears 2 times/);
  });

  it("lastBuildDate older than the newest item: a warning", () => {
    only(check(replaced(HEAD, "<lastBuildDate>Sat, 03 Jan 2026", "<lastBuildDate>Fri, 02 Jan 2026")), "warning", /older than the newest item/);
  });

  it("leniency: camelCase names and a namespace URI without its slash are read, with a note / warning", () => {
    const camel = only(
      check(replaced(HEAD, /microblog:user_id>/g, "microblog:userId>")),
      "note",
      /<microblog:userId> is read as <microblog:user_id>: camelCase/,
    );
    expect(camel.severity).toBe("note");
    const slashless = check(HEAD.replace(/http:\/\/openmicroblog\.com\//g, "http://openmicroblog.com"));
    expect(slashless.filter((p) => p.severity === "error")).toEqual([]);
    only(slashless, "warning", /namespace is written "http:\/\/openmicroblog\.com"/);
  });
});

describe("Main Feed Layout: items", () => {
  const item = (text: string) => text.slice(text.indexOf("<item"), text.indexOf("</item>") + 7);
  const first = item(HEAD);

  it('guid: required, an integer, with isPermaLink="false" (isPermalink, the sample\'s spelling, is a note)', () => {
    only(check(replaced(HEAD, '<guid isPermaLink="false">2</guid>', "")), "error", /<item> has no <guid>/);
    const word = only(check(replaced(HEAD, '<guid isPermaLink="false">2</guid>', '<guid isPermaLink="false">abc</guid>')), "error", /"abc" is not an integer/);
    expect(word).toMatchObject({ section: "Main Feed Layout › Required Item Elements", line: lineOf(HEAD, '<guid isPermaLink="false">2') });
    only(check(replaced(HEAD, '<guid isPermaLink="false">2</guid>', "<guid>2</guid>")), "warning", /without isPermaLink="false"/);
    only(check(replaced(HEAD, "isPermaLink=", "isPermalink=")), "note", /RSS 2\.0 spells it isPermaLink/);
  });

  it("pubDate: required, RFC 822; <pubdate> is a note", () => {
    only(check(replaced(HEAD, /<pubDate>[^<]+<\/pubDate>/, "")), "error", /<item> has no <pubDate>/);
    only(check(replaced(HEAD, /<pubDate>([^<]+)<\/pubDate>/, "<pubdate>$1</pubdate>")), "note", /<pubdate> is read as <pubDate>/);
    only(check(replaced(HEAD, /<pubDate>[^<]+<\/pubDate>/, "<pubDate>2026-01-03T09:00:00Z</pubDate>")), "error", /is ISO 8601; RSS 2\.0 dates are RFC 822/);
    only(check(replaced(HEAD, /<pubDate>[^<]+<\/pubDate>/, "<pubDate>yesterday</pubDate>")), "error", /"yesterday" is not an RFC 822 date/);
  });

  it("description: required, not empty; split CDATA is a warning; escaped text a note", () => {
    const body = first.slice(first.indexOf("<description>"), first.indexOf("</description>") + 14);
    only(check(replaced(HEAD, body, "")), "error", /<item> has no <description>/);
    only(check(replaced(HEAD, body, "<description><![CDATA[ ]]></description>")), "error", /<description> is empty/);
    only(check(replaced(HEAD, body, "<description><![CDATA[a]]]]><![CDATA[>b]]></description>")), "warning", /split over 2 CDATA sections/);
    only(check(replaced(HEAD, body, "<description>&lt;p&gt;hi&lt;/p&gt;</description>")), "note", /escaped text, not CDATA/);
    // Escaped because it holds "]]>": what Skein writes, no note.
    expect(check(replaced(HEAD, body, "<description>a]]&gt;b</description>"))).toEqual([]);
    only(check(replaced(HEAD, body, "<description><p>hi</p></description>")), "error", /holds XML elements/);
  });

  it("reply URL; incomplete reply and repost groups; the sample's reposted_status_user_link is a note", () => {
    only(check(replaced(HEAD, "https://ada.example/api/posts/2/reply", "reply-here")), "error", /<microblog:reply> "reply-here"/);
    only(
      check(replaced(HEAD, "<microblog:reposted_status_id>9</microblog:reposted_status_id>", "")),
      "warning",
      /a repost without microblog:reposted_status_id/,
    );
    only(check(replaced(HEAD, /microblog:reposted_user_link>/g, "microblog:reposted_status_user_link>")), "note", /spelling of the spec's sample/);
    const reply = ARCHIVE.replace("<microblog:in_reply_to_user_id>u1</microblog:in_reply_to_user_id>", "");
    only(check(reply, "main", false), "warning", /a reply without microblog:in_reply_to_user_id/);
  });
});

describe("Alternate Feed Layout (follows / blocks)", () => {
  it("required channel elements, and lastBuildDate (a note only while the list is empty)", () => {
    only(check(replaced(FOLLOWS, "<microblog:username>ada</microblog:username>", ""), "list"), "error", /has no <microblog:username>/);
    const undated = replaced(FOLLOWS, /<lastBuildDate>[^<]+<\/lastBuildDate>/, "");
    expect(only(check(undated, "list"), "error", /has no <lastBuildDate>/).section).toBe("Alternate Feed Layout › Required Channel Elements");
    const empty = undated.replace(/<item[\s\S]*<\/item>\n/, "");
    only(check(empty, "list"), "note", /no item yet/);
  });

  it("items: user_id, user_name, user_link (a URL); username is a note; the sample's channel count a note", () => {
    only(check(replaced(FOLLOWS, /<microblog:user_name>friend_1<\/microblog:user_name>/, ""), "list"), "error", /<item> has no <microblog:user_name>/);
    only(check(FOLLOWS.replace(/microblog:user_name>/g, "microblog:username>"), "list").slice(0, 1), "note", /is read as <microblog:user_name>/);
    only(check(replaced(FOLLOWS, "https://friend1.example/feed.xml", "friend1"), "list"), "error", /<microblog:user_link> "friend1"/);
    only(check(replaced(FOLLOWS, "<channel>", '<channel count="2">'), "list"), "note", /the spec's sample has it, its element lists do not/);
  });
});

describe("Feed Paging: limits per page", () => {
  it("more than 500 items, or more than 500 KB, is an error; between 500,000 bytes and 500 KiB a warning", () => {
    const one = HEAD.slice(HEAD.indexOf("    <item"), HEAD.indexOf("</item>") + 8);
    const many = HEAD.replace(one, Array.from({ length: 501 }, (_, i) => one.replace(/>2</g, `>${1000 - i}<`)).join(""));
    only(check(many), "error", /501 items on one page/);
    const padding = (bytes: number) => `<!--${" ".repeat(bytes - Buffer.byteLength(HEAD) - 7)}-->`;
    const big = replaced(HEAD, "</channel>", `${padding(PAGE_MAX_BYTES + 1)}</channel>`);
    expect(Buffer.byteLength(big)).toBe(PAGE_MAX_BYTES + 1);
    only(check(big), "error", /is 512001 bytes; the spec pages feeds at 500 KB/);
    only(check(replaced(HEAD, "</channel>", `${padding(500_001)}</channel>`)), "warning", /over 500,000 bytes/);
  });
});

describe("the spec's own sample feeds", () => {
  it("verbatim (empty templates): errors only for empty required values, notes for what the samples do differently", () => {
    const main = check(SPEC_MAIN_SAMPLE);
    const errors = main.filter((p) => p.severity === "error").map((p) => p.message);
    for (const message of errors) expect(message).toMatch(/ is empty|has no <lastBuildDate>/);
    for (const note of [/isPermaLink/, /<pubdate> is read as <pubDate>/, /reposted_status_user_link/, /channel <title>/]) only(main, "note", note);
    const list = check(SPEC_LIST_SAMPLE, "list");
    for (const problem of list.filter((p) => p.severity === "error")) expect(problem.message).toMatch(/ is empty|has no <lastBuildDate>/);
    only(list, "note", /count=""/);
  });

  it("filled in: no error, the sample's spellings as notes", () => {
    const files = specShapedSite("http://sonic.example");
    for (const [path, text] of Object.entries(files)) {
      const problems = check(text, path.includes("feed") ? "main" : "list", path === "/feed.xml");
      expect(
        problems.filter((p) => p.severity === "error"),
        path,
      ).toEqual([]);
      expect(
        problems.some((p) => p.severity === "note"),
        path,
      ).toBe(true);
    }
  });
});

describe("checkRfc822", () => {
  it("RFC 822 as RSS wants it; 'UTC' and 2-digit years are notes; a wrong day name a warning; ISO 8601 an error", () => {
    expect(checkRfc822("Sat, 16 May 2015 21:32:15 +0000")).toEqual({ epoch: Date.UTC(2015, 4, 16, 21, 32, 15) });
    expect(checkRfc822("16 May 2015 21:32 GMT")).toEqual({ epoch: Date.UTC(2015, 4, 16, 21, 32) });
    expect(checkRfc822("Sat, 16 May 2015 21:32:15 UTC").severity).toBe("note");
    expect(checkRfc822("Sat, 16 May 15 21:32:15 GMT").severity).toBe("note");
    expect(checkRfc822("Mon, 16 May 2015 21:32:15 +0000")).toMatchObject({ severity: "warning", message: expect.stringMatching(/that day is a Sat/) });
    expect(checkRfc822("2015-05-16T21:32:15Z").severity).toBe("error");
    expect(checkRfc822("Sat, 31 Feb 2015 21:32:15 +0000").severity).toBe("error");
  });
});
