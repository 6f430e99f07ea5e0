// Who may write to the inbox: accept=everyone|follows|selected|off x follower|selected|stranger|blocked,
// for both endpoints; matching by user_id or by normalized user_link; blocked beats everything.
import { beforeEach, describe, expect, it } from "vitest";
import type { AcceptPolicy } from "../../lib/shared/spec.ts";
import { clearInbox, countRows, followedAccount, messageFrom, owner, replyFrom, replyPath, send, testApp, testConfig } from "../worker/support/inbox.ts";
import { BLOCKED, FOLLOWED, type Person, SELECTED, STRANGER } from "../worker/support/people.ts";

beforeEach(clearInbox);

type Expected = 201 | 403;
const MATRIX: [AcceptPolicy, Person, Expected][] = [
  ["everyone", FOLLOWED, 201],
  ["everyone", SELECTED, 201],
  ["everyone", STRANGER, 201],
  ["everyone", BLOCKED, 403],
  ["follows", FOLLOWED, 201],
  ["follows", SELECTED, 403],
  ["follows", STRANGER, 403],
  ["follows", BLOCKED, 403],
  ["selected", FOLLOWED, 201],
  ["selected", SELECTED, 201],
  ["selected", STRANGER, 403],
  ["selected", BLOCKED, 403],
];

describe.each(["message", "reply"] as const)("policy matrix for %s", (kind) => {
  it.each(MATRIX)(`accept=%s, sender %o -> %i`, async (accept, sender, expected) => {
    const app = testApp(testConfig({ accept }));
    const { response } = kind === "message" ? await send(app, "/api/message", messageFrom(sender)) : await send(app, replyPath(3), replyFrom(sender, "42"));
    expect(response.status).toBe(expected);
    if (expected === 403) expect(await response.text()).toBe("");
    expect(await countRows(kind === "message" ? "messages" : "replies")).toBe(expected === 201 ? 1 : 0);
  });
});

describe("matching", () => {
  it("matches a follower by user_id even when the user_link differs", async () => {
    const app = testApp(testConfig({ accept: "follows" }));
    const { response } = await send(app, "/api/message", messageFrom({ ...FOLLOWED, user_link: "https://fern.moved.example/feed.xml" }));
    expect(response.status).toBe(201);
  });

  it("matches a follower by user_link even when the user_id differs, however the link is spelled", async () => {
    const app = testApp(testConfig({ accept: "follows" }));
    for (const [i, link] of ["https://fern.example/feed.xml", "http://FERN.example/feed.xml/", "https://fern.example:443/feed.xml#top"].entries()) {
      const { response } = await send(app, "/api/message", messageFrom({ ...FOLLOWED, user_id: `new-id-${i}`, user_link: link }));
      expect(response.status, link).toBe(201);
    }
    expect(await countRows("messages")).toBe(3);
  });

  it("does not match a link that only shares a prefix", async () => {
    const app = testApp(testConfig({ accept: "follows" }));
    const { response } = await send(app, "/api/message", messageFrom({ ...STRANGER, user_link: "https://fern.example/feed.xml.evil" }));
    expect(response.status).toBe(403);
  });

  it("blocks by user_id alone and by user_link alone, even under accept=everyone", async () => {
    const app = testApp(testConfig({ accept: "everyone" }));
    const byId = await send(app, "/api/message", messageFrom({ ...BLOCKED, user_link: "https://fresh.example/feed.xml" }));
    const byLink = await send(app, replyPath(3), replyFrom({ ...BLOCKED, user_id: "a-brand-new-id" }, "1"));
    expect([byId.response.status, byLink.response.status]).toEqual([403, 403]);
    expect((await countRows("messages")) + (await countRows("replies"))).toBe(0);
  });

  it("blocked beats followed: someone in both lists is refused", async () => {
    const config = testConfig({ accept: "follows" });
    config.follows.push(followedAccount(BLOCKED));
    const { response } = await send(testApp(config), "/api/message", messageFrom(BLOCKED));
    expect(response.status).toBe(403);
  });
});

describe("accept=off", () => {
  const app = testApp(testConfig({ accept: "off" }));

  it("has no message endpoint and no reply endpoints: 404 whatever the method or body", async () => {
    const statuses = [
      (await send(app, "/api/message", messageFrom(FOLLOWED))).response.status,
      (await send(app, replyPath(3), replyFrom(FOLLOWED, "1"))).response.status,
      (await send(app, "/api/message", undefined, { method: "GET", contentType: null })).response.status,
      (await send(app, "/api/message", "not json", { contentType: "text/plain" })).response.status,
    ];
    expect(statuses).toEqual([404, 404, 404, 404]);
    expect((await countRows("messages")) + (await countRows("replies"))).toBe(0);
  });

  it("still lets the owner read what arrived before", async () => {
    const response = await owner(app, "/api/inbox");
    expect(response.status).toBe(200);
  });
});
