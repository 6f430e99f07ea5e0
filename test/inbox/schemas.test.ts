// The inbox's inputs (lib/inbox/schemas.ts): the spec's two bodies, read as the spec and real clients
// send them, and the identity fields that must not carry controls or direction overrides.
import { describe, expect, it } from "vitest";
import * as schemas from "../../lib/inbox/schemas.ts";
import { describeIssues } from "../../lib/shared/schemas.ts";
import { LIMITS } from "../../lib/shared/spec.ts";

function issues(schema: { safeParse(value: unknown): { success: boolean; error?: { issues: readonly unknown[] } } }, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : describeIssues(result.error!.issues as Parameters<typeof describeIssues>[0]);
}

describe("the spec's bodies", () => {
  const sender = { user_id: "123432", username: "someusername", user_link: "http://example.com/someusername/feed" };

  it("a message keeps its raw date and reads RFC 822 or ISO 8601", () => {
    const parsed = schemas.messageBody.parse({ ...sender, message: "hello world!", date: "Sat, 16 May 2015 21:32:15 UTC" });
    expect(parsed.date).toEqual({ raw: "Sat, 16 May 2015 21:32:15 UTC", epochMs: Date.UTC(2015, 4, 16, 21, 32, 15) });
    expect(schemas.messageBody.parse({ ...sender, message: "x", date: "2015-05-16T21:32:15Z" }).date.epochMs).toBe(Date.UTC(2015, 4, 16, 21, 32, 15));
  });

  it("refuses empty, too long or XML-unsafe messages and unreadable dates", () => {
    const base = { ...sender, date: "2015-05-16T21:32:15Z" };
    expect(issues(schemas.messageBody, { ...base, message: "  " })).toEqual(["message: must not be empty"]);
    expect(issues(schemas.messageBody, { ...base, message: "x".repeat(LIMITS.messageLength + 1) })).toEqual([
      `message: must be at most ${LIMITS.messageLength} characters`,
    ]);
    expect(issues(schemas.messageBody, { ...base, message: "a\u0000b" })).toEqual([
      "message: contains a character XML 1.0 cannot carry (a control character or an unpaired surrogate)",
    ]);
    expect(issues(schemas.messageBody, { ...sender, message: "x", date: "tomorrow" })).toEqual(["date: must be an RFC 822, ISO 8601 or RFC 3339 date"]);
  });

  it("a reply notification names the status", () => {
    expect(schemas.replyBody.parse({ ...sender, status_id: "2345-643f-ggdg" }).status_id).toBe("2345-643f-ggdg");
    expect(issues(schemas.replyBody, { ...sender, status_id: "a b" })).toEqual(["status_id: must be 1-128 URL-safe characters"]);
  });
});

describe("identity fields (user_link, date) as sent, not as a URL parser would clean them", () => {
  const sender = { user_id: "123432", username: "someusername", user_link: "http://example.com/someusername/feed" };
  it.each([
    ["a tab inside the host", "https://evil.exa\tmple/feed.xml"],
    ["a newline", "https://evil.example/feed.xml\n"],
    ["a C1 control", "https://evil.example/\u0085feed.xml"],
    ["a right-to-left override", "https://evil.example/\u202efeed.xml"],
    ["a lone surrogate", "https://evil.example/\ud800feed.xml"],
    ["a space", "https://evil.example/my feed.xml"],
  ])("refuses a user_link with %s", (_, user_link) => {
    const found = issues(schemas.replyBody, { ...sender, user_link, status_id: "1" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^user_link: /);
  });

  it("refuses a date with a control character, and a username in any script is fine", () => {
    expect(issues(schemas.messageBody, { ...sender, message: "x", date: "2015-05-16T21:32:15Z\u0000" })).toEqual([
      "date: contains a control character, a direction override or an unpaired surrogate",
    ]);
    expect(issues(schemas.messageBody, { ...sender, username: "zoë_日本", message: "x", date: "2015-05-16T21:32:15Z" })).toEqual([]);
  });
});
