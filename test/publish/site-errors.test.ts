/**
 * Bad input, in memory (lib/publish/site.ts buildSite): every problem in every file is collected and
 * reported with the file and a reason a person can act on, and nothing is built. The same errors
 * through the real CLI (exit code, stderr, _site untouched) are in test/scripts/build-cli.test.ts.
 */
import { describe, expect, it } from "vitest";
import { fixedDate, listYaml, type PostSpec, person, postFile, profileYaml, rawPostFile, type SiteContent, siteSources } from "../../lib/harness/factories.ts";
import type { FileError } from "../../lib/publish/posts.ts";
import type { BuildOptions } from "../../lib/publish/site.ts";
import { buildSite, SiteBuildError } from "../../lib/publish/site.ts";

const GOOD: PostSpec = { name: "good.md", date: fixedDate(0), body: "Fine.\n" };

/** The errors buildSite reports for this content (fails the test if it builds). */
function errorsOf(content: SiteContent, options: BuildOptions = {}): FileError[] {
  try {
    buildSite(siteSources(content), options);
  } catch (error) {
    expect(error).toBeInstanceOf(SiteBuildError);
    const { errors, message } = error as SiteBuildError;
    // The message lists every error as "file: reason".
    for (const e of errors) expect(message).toContain(`  ${e.file}: ${e.message}`);
    return [...errors];
  }
  expect.fail("the build should have failed");
}

function onlyError(content: SiteContent, options: BuildOptions = {}): FileError {
  const errors = errorsOf(content, options);
  expect(errors, JSON.stringify(errors)).toHaveLength(1);
  return errors[0]!;
}

const post = (name: string, text: string | Uint8Array) => rawPostFile(name, text);

describe("post files that cannot be built", () => {
  it("broken YAML front matter: file, the line of the problem, and that it is YAML", () => {
    const error = onlyError({ posts: [GOOD, post("broken.md", "---\ndate: 2026-01-01T00:00:00Z\ntitle: [unclosed\n---\nText\n")] });
    expect(error.file).toBe("posts/broken.md");
    expect(error.message).toMatch(/front matter is not valid YAML/);
    expect(error.message).toMatch(/^line [34]: /);
  });

  it("YAML error line numbers are the file's own line numbers", () => {
    // Line 1 is "---"; the duplicate key is on line 4.
    const error = onlyError({ posts: [post("dup-key.md", "---\ndate: 2026-01-01T00:00:00Z\nlanguage: en\nlanguage: fr\n---\nText\n")] });
    expect(error).toEqual({ file: "posts/dup-key.md", message: "line 4: front matter is not valid YAML: Map keys must be unique" });
  });

  it("no front matter at all", () => {
    expect(onlyError({ posts: [post("bare.md", "Just text.\n")] })).toEqual({
      file: "posts/bare.md",
      message: "has no front matter: start the file with a --- block holding at least `date:`",
    });
  });

  it("missing date", () => {
    expect(onlyError({ posts: [post("undated.md", "---\nlanguage: en\n---\nText\n")] })).toEqual({ file: "posts/undated.md", message: "date: is required" });
  });

  it.each([
    ["an impossible day", "2026-02-30T10:00:00Z"],
    ["an impossible hour", "2026-02-03T24:10:00Z"],
    ["words", "yesterday"],
    ["an RFC 822 date (posts use ISO 8601)", "Tue, 03 Feb 2026 10:00:00 +0000"],
  ])("invalid date: %s", (_, date) => {
    const error = onlyError({ posts: [{ name: "bad-date.md", date, body: "Text\n" }] });
    expect(error.file).toBe("posts/bad-date.md");
    expect(error.message).toBe(`date: "${date}" is not an ISO 8601 date with a time and a zone, e.g. 2026-03-01T09:30:00Z`);
  });

  it.each([["2026-02-03T10:00:00"], ["2026-02-03"], ["2026-02-03 10:00"]])("date without a zone is refused, not guessed: %s", (date) => {
    const error = onlyError({ posts: [{ name: "no-zone.md", date, body: "Text\n" }] });
    expect(error).toEqual({ file: "posts/no-zone.md", message: `date: "${date}" is not an ISO 8601 date with a time and a zone, e.g. 2026-03-01T09:30:00Z` });
  });

  it("a YAML timestamp in quotes or not is read the same (YAML 1.2 keeps dates as text)", () => {
    const quoted = buildSite(siteSources({ posts: [post("q.md", '---\ndate: "2026-02-03T10:00:00+01:00"\nid: 0\n---\nText\n')] }));
    const plain = buildSite(siteSources({ posts: [post("q.md", "---\ndate: 2026-02-03T10:00:00+01:00\nid: 0\n---\nText\n")] }));
    expect(quoted.posts[0]!.date).toBe(Date.UTC(2026, 1, 3, 9, 0, 0));
    expect(plain.posts[0]!.date).toBe(quoted.posts[0]!.date);
  });

  it("invalid URL in reply_to", () => {
    const error = onlyError({ posts: [{ ...GOOD, name: "reply.md", replyTo: { user_id: "u1", user_link: "bob.example/feed.xml", status_id: 3 } }] });
    expect(error).toEqual({ file: "posts/reply.md", message: "reply_to.user_link: must be an absolute http:// or https:// URL" });
  });

  it("invalid URL in repost", () => {
    const repost = { user_id: "u1", user_link: "ftp://carmen.example/feed.xml", status_id: "9", pubdate: fixedDate(-1), text: "Original" };
    const error = onlyError({ posts: [{ ...GOOD, name: "repost.md", repost }] });
    expect(error).toEqual({ file: "posts/repost.md", message: "repost.user_link: must be an absolute http:// or https:// URL" });
  });

  it("a repost needs the original's fields", () => {
    const errors = errorsOf({ posts: [post("repost.md", "---\ndate: 2026-01-01T00:00:00Z\nrepost:\n  user_id: u1\n---\n")] });
    const messages = errors.map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining(["repost.user_link: is required", "repost.pubdate: is required", "repost.text: is required"]));
    // status_id is named too (the wording is zod's generic "Invalid input": its union has no message for a missing value).
    expect(messages.some((m) => m.startsWith("repost.status_id: "))).toBe(true);
    for (const e of errors) expect(e.file).toBe("posts/repost.md");
  });

  it("a post is a reply or a repost, not both", () => {
    const ref = { user_id: "u1", user_link: "https://bob.example/feed.xml", status_id: 1 };
    const error = onlyError({ posts: [{ ...GOOD, replyTo: ref, repost: { ...ref, pubdate: fixedDate(-1), text: "x" } }] });
    expect(error.message).toBe("a post can be a reply or a repost, not both");
  });

  it("no text below the front matter (and not a repost)", () => {
    expect(onlyError({ posts: [{ name: "empty.md", date: fixedDate(0), body: "\n  \n" }] })).toEqual({
      file: "posts/empty.md",
      message: "has no text: write the post below the front matter",
    });
  });

  it("unknown front matter field", () => {
    expect(onlyError({ posts: [{ ...GOOD, extra: { tags: ["a", "b"] } }] })).toEqual({ file: "posts/good.md", message: 'unknown field "tags"' });
  });

  it("an id that is not a non-negative integer names the file and the field", () => {
    for (const id of [-1, 1.5, "abc"]) {
      const error = onlyError({ posts: [{ ...GOOD, extra: { id } }] });
      expect(error.file).toBe("posts/good.md");
      expect(error.message).toMatch(/^id: /);
    }
  });

  it("duplicate explicit id: the message names both files and the next free id; the older post keeps the id", () => {
    const error = onlyError({
      posts: [
        { ...GOOD, name: "a.md", id: 7 },
        { name: "b.md", date: fixedDate(1), id: 7, body: "Other\n" },
      ],
    });
    expect(error).toEqual({
      file: "posts/b.md",
      message:
        "has the same `id: 7` as posts/a.md; give the one you just added another id (the next free id is 8): a published post that changes its id breaks the replies that point at it",
    });
  });

  it("a post without an id: the file and the exact id to write (the guid it has today), and the command that writes them all", () => {
    const error = onlyError({
      posts: [
        { ...GOOD, name: "a.md", id: 0 },
        postFile({ name: "b.md", date: fixedDate(1), body: "Other\n" }),
        { name: "c.md", date: fixedDate(2), id: 5, body: "x\n" },
      ],
    });
    expect(error).toEqual({
      file: "posts/b.md",
      message:
        "has no `id:`. Every post needs one, so that adding an older post can never change its guid: add `id: 1` to its front matter (the guid its place in date order gives it today, so nothing already published moves), or run `npm run ids` to write the ids of every post that has none",
    });
  });

  it("even the newest post needs its id: an older post added later could otherwise take its number", () => {
    // Were the newest post numbered automatically (one past the ids before it: 1), this older post,
    // added later with the next free id, would push it to 2 without a word.
    const newest = postFile({ name: "new.md", date: fixedDate(9), body: "Newest\n" });
    expect(onlyError({ posts: [{ ...GOOD, name: "a.md", id: 0 }, newest] }).file).toBe("posts/new.md");
    const error = onlyError({ posts: [{ ...GOOD, name: "a.md", id: 0 }, { name: "backdated.md", date: fixedDate(5), id: 1, body: "x\n" }, newest] });
    expect(error.file).toBe("posts/new.md");
    expect(error.message).toContain("add `id: 2`");
  });

  it("a backdated post without an id is told the next free id: its place in date order belongs to another post's id", () => {
    const error = onlyError({ posts: [{ ...GOOD, name: "a.md", id: 0 }, postFile({ name: "old.md", date: fixedDate(-3), body: "x\n" })] });
    expect(error.file).toBe("posts/old.md");
    expect(error.message).toContain("add `id: 1` to its front matter (the next free id; the guid its place in date order would take is another post's `id:`)");
  });

  it("many posts without an id: the first 20 by date are listed, the rest counted in one line", () => {
    const posts = Array.from({ length: 45 }, (_, i) => postFile({ name: `p${String(i).padStart(2, "0")}.md`, date: fixedDate(i), body: "x\n" }));
    const errors = errorsOf({ posts });
    expect(errors).toHaveLength(21);
    expect(errors[0]).toEqual({
      file: "posts/",
      message: "25 more posts without an `id:` besides those listed; `npm run ids` writes the id of every post that has none",
    });
    expect(errors.slice(1).map((e) => e.file)).toEqual(posts.slice(0, 20).map((p) => p.file));
    expect(errors[20]!.message).toContain("add `id: 19`");
  });

  it("a character XML 1.0 cannot carry: file, line, column and code point", () => {
    const error = onlyError({ posts: [post("bell.md", "---\ndate: 2026-01-01T00:00:00Z\n---\nFirst line\nsecond \u0007line\n")] });
    expect(error).toEqual({
      file: "posts/bell.md",
      message: "line 5, column 8: character U+0007 cannot be carried by XML 1.0 (feeds would be broken); remove it",
    });
  });

  it("an unpaired surrogate, which only a YAML escape can produce, is refused like a control character", () => {
    const text =
      '---\ndate: 2026-01-01T00:00:00Z\nrepost:\n  user_id: u1\n  user_link: https://c.example/feed.xml\n  status_id: 1\n  pubdate: 2025-12-31T00:00:00Z\n  text: "half \\uD83D pair"\n---\n';
    expect(onlyError({ posts: [post("surrogate.md", text)] })).toEqual({
      file: "posts/surrogate.md",
      message: "repost.text: contains a character XML 1.0 cannot carry (a control character or an unpaired surrogate)",
    });
  });

  it("a surrogate encoded in the bytes (CESU-8) is not valid UTF-8", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("---\ndate: 2026-01-01T00:00:00Z\n---\nhalf "), 0xed, 0xa0, 0xbd, 0x0a]);
    expect(onlyError({ posts: [post("cesu.md", bytes)] })).toEqual({ file: "posts/cesu.md", message: "is not valid UTF-8 text" });
  });

  it("invalid UTF-8", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("---\ndate: 2026-01-01T00:00:00Z\n---\ncaf"), 0xe9, 0x0a]); // Latin-1 é
    expect(onlyError({ posts: [post("latin1.md", bytes)] })).toEqual({ file: "posts/latin1.md", message: "is not valid UTF-8 text" });
  });

  it("a post too large for one feed page names the file and the sizes", () => {
    const options: BuildOptions = { feedLimits: { maxItems: 10, maxBytes: 4000, headerReserveBytes: 1500 } };
    const error = onlyError({ posts: [GOOD, { name: "huge.md", date: fixedDate(1), body: `${"word ".repeat(600)}\n` }] }, options);
    expect(error.file).toBe("posts/huge.md");
    expect(error.message).toMatch(/^is \d+ bytes in the feed, more than one feed page holds \(2500 bytes for items\); split it into several posts$/);
  });

  it("a header over its reserve is blamed on the profile", () => {
    const options: BuildOptions = { feedLimits: { maxItems: 10, maxBytes: 10_000, headerReserveBytes: 900 } };
    const error = onlyError({ profile: profileYaml({ bio: "A long bio. ".repeat(40) }), posts: [GOOD] }, options);
    expect(error.file).toBe("site/_data/profile.yaml");
    expect(error.message).toMatch(/^the channel header of https:\/\/ada\.example\/feed\.xml takes \d+ bytes but pages reserve only 900; shorten the bio/);
  });
});

describe("profile errors", () => {
  it.each([
    ["too long", "a".repeat(26)],
    ["a hyphen", "ada-lovelace"],
    ["a space", "ada lovelace"],
    ["non-ASCII letters", "adä"],
    ["empty", ""],
  ])("username with %s", (_, username) => {
    expect(onlyError({ profile: profileYaml({ username }), posts: [GOOD] })).toEqual({
      file: "site/_data/profile.yaml",
      message: "username: must be 1-25 letters (A-Z, a-z), digits or underscores",
    });
  });

  it("a 25-character username is fine", () => {
    expect(buildSite(siteSources({ profile: profileYaml({ username: "a".repeat(25) }), posts: [GOOD] })).profile.username).toHaveLength(25);
  });

  it.each([["12345"], ["not-a-uuid"], ["3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f1"], ["3f0c2a4e8b1d4c559a0e6d2b7c1e9f10"]])(
    "user_id that is not a UUID: %s",
    (userId) => {
      const error = onlyError({ profile: profileYaml({ user_id: userId }), posts: [GOOD] });
      expect(error.file).toBe("site/_data/profile.yaml");
      expect(error.message).toMatch(/^user_id: must be a UUID/);
    },
  );

  it("missing required fields are each named", () => {
    const errors = errorsOf({ profile: "username: ada\n", posts: [GOOD] });
    expect(errors.map((e) => e.message).sort()).toEqual(["language: is required", "url: is required", "user_id: is required"]);
  });

  it("broken YAML in the profile", () => {
    const error = onlyError({ profile: "username: [ada\nuser_id: x\n", posts: [GOOD] });
    expect(error.file).toBe("site/_data/profile.yaml");
    expect(error.message).toMatch(/^is not valid YAML: .*line \d+/);
  });

  it("unknown profile field, bad URL, bad accept policy", () => {
    const errors = errorsOf({ profile: profileYaml({ colour: "red", url: "ada.example", accept: "friends" }), posts: [GOOD] });
    expect(errors.map((e) => e.message).sort()).toEqual([
      "accept: must be one of everyone, follows, selected, off",
      'unknown field "colour"',
      "url: must be an absolute http:// or https:// URL",
    ]);
  });

  it("a control character in the bio", () => {
    const error = onlyError({ profile: profileYaml({ bio: "Hello\u0001" }), posts: [GOOD] });
    expect(error).toEqual({
      file: "site/_data/profile.yaml",
      message: "bio: contains a character XML 1.0 cannot carry (a control character or an unpaired surrogate)",
    });
  });
});

describe("list errors", () => {
  it("not a list", () => {
    expect(onlyError({ follows: "user_id: x\n", posts: [GOOD] })).toEqual({
      file: "site/_data/follows.yaml",
      message: "must be a YAML list of entries (each line starting with `- user_id: ...`)",
    });
  });

  it("a bad entry is named by its position and username", () => {
    const error = onlyError({ follows: listYaml([person(0), person(1, { user_link: "nope" })]), posts: [GOOD] });
    expect(error).toEqual({ file: "site/_data/follows.yaml", message: "entry 2 (friend_1): user_link: must be an absolute http:// or https:// URL" });
  });

  it("the same account twice", () => {
    const error = onlyError({ blocks: listYaml([person(0), person(1), person(0, { username: "again" })]), posts: [GOOD] });
    expect(error).toEqual({ file: "site/_data/blocks.yaml", message: "entry 3 (again): the same account as entry 1 (same user_id)" });
  });

  it("followed and blocked at once", () => {
    const error = onlyError({ follows: listYaml([person(3)]), blocks: listYaml([person(3, { user_id: "other-id" })]), posts: [GOOD] });
    expect(error).toEqual({ file: "site/_data/follows.yaml", message: "entry 1 (friend_3) is also in site/_data/blocks.yaml; follow or block, not both" });
  });

  it("an entry too large for one list page names the list file and the entry", () => {
    const options: BuildOptions = { listLimits: { maxItems: 5, maxBytes: 2000, headerReserveBytes: 1200 } };
    const error = onlyError({ follows: listYaml([person(0), person(1, { user_link: `https://friend1.example/${"a".repeat(900)}` })]), posts: [GOOD] }, options);
    expect(error.file).toBe("site/_data/follows.yaml");
    expect(error.message).toMatch(/^entry 2 \(friend_1\) is \d+ bytes in the list feed, more than one page holds \(800 bytes for items\)/);
  });
});

describe("several bad files at once", () => {
  it("every bad file is reported, each with its reason, sorted by file; good files are not mentioned", () => {
    const errors = errorsOf({
      profile: profileYaml({ user_id: "nope" }),
      follows: listYaml([person(0, { user_link: "nope" })]),
      posts: [
        { ...GOOD, id: 0 },
        { name: "no-zone.md", date: "2026-02-03T10:00:00", body: "x\n" },
        post("bare.md", "no front matter\n"),
        { name: "extra.md", date: fixedDate(2), body: "x\n", extra: { foo: 1 } },
        post("latin1.md", new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0x0a])),
        { name: "dup.md", date: fixedDate(3), id: 0, body: "x\n" },
      ],
    });
    expect(errors.map((e) => e.file)).toEqual([
      "posts/bare.md",
      "posts/dup.md",
      "posts/extra.md",
      "posts/latin1.md",
      "posts/no-zone.md",
      "site/_data/follows.yaml",
      "site/_data/profile.yaml",
    ]);
    expect(errors.find((e) => e.file === "posts/dup.md")!.message).toContain("posts/good.md");
    expect(errors.find((e) => e.file === "posts/extra.md")!.message).toBe('unknown field "foo"');
    expect(errors.find((e) => e.file === "posts/latin1.md")!.message).toBe("is not valid UTF-8 text");
    expect(errors.find((e) => e.file === "site/_data/profile.yaml")!.message).toMatch(/^user_id: must be a UUID/);
    expect(errors.some((e) => e.file === "posts/good.md")).toBe(false);
  });
});
