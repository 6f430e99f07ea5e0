/**
 * lib/publish/guids.ts: guids count from 0 in date order (then file name); an explicit id wins and moves
 * the counter past it; appending a newer post never changes an older guid; duplicates name both files.
 */
import { describe, expect, it } from "vitest";
import { assignGuids, nextGuid } from "../../lib/publish/guids.ts";
import type { ParsedPost } from "../../lib/publish/posts.ts";
import { fixedDate, seededRandom } from "../support/factories.ts";

function parsed(file: string, date: number, id?: number): ParsedPost {
  const post: ParsedPost = { file, date, bodyHtml: "<p>x</p>\n", html: "<p>x</p>\n", summary: "x" };
  if (id !== undefined) post.id = id;
  return post;
}

const guidsOf = (posts: ParsedPost[]) => Object.fromEntries(assignGuids(posts).posts.map((post) => [post.file, post.guid]));

describe("assignGuids", () => {
  it("counts from 0 in date order, whatever order the files come in", () => {
    const posts = [parsed("c.md", fixedDate(2)), parsed("a.md", fixedDate(0)), parsed("b.md", fixedDate(1))];
    const { posts: result, errors } = assignGuids(posts);
    expect(errors).toEqual([]);
    expect(result.map((p) => [p.file, p.guid])).toEqual([
      ["a.md", 0],
      ["b.md", 1],
      ["c.md", 2],
    ]);
  });

  it("breaks ties on the date by file name, in code units (no locale)", () => {
    const at = fixedDate(0);
    expect(guidsOf([parsed("b.md", at), parsed("a.md", at), parsed("B.md", at), parsed("é.md", at)])).toEqual({ "B.md": 0, "a.md": 1, "b.md": 2, "é.md": 3 });
  });

  it("an explicit id wins and moves the counter past it", () => {
    expect(guidsOf([parsed("a.md", fixedDate(0)), parsed("b.md", fixedDate(1), 10), parsed("c.md", fixedDate(2))])).toEqual({
      "a.md": 0,
      "b.md": 10,
      "c.md": 11,
    });
  });

  it("an explicit id below the counter is kept when free and does not move the counter back", () => {
    const posts = [parsed("a.md", fixedDate(0)), parsed("b.md", fixedDate(1), 5), parsed("c.md", fixedDate(2), 2), parsed("d.md", fixedDate(3))];
    expect(guidsOf(posts)).toEqual({ "a.md": 0, "b.md": 5, "c.md": 2, "d.md": 6 });
  });

  it("a duplicate fails naming both files; the older post keeps the guid", () => {
    const { posts, errors } = assignGuids([parsed("old.md", fixedDate(0), 3), parsed("new.md", fixedDate(1), 3)]);
    expect(posts.map((p) => [p.file, p.guid])).toEqual([["old.md", 3]]);
    expect(errors).toEqual([{ file: "new.md", message: "has the same id as old.md (id: 3 vs id: 3); give one of them a different `id:`" }]);
  });

  it("an explicit id that collides with an automatic one says which is which", () => {
    const { errors } = assignGuids([parsed("a.md", fixedDate(0)), parsed("b.md", fixedDate(1)), parsed("c.md", fixedDate(2), 1)]);
    expect(errors).toEqual([
      { file: "c.md", message: "has the same id as b.md (id: 1 vs automatic id 1, from its place in date order); give one of them a different `id:`" },
    ]);
  });

  it("appending a newer post never changes an existing guid (random histories)", () => {
    for (const seed of [3, 5, 8, 13]) {
      const rng = seededRandom(seed);
      const posts: ParsedPost[] = [];
      let previous: Record<string, number> = {};
      for (let i = 0; i < 60; i++) {
        const next = nextGuid(assignGuids(posts).posts);
        posts.push(parsed(`p${i}.md`, fixedDate(0, i), rng.chance(0.15) ? next + rng.int(0, 4) : undefined));
        const { posts: result, errors } = assignGuids(rng.chance(0.5) ? [...posts].reverse() : posts);
        expect(errors).toEqual([]);
        const current = Object.fromEntries(result.map((p) => [p.file, p.guid]));
        for (const [file, guid] of Object.entries(previous)) expect(current[file], `seed ${seed}, step ${i}: ${file}`).toBe(guid);
        // Guids grow with time.
        const inOrder = result.map((p) => p.guid);
        expect(inOrder).toEqual([...inOrder].sort((a, b) => a - b));
        previous = current;
      }
    }
  });
});

describe("nextGuid", () => {
  it("is 0 for no posts and one past the highest guid otherwise", () => {
    expect(nextGuid([])).toBe(0);
    const { posts } = assignGuids([parsed("a.md", fixedDate(0)), parsed("b.md", fixedDate(1), 41), parsed("c.md", fixedDate(2), 7)]);
    expect(nextGuid(posts)).toBe(42);
  });
});
