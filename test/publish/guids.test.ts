/**
 * lib/publish/guids.ts: every post carries its guid as `id:`; a post without one fails the build with the
 * exact id to write (the guid Skein's date-order numbering gives it today, or the next free id), two
 * posts with one id fail naming both files, and `npm run ids` can add the line to any post file. The
 * property that no guid ever moves, whatever is added, is test/publish/guid-property.test.ts.
 */
import { describe, expect, it } from "vitest";
import { fixedDate } from "../../lib/harness/factories.ts";
import { assignGuids, idsForPostsWithoutId, nextGuid, withIdInFrontMatter } from "../../lib/publish/guids.ts";
import { type ParsedPost, parsePost } from "../../lib/publish/posts.ts";

function parsed(file: string, date: number, id?: number): ParsedPost {
  const post: ParsedPost = { file, date, bodyHtml: "<p>x</p>\n", html: "<p>x</p>\n", summary: "x" };
  if (id !== undefined) post.id = id;
  return post;
}

const suggested = (posts: ParsedPost[]) => Object.fromEntries(idsForPostsWithoutId(posts).map((m) => [m.file, `${m.id} ${m.kind}`]));

describe("assignGuids", () => {
  it("a post's guid is its id; posts come back oldest first whatever order the files come in", () => {
    const { posts, errors } = assignGuids([parsed("c.md", fixedDate(2), 7), parsed("a.md", fixedDate(0), 3), parsed("b.md", fixedDate(1), 0)]);
    expect(errors).toEqual([]);
    expect(posts.map((p) => [p.file, p.guid])).toEqual([
      ["a.md", 3],
      ["b.md", 0],
      ["c.md", 7],
    ]);
  });

  it("a post without an id is an error naming it and the id to write; it still comes back with that id, so `npm run new` counts past it", () => {
    const { posts, errors } = assignGuids([parsed("a.md", fixedDate(0), 0), parsed("b.md", fixedDate(1))]);
    expect(errors.map((e) => e.file)).toEqual(["b.md"]);
    expect(errors[0]!.message).toContain("add `id: 1` to its front matter");
    expect(errors[0]!.message).toContain("`npm run ids`");
    expect(posts.map((p) => [p.file, p.guid])).toEqual([
      ["a.md", 0],
      ["b.md", 1],
    ]);
    expect(nextGuid(posts)).toBe(2);
  });

  it("a duplicate fails naming both files and the next free id; the older post keeps the guid", () => {
    const { posts, errors } = assignGuids([parsed("old.md", fixedDate(0), 3), parsed("new.md", fixedDate(1), 3), parsed("x.md", fixedDate(2), 9)]);
    expect(posts.map((p) => [p.file, p.guid])).toEqual([
      ["old.md", 3],
      ["x.md", 9],
    ]);
    expect(errors).toEqual([
      {
        file: "new.md",
        message:
          "has the same `id: 3` as old.md; give the one you just added another id (the next free id is 10): a published post that changes its id breaks the replies that point at it",
      },
    ]);
  });
});

describe("idsForPostsWithoutId (what the build asks for and `npm run ids` writes)", () => {
  it("posts without ids: the guids Skein gave them so far, 0, 1, 2... in date order, ties broken by file name in code units", () => {
    const at = fixedDate(0);
    expect(suggested([parsed("c.md", fixedDate(2)), parsed("b.md", at), parsed("a.md", at), parsed("B.md", at), parsed("é.md", at)])).toEqual({
      "B.md": "0 current",
      "a.md": "1 current",
      "b.md": "2 current",
      "é.md": "3 current",
      "c.md": "4 current",
    });
  });

  it("an explicit id moves the counter past it, as the earlier numbering did", () => {
    expect(suggested([parsed("a.md", fixedDate(0)), parsed("b.md", fixedDate(1), 10), parsed("c.md", fixedDate(2)), parsed("d.md", fixedDate(3), 4)])).toEqual({
      "a.md": "0 current",
      "c.md": "11 current",
    });
  });

  it("a number that is another post's explicit id goes to the next free ids, in date order, past every id in use", () => {
    // a takes 0; b's counter value 1 is c's id, and d's (2, past c) is e's id: both get the next free ids, 3 and 4.
    const posts = [
      parsed("a.md", fixedDate(0)),
      parsed("b.md", fixedDate(1)),
      parsed("c.md", fixedDate(2), 1),
      parsed("d.md", fixedDate(3)),
      parsed("e.md", fixedDate(4), 2),
    ];
    expect(suggested(posts)).toEqual({ "a.md": "0 current", "b.md": "3 next-free", "d.md": "4 next-free" });
    const { errors } = assignGuids(posts);
    expect(errors.map((e) => e.file)).toEqual(["a.md", "b.md", "d.md"]);
    // The suggestions are free: written in, the site builds.
    const fixed = posts.map((p) => (p.id === undefined ? parsed(p.file, p.date, Number(suggested(posts)[p.file]!.split(" ")[0])) : p));
    expect(assignGuids(fixed).errors).toEqual([]);
  });

  it("nothing to suggest when every post has an id", () => {
    expect(idsForPostsWithoutId([parsed("a.md", fixedDate(0), 4)])).toEqual([]);
  });
});

describe("nextGuid", () => {
  it("is 0 for no posts and one past the highest guid otherwise", () => {
    expect(nextGuid([])).toBe(0);
    const { posts } = assignGuids([parsed("a.md", fixedDate(0), 0), parsed("b.md", fixedDate(1), 41), parsed("c.md", fixedDate(2), 7)]);
    expect(nextGuid(posts)).toBe(42);
  });
});

describe("withIdInFrontMatter", () => {
  const read = (text: string) => {
    const result = parsePost({ file: "posts/x.md", bytes: new TextEncoder().encode(text) });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    return result.value;
  };

  it("adds `id: N` right after a one-line date, changing nothing else", () => {
    const text = "---\ndate: 2026-01-05T09:12:00Z\nlanguage: fr\n---\nBonjour.\n";
    expect(withIdInFrontMatter(text, 12)).toBe("---\ndate: 2026-01-05T09:12:00Z\nid: 12\nlanguage: fr\n---\nBonjour.\n");
  });

  it("keeps CRLF line ends and a byte order mark", () => {
    const text = "\uFEFF---\r\ndate: 2026-01-05T09:12:00Z\r\n---\r\nHi\r\n";
    const out = withIdInFrontMatter(text, 3)!;
    expect(out).toBe("\uFEFF---\r\ndate: 2026-01-05T09:12:00Z\r\nid: 3\r\n---\r\nHi\r\n");
    expect(read(out).id).toBe(3);
  });

  it("a date written over several lines, or after nested keys: the id goes last, and the file still reads the same", () => {
    const folded = "---\nreply_to:\n  user_id: u1\n  user_link: https://b.example/feed.xml\n  status_id: 4\ndate: >-\n  2026-01-05T09:12:00Z\n---\nHi\n";
    const out = withIdInFrontMatter(folded, 8)!;
    expect(out).toBe(
      "---\nreply_to:\n  user_id: u1\n  user_link: https://b.example/feed.xml\n  status_id: 4\ndate: >-\n  2026-01-05T09:12:00Z\nid: 8\n---\nHi\n",
    );
    const [before, after] = [read(folded), read(out)];
    expect(after.id).toBe(8);
    expect({ ...after, id: undefined }).toEqual({ ...before, id: undefined });
  });

  it("refuses a file without front matter, or one that already has an id", () => {
    expect(withIdInFrontMatter("Just text\n", 1)).toBeUndefined();
    expect(withIdInFrontMatter("---\ndate: 2026-01-05T09:12:00Z\n", 1)).toBeUndefined();
    expect(withIdInFrontMatter("---\ndate: 2026-01-05T09:12:00Z\nid: 4\n---\nx\n", 1)).toBeUndefined();
  });
});
