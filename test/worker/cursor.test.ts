// The one base64url of the Worker's URLs (lib/worker-kit/cursor.ts), in workerd's own atob/btoa:
// cursors handed out earlier stay readable, a cursor of one list is never read as another's, and
// anything that is not base64url of UTF-8 is refused, not thrown.
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, fromBase64Url, idCursor, idFromCursor, toBase64Url } from "../../lib/worker-kit/cursor.ts";

describe("cursors", () => {
  it("are unpadded base64url of tag:fields, as the lists have always handed them out", () => {
    expect(idCursor("outbox", 42)).toBe(btoa("outbox:42").replace(/=+$/, ""));
    expect(encodeCursor("t", 1_700_000_000_000, 7)).toBe(btoa("t:1700000000000:7").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"));
    expect(decodeCursor("t", encodeCursor("t", 1_700_000_000_000, 7))).toEqual(["1700000000000", "7"]);
  });

  it("read only their own tag, one positive id, nothing else", () => {
    expect(idFromCursor("messages", idCursor("messages", 42))).toBe(42);
    expect(idFromCursor("replies", idCursor("messages", 42))).toBeUndefined();
    expect(idFromCursor("messages", idCursor("messages", 0))).toBeUndefined();
    expect(idFromCursor("messages", encodeCursor("messages", 4, 2))).toBeUndefined();
    for (const junk of ["", "bm90LWEtY3Vyc29y", "!!!", "a", "bWVzc2FnZXM6NDI=x", "%2F"]) expect(idFromCursor("messages", junk)).toBeUndefined();
  });
});

describe("text in a URL (the owner pages' conversation key)", () => {
  it("round-trips any UTF-8, slashes and + included, with no padding and no URL-unsafe character", () => {
    for (const text of ["https://bob.example/feed.xml", "https://例え.jp/フィード?a=1&b=2", "a", "ab", "abc", "\u{1F600}/+?"]) {
      const encoded = toBase64Url(text);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(fromBase64Url(encoded)).toBe(text);
    }
  });

  it("refuses bytes that are not UTF-8 and characters outside base64url", () => {
    expect(fromBase64Url(btoa("\xff\xfe").replace(/=+$/, ""))).toBeUndefined();
    expect(fromBase64Url("ab+c")).toBeUndefined();
    expect(fromBase64Url("ab/c")).toBeUndefined();
  });
});
