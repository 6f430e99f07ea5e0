// Private messages from the owner (POST /api/outbox/messages, lib/outbox/send-message.ts): the
// recipient found by feed URL, profile URL, @username in follows or a received message; the spec's
// JSON dated in RFC 822; the courteous checks before any POST; one clear answer; the sent message
// stored with the received ones; transient failures queued for the job. Real local D1, real
// loopback receivers that record every POST (test/worker/support/feed-server-outbox.ts).
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { InboxMessage, ListPage, OutboxItem, OutboxSendAnswer } from "../../lib/shared/api-types.ts";
import { parseRfc822 } from "../../lib/shared/dates.ts";
import { followedAccount, meteredEnv, owner, problemOf, testApp } from "../worker/support/worker.ts";
import { ME } from "./sites.ts";
import {
  answerNext,
  base,
  clearOutbox,
  iso,
  MINUTE,
  outboxConfig,
  outboxEnv,
  outboxItems,
  ownFeed,
  type Receiver,
  receivedBy,
  receiver,
  runOutbox,
} from "./support.ts";

const NOW = Date.UTC(2026, 2, 1, 12, 0, 30);

beforeEach(clearOutbox);

function app(follows: Receiver[] = []) {
  const config = outboxConfig(undefined, ownFeed("full"), {
    follows: follows.map((r) => followedAccount({ user_id: r.user_id, username: r.username, user_link: r.user_link })),
  });
  return { config, app: testApp(config, { now: () => NOW }) };
}

async function sendTo(body: Record<string, unknown>, options: { follows?: Receiver[]; env?: ReturnType<typeof outboxEnv> } = {}) {
  return owner(
    app(options.follows).app,
    "/api/outbox/messages",
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) },
    undefined,
    options.env ?? outboxEnv(),
  );
}

async function messages(): Promise<InboxMessage[]> {
  const response = await owner(testApp(), "/api/inbox/messages", {}, undefined, outboxEnv());
  return ((await response.json()) as ListPage<InboxMessage>).items;
}

async function receivedMessage(from: Receiver, userId = from.user_id): Promise<number> {
  const { meta } = await env.DB.prepare(
    `INSERT INTO messages (direction, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, sent_at_raw, sent_at_iso, received_at)
     VALUES ('received', ?1, ?2, ?3, ?3, 'hi there', 'Sun, 01 Mar 2026 11:00:00 +0000', '2026-03-01T11:00:00Z', '2026-03-01T11:00:01Z')`,
  )
    .bind(userId, from.username, from.user_link)
    .run();
  return meta.last_row_id;
}

describe("a message that is delivered", () => {
  it("to a feed URL: 201, the spec's JSON dated in RFC 822 (+0000), stored as sent in the inbox and the outbox", async () => {
    const bob = receiver("open", "m");
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true", ASSETS: undefined });
    const response = await sendTo({ recipient: bob.user_link, text: "Hello Bob!" }, { env: metered });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as OutboxSendAnswer;
    expect(answer).toMatchObject({ outcome: "sent", detail: `sent to @${bob.username} (${base}/t/${bob.name}/api/message answered 201)` });
    const date = "Sun, 01 Mar 2026 12:00:30 +0000";
    expect(await receivedBy(bob)).toEqual([
      {
        path: `/t/${bob.name}/api/message`,
        body: { user_id: ME.user_id, username: ME.username, user_link: ownFeed("full"), message: "Hello Bob!", date },
      },
    ]);
    expect(parseRfc822(date)).toBe(NOW);
    expect(answer.item).toMatchObject({ kind: "message", state: "sent", attempts: 1, http_status: 201, message: "Hello Bob!", date, user_id: bob.user_id });
    const [stored] = await messages();
    expect(stored).toMatchObject({
      id: answer.item.message_id,
      direction: "sent",
      user_id: bob.user_id,
      username: bob.username,
      user_link: bob.user_link,
      message: "Hello Bob!",
      date,
      read_at: iso(NOW),
    });
    // The outbox row (1) and the message with its idempotency index (2).
    expect(usage.rowsWritten).toBe(3);
  });

  it("to a profile URL: its page's RSS link leads to the feed", async () => {
    const bob = receiver("open", "n");
    expect((await sendTo({ recipient: bob.profile, text: "Found you" })).status).toBe(201);
    expect(await receivedBy(bob)).toHaveLength(1);
  });

  it("to @username of an account in follows.yaml (any case)", async () => {
    const bob = receiver("open", "o");
    const response = await sendTo({ recipient: `@${bob.username.toUpperCase()}`, text: "By name" }, { follows: [bob] });
    expect(response.status).toBe(201);
    expect(await receivedBy(bob)).toHaveLength(1);
  });

  it("as an answer to a received message: to its sender's message URL; both sides in one conversation", async () => {
    const bob = receiver("open", "p");
    const id = await receivedMessage(bob);
    const response = await sendTo({ reply_to: id, text: "Hi back" });
    expect(response.status).toBe(201);
    expect((await receivedBy(bob)).map((r) => r.body.message)).toEqual(["Hi back"]);
    expect((await messages()).map((m) => [m.direction, m.user_link, m.message])).toEqual([
      ["sent", bob.user_link, "Hi back"],
      ["received", bob.user_link, "hi there"],
    ]);
  });

  it('to an account whose feed relocates (spec "Relocation"): to the new feed\'s message URL, never the old one', async () => {
    const moved = receiver("moved", "m");
    const home = receiver("newhome", "m");
    const response = await sendTo({ recipient: moved.user_link, text: "Where did you go?" });
    expect(response.status).toBe(201);
    const answer = (await response.json()) as OutboxSendAnswer;
    expect(answer.detail).toContain(`their feed ${moved.user_link} relocates to ${home.user_link}, so it went there`);
    expect(await receivedBy(moved)).toEqual([]);
    expect((await receivedBy(home)).map((r) => [r.path, r.body.message])).toEqual([[`/t/${home.name}/api/message`, "Where did you go?"]]);
    expect(answer.item).toMatchObject({ user_id: home.user_id, user_link: home.user_link });
    // Given as a profile page, the feed it links to relocates just the same.
    expect((await sendTo({ recipient: receiver("moved", "n").profile, text: "Again" })).status).toBe(201);
    expect(await receivedBy(receiver("newhome", "n"))).toHaveLength(1);
  });

  it('to accept="follows" when their follows list names us', async () => {
    const friend = receiver("friend", "m");
    expect((await sendTo({ recipient: friend.user_link, text: "Friends" })).status).toBe(201);
  });
});

describe("a message that is not sent: one clear line, no POST, nothing stored", () => {
  async function refused(body: Record<string, unknown>, status: number, detail: string | RegExp, to?: Receiver, follows?: Receiver[]) {
    const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true", ASSETS: undefined });
    const response = await sendTo(body, { env: metered, ...(follows ? { follows } : {}) });
    expect(response.status).toBe(status);
    const problem = await problemOf(response);
    if (typeof detail === "string") expect(problem.detail).toBe(detail);
    else expect(problem.detail).toMatch(detail);
    expect(usage.rowsWritten).toBe(0);
    if (to) expect(await receivedBy(to)).toEqual([]);
    expect(await outboxItems()).toEqual([]);
  }

  it('accept="off": no message URL', async () => {
    const closed = receiver("closed", "m");
    await refused(
      { recipient: closed.user_link, text: "Anyone?" },
      422,
      `@${closed.username} takes no private messages: their feed has no message URL; nothing was sent`,
      closed,
    );
  });

  it('accept="follows" and they do not follow us', async () => {
    const cold = receiver("cold", "m");
    await refused(
      { recipient: cold.user_link, text: "Hello?" },
      403,
      `@${cold.username} accepts only accounts they follow (accept="follows") and do not follow you; nothing was sent`,
      cold,
    );
  });

  it("their public blocks list names us", async () => {
    const blocker = receiver("blocker", "m");
    await refused(
      { recipient: blocker.user_link, text: "Hello?" },
      403,
      `@${blocker.username} blocks you (their public blocks list names you); nothing was sent`,
      blocker,
    );
  });

  it("@username of nobody in follows.yaml", async () => {
    await refused({ recipient: "@nobody", text: "Hello?" }, 400, "recipient: no account @nobody in follows.yaml; give their feed URL or profile URL instead");
  });

  it("a feed that cannot be read", async () => {
    await refused({ recipient: `${base}/t/nothing-here/feed.xml`, text: "Hello?" }, 422, /answered HTTP 404; nothing was sent to http:/);
  });

  it("a page that links to no feed", async () => {
    await refused({ recipient: `${base}/control/log/x`, text: "Hello?" }, 422, /is neither a feed nor a web page/);
  });

  it("an answer to a message we sent, to no message, or to a sender whose feed is someone else's", async () => {
    await refused({ reply_to: 999, text: "Hi" }, 404, "there is no message 999");
    const bob = receiver("open", "q");
    const impostor = await receivedMessage(bob, "00000000-0000-4000-8000-0000000000aa");
    await refused(
      { reply_to: impostor, text: "Hi" },
      422,
      `the feed at ${bob.user_link} belongs to user_id ${bob.user_id}, not 00000000-0000-4000-8000-0000000000aa who wrote message ${impostor}; nothing was sent`,
      bob,
    );
  });

  it("bad requests: 400 naming the field, before anything is fetched", async () => {
    await refused({ recipient: "bob", text: "Hi" }, 400, /^recipient: must be a feed URL, a profile URL/);
    await refused({ recipient: "https://x.example/feed.xml", text: "   " }, 400, "text: must not be empty");
    await refused({ recipient: "https://x.example/feed.xml", reply_to: 3, text: "Hi" }, 400, /give either recipient .* or reply_to/);
    await refused({ text: "Hi" }, 400, /give either recipient/);
    await refused({ recipient: "https://x.example/feed.xml", text: "x".repeat(5001) }, 400, "text: must be at most 5000 characters");
    await refused({ recipient: "https://x.example/feed.xml", text: "Hi", extra: 1 }, 400, 'unknown field "extra"');
  });
});

describe("their answer", () => {
  it('accept="selected": a 403 is kept as refused and remembered; the next message is not sent; retry asks once more', async () => {
    const picky = receiver("picky", "m");
    await answerNext(picky, 403);
    const first = await sendTo({ recipient: picky.user_link, text: "May I?" });
    expect(first.status).toBe(403);
    const [row] = await outboxItems();
    expect((await problemOf(first)).detail).toBe(
      `@${picky.username} refused the message (${base}/t/${picky.name}/api/message answered 403 Forbidden: scripted 403); it is kept as outbox ${row?.id}, and Skein will not send it again unless you retry it`,
    );
    expect(row).toMatchObject({ kind: "message", state: "refused", http_status: 403, message: "May I?", message_id: null });
    expect(await messages()).toEqual([]);

    const second = await sendTo({ recipient: picky.user_link, text: "Please?" });
    expect(second.status).toBe(403);
    expect((await problemOf(second)).detail).toBe(
      `@${picky.username} accepts messages only from accounts they selected (accept="selected") and refused you on 2026-03-01; nothing was sent. If they have selected you since: npm run outbox -- retry ${row?.id}`,
    );
    expect(await receivedBy(picky)).toHaveLength(1);

    // They selected us since; the owner retries the refused one, and the job sends it.
    const retried = await owner(testApp(), `/api/outbox/${row?.id}/retry`, { method: "POST" }, undefined, outboxEnv());
    expect(retried.status).toBe(200);
    expect((await retried.json()) as OutboxItem).toMatchObject({ state: "queued", attempts: 0 });
    await runOutbox(outboxConfig(undefined), NOW + MINUTE);
    expect((await outboxItems())[0]).toMatchObject({ state: "sent", http_status: 201 });
    expect((await receivedBy(picky)).map((r) => r.body.message)).toEqual(["May I?", "May I?"]);
    // Now they took us: a new message goes.
    expect((await sendTo({ recipient: picky.user_link, text: "Thanks!" })).status).toBe(201);
  });

  it("5xx: 202, queued; the job sends it again with the same date, then stores it as sent", async () => {
    const bob = receiver("open", "r");
    await answerNext(bob, 503);
    const response = await sendTo({ recipient: bob.user_link, text: "Are you there?" });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as OutboxSendAnswer;
    expect(answer.outcome).toBe("queued");
    expect(answer.detail).toBe(
      `not delivered yet: ${base}/t/${bob.name}/api/message answered 503: scripted 503; Skein tries again at ${iso(NOW + 2 * MINUTE)} (npm run outbox shows it as ${answer.item.id})`,
    );
    expect(await messages()).toEqual([]);
    expect((await runOutbox(outboxConfig(undefined), NOW + MINUTE)).jobs[0]?.summary).toBe("nothing to send");
    expect((await runOutbox(outboxConfig(undefined), NOW + 2 * MINUTE)).jobs[0]?.summary).toBe("tried 1: 1 sent");
    const [first, second] = await receivedBy(bob);
    expect(second?.body).toEqual(first?.body);
    const [row] = await outboxItems();
    expect(row).toMatchObject({ state: "sent", attempts: 2, http_status: 201 });
    const [stored] = await messages();
    expect(stored).toMatchObject({ id: row?.message_id, direction: "sent", message: "Are you there?", date: first?.body.date });
    expect((await runOutbox(outboxConfig(undefined), NOW + 3 * MINUTE, { all: true })).jobs[0]?.summary).toBe("nothing to send");
  });

  it("nobody listening at their message URL: 202, queued", async () => {
    const dead = receiver("dead", "m");
    expect((await sendTo({ recipient: dead.user_link, text: "Hello?" })).status).toBe(202);
    expect((await outboxItems())[0]).toMatchObject({ state: "queued", attempts: 1 });
  });

  it("another 4xx: 422 with their reason, kept as failed", async () => {
    const bob = receiver("open", "s");
    await answerNext(bob, 400);
    const response = await sendTo({ recipient: bob.user_link, text: "Hm" });
    expect(response.status).toBe(422);
    expect((await problemOf(response)).detail).toMatch(
      /^@opens's server did not take the message \(.* answered 400: scripted 400\); it is kept as outbox \d+$/,
    );
    expect((await outboxItems())[0]).toMatchObject({ state: "failed", http_status: 400 });
  });
});

describe("the owner's lock", () => {
  it("without the owner token: 401, nothing fetched", async () => {
    const bob = receiver("open", "t");
    const response = await owner(
      app().app,
      "/api/outbox/messages",
      { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ recipient: bob.user_link, text: "x" }) },
      null,
      outboxEnv(),
    );
    expect(response.status).toBe(401);
    expect(await receivedBy(bob)).toEqual([]);
  });
});
