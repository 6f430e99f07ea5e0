// Reply verification in the background (waitUntil) against real feeds on a loopback server
// (feed-server.ts): verified / rejected / unreachable, stored with a detail and a time.
import { beforeEach, describe, expect, inject, it } from "vitest";
import type { WorkerOptions as AppOptions } from "../../lib/worker-kit/env.ts";
import { allRows, clearInbox, FIXED_NOW, replyFrom, replyPath, send, testApp, testEnv } from "../worker/support/inbox.ts";
import { BOB_STATUS, feedServer, IMPOSTOR_CLAIM, PAGED_STATUS, type Person, SITES, siteFeedUrl } from "../worker/support/people.ts";

const port = inject("feedServerPort");
const server = feedServer(port);
const bob: Person = { ...SITES.bob, user_link: siteFeedUrl(port, "bob") };
const paged: Person = { ...SITES.paged, user_link: siteFeedUrl(port, "paged") };
/** Loopback is private: npm start's switch lets the verifier reach it. */
const loopbackEnv = testEnv({ FETCH_ALLOW_LOOPBACK: "true" });

interface ReplyRow {
  verification: string;
  verification_detail: string | null;
  verified_at: string | null;
}

beforeEach(clearInbox);

/** POST a reply to our post `postId`, wait for the background verification, return the stored row. */
async function verify(sender: Person, statusId: string, postId = 3, options: AppOptions = {}, env = loopbackEnv): Promise<ReplyRow> {
  const { response, settled } = await send(testApp(undefined, options), replyPath(postId), replyFrom(sender, statusId), { env });
  expect(response.status).toBe(201);
  await settled();
  const rows = await allRows<ReplyRow & { status_id: string }>("replies");
  const row = rows.find((r) => r.status_id === statusId);
  if (!row) throw new Error(`no stored reply for status ${statusId}`);
  return { verification: row.verification, verification_detail: row.verification_detail, verified_at: row.verified_at };
}

describe("verified", () => {
  it("an item whose in_reply_to_status_id is our post and in_reply_to_user_id is us", async () => {
    const row = await verify(bob, BOB_STATUS.replyToPost3);
    expect(row).toEqual({ verification: "verified", verification_detail: "item 11 replies to post 3", verified_at: "2026-03-01T12:00:30Z" });
  });

  it("a reply naming us only by in_reply_to_user_link, spelled differently (http, upper case, trailing slash)", async () => {
    expect((await verify(bob, BOB_STATUS.replyByLink)).verification).toBe("verified");
  });

  it("a mention of @ada in the item's text", async () => {
    const row = await verify(bob, BOB_STATUS.mentionByName);
    expect(row.verification).toBe("verified");
    expect(row.verification_detail).toBe("item 12 mentions @ada");
  });

  it("a mention by a link to the post's permalink", async () => {
    expect((await verify(bob, BOB_STATUS.mentionByPermalink, 4)).verification).toBe("verified");
  });

  it("an item found by following next_node to the 4th page", async () => {
    expect((await verify(paged, PAGED_STATUS.onPage4)).verification).toBe("verified");
  });

  it("a feed behind 3 redirects (the most allowed)", async () => {
    const row = await verify({ ...bob, user_link: `${server}/hops/3/feed.xml` }, BOB_STATUS.replyToPost3);
    expect(row.verification).toBe("verified");
  });
});

describe("rejected", () => {
  it("an item that neither replies to the post nor mentions us", async () => {
    const row = await verify(bob, BOB_STATUS.plain);
    expect(row).toEqual({
      verification: "rejected",
      verification_detail: "item 10 neither replies to post 3 nor mentions @ada",
      verified_at: "2026-03-01T12:00:30Z",
    });
  });

  it("a reply to a different post of ours", async () => {
    expect((await verify(bob, BOB_STATUS.replyToPost2)).verification).toBe("rejected");
  });

  it("a reply to someone else's status 3 that says @adam, not @ada", async () => {
    expect((await verify(bob, BOB_STATUS.replyToOther)).verification).toBe("rejected");
  });

  it("a status id that is not in the feed", async () => {
    const row = await verify(bob, "999");
    expect(row.verification).toBe("rejected");
    expect(row.verification_detail).toMatch(/^no item with guid 999 in the 1 feed page read/);
  });

  it("an item beyond the 5-page cap", async () => {
    const row = await verify(paged, PAGED_STATUS.onPage6);
    expect(row.verification).toBe("rejected");
    expect(row.verification_detail).toContain("in the 5 feed pages read");
  });

  it("a feed whose channel user_id is not the sender's", async () => {
    const claimant: Person = { ...IMPOSTOR_CLAIM, user_link: siteFeedUrl(port, "impostor") };
    const row = await verify(claimant, "0");
    expect(row.verification).toBe("rejected");
    expect(row.verification_detail).toContain(`belongs to user_id ${SITES.impostor.user_id}`);
  });

  it("a loopback feed when private addresses are not allowed (the default)", async () => {
    let fetched = 0;
    const countingFetch: typeof fetch = (input, init) => {
      fetched++;
      return fetch(input, init);
    };
    const row = await verify(bob, BOB_STATUS.replyToPost3, 3, { fetch: countingFetch }, testEnv());
    expect(row.verification).toBe("rejected");
    expect(row.verification_detail).toBe(`127.0.0.1:${port} is a loopback address; it is not fetched`);
    expect(fetched).toBe(0);
  });

  it("a redirect from a public address to a private one, checked again on that hop", async () => {
    const requested: string[] = [];
    // A stand-in for the public internet: one public feed URL that redirects to the metadata address.
    const network: typeof fetch = async (input) => {
      const url = String(input instanceof Request ? input.url : input);
      requested.push(url);
      return new Response(null, { status: 302, headers: { Location: "http://169.254.169.254/latest/meta-data/" } });
    };
    const sender: Person = { ...bob, user_link: "https://bob.example/feed.xml" };
    const row = await verify(sender, BOB_STATUS.replyToPost3, 3, { fetch: network }, testEnv());
    expect(row.verification).toBe("rejected");
    expect(row.verification_detail).toBe("169.254.169.254 is a link-local address; it is not fetched");
    expect(requested).toEqual(["https://bob.example/feed.xml"]);
  });
});

describe("unreachable", () => {
  const at = (path: string): Person => ({ ...bob, user_link: `${server}${path}` });

  it.each([
    ["an HTTP 500", "/status/500", /answered HTTP 500$/],
    ["a 404", "/status/404", /answered HTTP 404$/],
    ["a redirect loop", "/loop/a.xml", /^redirect loop at /],
    ["more than 3 redirects", "/hops/4/feed.xml", /^more than 3 redirects from /],
    ["a 1.5 MB body streamed without Content-Length", "/huge-chunked.xml", /is larger than 1048576 bytes$/],
    ["a 1.5 MB body with Content-Length", "/huge-declared.xml", /is larger than 1048576 bytes$/],
    ["random bytes", "/garbage.xml", /is not a readable RSS feed/],
    ["an HTML page", "/html", /is not a readable RSS feed: .*not <rss>|is not a readable RSS feed/],
  ])("%s", async (_, path, detail) => {
    const row = await verify(at(path), BOB_STATUS.replyToPost3);
    expect(row.verification).toBe("unreachable");
    expect(row.verification_detail).toMatch(detail);
  });

  it("a server that sends half a feed and stalls (time cap; shortened here)", async () => {
    const row = await verify(at("/slow-body.xml"), BOB_STATUS.replyToPost3, 3, { verifyBudget: { durationMs: 300 } });
    expect(row.verification).toBe("unreachable");
    expect(row.verification_detail).toMatch(/did not answer within 0.3 s$/);
  });

  it("a server that never answers", async () => {
    const row = await verify(at("/slow-headers.xml"), BOB_STATUS.replyToPost3, 3, { verifyBudget: { durationMs: 300 } });
    expect(row.verification).toBe("unreachable");
    expect(row.verification_detail).toMatch(/did not answer within 0.3 s$/);
  });

  // workerd logs the refused connection ("Network connection lost") even though the verifier catches it.
  it("a port nobody listens on", async () => {
    const row = await verify({ ...bob, user_link: "http://127.0.0.1:9/feed.xml" }, BOB_STATUS.replyToPost3);
    expect(row.verification).toBe("unreachable");
    expect(row.verification_detail).toMatch(/could not be fetched/);
  });
});

describe("re-verification", () => {
  it("a duplicate of a reply left unreachable is checked again, and can then be verified", async () => {
    const key = `k${FIXED_NOW}a`;
    const flaky: Person = { ...bob, user_link: `${server}/flaky/${key}/feed.xml` };
    expect((await verify(flaky, BOB_STATUS.replyToPost3)).verification).toBe("unreachable");
    await fetch(`${server}/control/up/${key}`);
    const row = await verify(flaky, BOB_STATUS.replyToPost3);
    expect(row.verification).toBe("verified");
    expect(await allRows("replies")).toHaveLength(1);
  });

  it("a duplicate of a rejected reply is not fetched again", async () => {
    let fetched = 0;
    const countingFetch: typeof fetch = (input, init) => {
      fetched++;
      return fetch(input, init);
    };
    await verify(bob, BOB_STATUS.plain, 3, { fetch: countingFetch });
    const afterFirst = fetched;
    const row = await verify(bob, BOB_STATUS.plain, 3, { fetch: countingFetch });
    expect(afterFirst).toBe(1);
    expect(fetched).toBe(1);
    expect(row.verification).toBe("rejected");
  });
});
