/**
 * lib/publish/site-schemas.ts and the building blocks of lib/shared/schemas.ts: the shapes of the
 * profile, the lists and post front matter, with the messages describeIssues() gives people. The
 * inbox's bodies are tested in test/inbox/schemas.test.ts.
 */
import { describe, expect, it } from "vitest";
import { MINIMAL_PROFILE } from "../../lib/harness/factories.ts";
import * as siteSchemas from "../../lib/publish/site-schemas.ts";
import * as sharedSchemas from "../../lib/shared/schemas.ts";
import { describeIssues } from "../../lib/shared/schemas.ts";
import { LIMITS, OPEN_MICROBLOG_DOCS } from "../../lib/shared/spec.ts";

/** Both schema files: the building blocks and inbox bodies, and the build's shapes made of them. */
const schemas = { ...sharedSchemas, ...siteSchemas };

function issues(schema: { safeParse(value: unknown): { success: boolean; error?: { issues: readonly unknown[] } } }, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : describeIssues(result.error!.issues as Parameters<typeof describeIssues>[0]);
}

describe("profile", () => {
  it("fills the defaults: accept everyone, nobody selected, private blocks, the spec's docs", () => {
    const result = schemas.profile.parse({ ...MINIMAL_PROFILE });
    expect(result).toEqual({
      ...MINIMAL_PROFILE,
      accept: "everyone",
      selected: [],
      public_blocks: false,
      docs: OPEN_MICROBLOG_DOCS,
      hubs: [],
      links: [],
      bridgy_fed: false,
      signing_keys: [],
      require_signatures: false,
    });
  });

  it("trims text fields and refuses empty ones", () => {
    expect(schemas.profile.parse({ ...MINIMAL_PROFILE, full_name: "  Ada  " }).full_name).toBe("Ada");
    expect(issues(schemas.profile, { ...MINIMAL_PROFILE, full_name: "   " })).toEqual(["full_name: must not be empty"]);
    expect(issues(schemas.profile, { ...MINIMAL_PROFILE, bio: "x".repeat(LIMITS.bioLength + 1) })).toEqual([
      `bio: must be at most ${LIMITS.bioLength} characters`,
    ]);
  });

  it("names every missing field and unknown field", () => {
    expect(issues(schemas.profile, { username: "ada", colour: "red" }).sort()).toEqual([
      "language: is required",
      'unknown field "colour"',
      "url: is required",
      "user_id: is required",
    ]);
  });

  it("type errors say what was expected", () => {
    expect(issues(schemas.profile, { ...MINIMAL_PROFILE, public_blocks: "yes" })).toEqual(["public_blocks: must be true or false"]);
    expect(issues(schemas.profile, { ...MINIMAL_PROFILE, selected: "bob" })).toEqual(["selected: must be a list"]);
  });

  it("pictures are absolute URLs or site paths", () => {
    expect(schemas.profile.parse({ ...MINIMAL_PROFILE, portrait: "/assets/me.png", header: "https://img.example/h.jpg" })).toMatchObject({
      portrait: "/assets/me.png",
    });
    expect(issues(schemas.profile, { ...MINIMAL_PROFILE, portrait: "assets/me.png" })).toEqual([
      "portrait: must be an absolute http(s) URL or a site path starting with /",
    ]);
    expect(issues(schemas.profile, { ...MINIMAL_PROFILE, portrait: "/a b.png" })).toHaveLength(1);
  });

  it("a selected sender needs a user_id or a user_link", () => {
    expect(issues(schemas.profile, { ...MINIMAL_PROFILE, accept: "selected", selected: [{ username: "juniper" }] })).toEqual([
      "selected.0: a selected sender needs a user_id or a user_link",
    ]);
    expect(schemas.profile.parse({ ...MINIMAL_PROFILE, selected: [{ user_link: "https://j.example/feed.xml" }] }).selected).toHaveLength(1);
  });
});

describe("field schemas", () => {
  it("own username: 1-25 ASCII letters, digits, underscores", () => {
    for (const ok of ["a", "ada_99", "A".repeat(25)]) expect(schemas.ownUsername.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["", "a".repeat(26), "ada-l", "ada.l", "adä", "ada l"]) expect(schemas.ownUsername.safeParse(bad).success, bad).toBe(false);
  });

  it("other usernames are read leniently: letters of any script, digits, _ . -", () => {
    for (const ok of ["bob", "renée", "日本語", "a.b-c_d"]) expect(schemas.otherUsername.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["", "a b", "a".repeat(26), "<b>", "a@b"]) expect(schemas.otherUsername.safeParse(bad).success, bad).toBe(false);
  });

  it("own user_id is a UUID, any case", () => {
    expect(schemas.ownUserId.safeParse("3F0C2A4E-8B1D-4C55-9A0E-6D2B7C1E9F10").success).toBe(true);
    for (const bad of ["3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f1", "3f0c2a4e8b1d4c559a0e6d2b7c1e9f10", "g f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10", "12"])
      expect(schemas.ownUserId.safeParse(bad).success, bad).toBe(false);
  });

  it("other user ids: UUIDs, integers, URIs; no spaces, quotes or angle brackets; at most 128", () => {
    for (const ok of ["123", "tag:bob.example,2026:user&id=2;v", "https://bob.example/u/1", "a".repeat(128)])
      expect(schemas.otherUserId.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["", "a b", 'a"b', "<b>", "a\\b", "a".repeat(129)]) expect(schemas.otherUserId.safeParse(bad).success, bad).toBe(false);
  });

  it("status ids may be numbers in YAML and become strings", () => {
    expect(schemas.statusId.parse(17)).toBe("17");
    expect(schemas.statusId.parse("abc-1")).toBe("abc-1");
    expect(schemas.statusId.safeParse(-1).success).toBe(false);
    expect(schemas.statusId.safeParse("a b").success).toBe(false);
  });

  it("http(s) URLs only, at most 2048 characters", () => {
    expect(schemas.httpUrl.safeParse(`https://a.example/${"x".repeat(LIMITS.urlLength - 18)}`).success).toBe(true);
    expect(issues(schemas.httpUrl, `https://a.example/${"x".repeat(LIMITS.urlLength)}`)).toEqual([`must be at most ${LIMITS.urlLength} characters`]);
    expect(issues(schemas.httpUrl, "ftp://a.example/")).toEqual(["must be an absolute http:// or https:// URL"]);
  });

  it("language tags", () => {
    for (const ok of ["en", "fr", "pt-BR", "zh-Hant", "es-419"]) expect(schemas.languageTag.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["english", "e", "en_US", "en-", ""]) expect(schemas.languageTag.safeParse(bad).success, bad).toBe(false);
  });

  it("dates with a zone become epoch milliseconds", () => {
    expect(schemas.isoDateWithZone.parse("2026-03-01T10:30:00+01:00")).toBe(Date.UTC(2026, 2, 1, 9, 30));
    expect(issues(schemas.isoDateWithZone, "2026-03-01T10:30:00")).toEqual([
      '"2026-03-01T10:30:00" is not an ISO 8601 date with a time and a zone, e.g. 2026-03-01T09:30:00Z',
    ]);
    expect(issues(schemas.isoDateWithZone, undefined)).toEqual(["is required"]);
    expect(issues(schemas.isoDateWithZone, 12)).toEqual(["must be a date such as 2026-03-01T09:30:00Z"]);
  });
});

describe("list entries", () => {
  const entry = { user_id: "u-1", username: "bob", user_link: "https://bob.example/feed.xml" };

  it("user_id, username, user_link, and an optional since date", () => {
    expect(schemas.listEntry.parse(entry)).toEqual(entry);
    expect(schemas.listEntry.parse({ ...entry, since: "2026-01-03T10:00:00Z" }).since).toBe(Date.UTC(2026, 0, 3, 10));
  });

  it("unknown fields and missing fields are named", () => {
    expect(issues(schemas.listEntry, { ...entry, note: "x" })).toEqual(['unknown field "note"']);
    expect(issues(schemas.listEntry, { username: "bob" }).sort()).toEqual(["user_id: is required", "user_link: is required"]);
  });
});

describe("post front matter", () => {
  const date = "2026-01-01T09:00:00Z";

  it("only a date is required", () => {
    expect(schemas.postFrontMatter.parse({ date })).toEqual({ date: Date.UTC(2026, 0, 1, 9) });
  });

  it("id as a YAML number or a string of digits", () => {
    expect(schemas.postFrontMatter.parse({ date, id: 12 }).id).toBe(12);
    expect(schemas.postFrontMatter.parse({ date, id: "0012" }).id).toBe(12);
    for (const bad of [-1, 1.5, "12a", "1234567890123456"]) expect(schemas.postFrontMatter.safeParse({ date, id: bad }).success, String(bad)).toBe(false);
  });

  it("reply_to and repost are strict objects", () => {
    const ref = { user_id: "u1", user_link: "https://bob.example/feed.xml", status_id: 3 };
    expect(schemas.postFrontMatter.parse({ date, reply_to: ref }).reply_to).toEqual({ ...ref, status_id: "3" });
    expect(issues(schemas.postFrontMatter, { date, reply_to: { ...ref, mood: "happy" } })).toEqual(['reply_to: unknown field "mood"']);
    expect(issues(schemas.postFrontMatter, { date, repost: { ...ref, pubdate: date, text: "  " } })).toEqual(["repost.text: must not be empty"]);
  });

  it("a reply or a repost, not both", () => {
    const ref = { user_id: "u1", user_link: "https://bob.example/feed.xml", status_id: 3 };
    expect(issues(schemas.postFrontMatter, { date, reply_to: ref, repost: { ...ref, pubdate: date, text: "t" } })).toEqual([
      "a post can be a reply or a repost, not both",
    ]);
  });
});
