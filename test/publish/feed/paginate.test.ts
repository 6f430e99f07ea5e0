/**
 * lib/publish/feed/paginate.ts: greedy pages from the oldest item, at most maxItems items and
 * maxBytes - headerReserveBytes bytes of items per page; closed pages never change when items are added.
 */
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../lib/harness/factories.ts";
import { ItemTooLargeError, type PageLimits, paginate, utf8Length } from "../../../lib/publish/feed/paginate.ts";

const limits = (maxItems: number, budget: number): PageLimits => ({ maxItems, maxBytes: budget + 100, headerReserveBytes: 100 });
const letters = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i));

describe("paginate", () => {
  it("no items: one empty head page", () => {
    expect(paginate([], [], limits(3, 1000))).toEqual([[]]);
  });

  it("the item limit closes pages, oldest first; the head holds the rest", () => {
    expect(paginate(letters(5), [1, 1, 1, 1, 1], limits(2, 1000))).toEqual([["a", "b"], ["c", "d"], ["e"]]);
  });

  it("a full last page stays the head until a newer item arrives", () => {
    expect(paginate(letters(4), [1, 1, 1, 1], limits(2, 1000))).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("the byte budget closes pages; an exact fit stays on the page", () => {
    expect(paginate(letters(5), [40, 60, 50, 50, 1], limits(10, 100))).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(paginate(letters(3), [40, 61, 10], limits(10, 100))).toEqual([["a"], ["b", "c"]]);
  });

  it("whichever limit comes first", () => {
    expect(paginate(letters(6), [10, 10, 10, 80, 10, 10], limits(3, 100))).toEqual([
      ["a", "b", "c"],
      ["d", "e", "f"],
    ]);
    expect(paginate(letters(6), [10, 10, 90, 10, 10, 10], limits(3, 100))).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e", "f"],
    ]);
  });

  it("an item of exactly the budget fits alone; a bigger one is an error naming it", () => {
    expect(paginate(["a", "b"], [100, 100], limits(5, 100))).toEqual([["a"], ["b"]]);
    let thrown: unknown;
    try {
      paginate(["a", "b", "c"], [10, 101, 10], limits(5, 100));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ItemTooLargeError);
    expect(thrown).toMatchObject({ index: 1, bytes: 101, budget: 100 });
  });

  it("refuses inconsistent input", () => {
    expect(() => paginate(["a"], [], limits(1, 10))).toThrow(/one size per item/);
    expect(() => paginate(["a"], [1], limits(0, 10))).toThrow(/maxItems must be at least 1/);
  });

  it("appending items only adds pages: every closed page is unchanged (random sizes and limits)", () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rng = seededRandom(seed);
      const pageLimits = limits(rng.int(1, 6), rng.int(50, 300));
      const budget = pageLimits.maxBytes - pageLimits.headerReserveBytes;
      const sizes: number[] = [];
      let before: number[][] = [[]];
      for (let n = 1; n <= 80; n++) {
        sizes.push(rng.int(1, budget));
        const items = sizes.map((_, i) => i);
        const pages = paginate(items, sizes, pageLimits);
        expect(pages.slice(0, before.length - 1), `seed ${seed}, ${n} items`).toEqual(before.slice(0, -1));
        expect(pages.flat()).toEqual(items);
        for (const page of pages) {
          expect(page.length).toBeLessThanOrEqual(pageLimits.maxItems);
          expect(page.reduce((sum, i) => sum + sizes[i]!, 0)).toBeLessThanOrEqual(budget);
        }
        // Greedy: a closed page could not have taken the next item.
        pages.slice(0, -1).forEach((page, k) => {
          const next = pages[k + 1]![0]!;
          const full = page.length === pageLimits.maxItems || page.reduce((sum, i) => sum + sizes[i]!, 0) + sizes[next]! > budget;
          expect(full).toBe(true);
        });
        before = pages;
      }
    }
  });
});

describe("utf8Length", () => {
  it("counts UTF-8 bytes, not UTF-16 code units", () => {
    expect(utf8Length("")).toBe(0);
    expect(utf8Length("abc")).toBe(3);
    expect(utf8Length("é")).toBe(2);
    expect(utf8Length("中")).toBe(3);
    expect(utf8Length("🐦")).toBe(4);
    expect(utf8Length("a🐦é中")).toBe(10);
  });

  it("agrees with Buffer.byteLength on random well-formed text", () => {
    const rng = seededRandom(8);
    const alphabet = ["a", "Z", " ", "\n", "é", "ß", "Ω", "中", "€", "\uFFFD", "🐦", "𝄞", "🇫🇷", "\u0301"];
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: rng.int(0, 40) }, () => rng.pick(alphabet)).join("");
      expect(utf8Length(text), JSON.stringify(text)).toBe(Buffer.byteLength(text, "utf8"));
    }
  });
});
