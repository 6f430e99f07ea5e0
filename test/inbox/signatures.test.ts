// Signed messages and notifications (docs/signing.md, RFC 9421 + RFC 9530): the inbox verifies a
// signature with the keys the claimed user_link's head feed publishes (real feeds from a loopback
// server, support/feed-server-signing.ts), marks each item signed or not proven, and refuses a
// tampered, old, replayed or wrongly keyed request with a 4xx that writes no D1 row.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { base64url, importSigningKey, signRequest } from "../../lib/shared/http-signatures.ts";
import type { PublishedKey } from "../../lib/shared/signing-keys.ts";
import { normalizeUserLink } from "../../lib/shared/urls.ts";
import {
  clearInbox,
  FIXED_NOW,
  followedAccount,
  messageFrom,
  meteredEnv,
  OWNER_TOKEN,
  owner,
  problemOf,
  replyFrom,
  replyPath,
  send,
  testApp,
  testConfig,
} from "../worker/support/inbox.ts";
import type { Person } from "../worker/support/people.ts";

const base = `http://127.0.0.1:${inject("signingServerPort")}`;
const site = (name: string): Person => ({
  user_id: `00000000-0000-4000-8000-${name.padStart(12, "0")}`,
  username: name,
  user_link: `${base}/${name}/feed.xml`,
});
const BEE = site("bee");
const MALLORY = site("mallory");
const ROTA = site("rota");

interface Pair {
  secret: string;
  publicKey: string;
}

async function newPair(): Promise<Pair> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return { secret: base64url(pkcs8), publicKey: base64url(raw) };
}

async function publish(person: Person, keys: PublishedKey[]): Promise<void> {
  const answer = await fetch(`${base}/control/keys/${person.username}`, { method: "PUT", body: JSON.stringify(keys) });
  expect(answer.status).toBe(204);
}

const keyFetches = async (person: Person) => Number(await (await fetch(`${base}/control/fetches/${person.username}`)).text());

let now = FIXED_NOW;
const config = testConfig({ follows: [followedAccount(BEE), followedAccount(ROTA)] });
const app = testApp(config, { now: () => now });
const strict = testApp({ ...config, signing: { keys: [], require_signatures: true } }, { now: () => now });

/** Headers of a request signed with `pair` as `keyId` (default: the body's user_link), created at `at`. */
async function signed(path: string, body: string, pair: Pair, keyId: string, at = now): Promise<Record<string, string>> {
  const key = await importSigningKey(pair.secret);
  return signRequest({ method: "POST", url: `http://localhost${path}`, body: new TextEncoder().encode(body) }, { privateKey: key!.privateKey, keyId }, at);
}

async function post(path: string, body: string, headers: Record<string, string> = {}, which = app, extraEnv = {}) {
  const { env: metered, usage } = meteredEnv({ FETCH_ALLOW_LOOPBACK: "true", ...extraEnv });
  const { response, settled } = await send(which, path, body, { env: metered, headers });
  await settled();
  return { response, usage };
}

async function inboxMessages() {
  const answer = await owner(app, "/api/inbox/messages", {}, OWNER_TOKEN, meteredEnv().env);
  return ((await answer.json()) as { items: { message: string; proof: string; signed_by: string | null }[] }).items;
}

let bee: Pair;
beforeEach(async () => {
  now = FIXED_NOW;
  await clearInbox();
  await env.DB.batch([env.DB.prepare("DELETE FROM signing_keys"), env.DB.prepare("DELETE FROM inbox_daily")]);
  bee = await newPair();
  await publish(BEE, [{ key: bee.publicKey }]);
});

describe("signed messages", () => {
  it("a message signed with the key its feed publishes is stored as signed by that feed; the key is fetched once, then cached", async () => {
    const before = await keyFetches(BEE);
    const first = JSON.stringify(messageFrom(BEE, "signed one"));
    const { response, usage } = await post("/api/message", first, await signed("/api/message", first, bee, BEE.user_link));
    expect(response.status).toBe(201);
    // The message's row and its index, and the sender's keys (one row, once).
    expect(usage.rowsWritten).toBe(3);
    const second = JSON.stringify(messageFrom(BEE, "signed two"));
    const again = await post("/api/message", second, await signed("/api/message", second, bee, BEE.user_link));
    expect(again.response.status).toBe(201);
    expect(again.usage.rowsWritten).toBe(2);
    expect((await keyFetches(BEE)) - before).toBe(1);
    const items = await inboxMessages();
    expect(items.map((item) => [item.message, item.proof, item.signed_by])).toEqual([
      ["signed two", "signed", normalizeUserLink(BEE.user_link)],
      ["signed one", "signed", normalizeUserLink(BEE.user_link)],
    ]);
  });

  it("an unsigned message claiming a followed account is accepted, marked not proven", async () => {
    const body = JSON.stringify(messageFrom(BEE, "who knows"));
    expect((await post("/api/message", body)).response.status).toBe(201);
    expect((await inboxMessages()).map((item) => [item.message, item.proof, item.signed_by])).toEqual([["who knows", "not_proven", null]]);
  });

  it("a signed reply notification is stored as signed", async () => {
    const body = JSON.stringify(replyFrom(BEE, "7"));
    const { response } = await post(replyPath(3), body, await signed(replyPath(3), body, bee, BEE.user_link));
    expect(response.status).toBe(201);
    const answer = await owner(app, "/api/inbox/replies", {}, OWNER_TOKEN, meteredEnv().env);
    const items = ((await answer.json()) as { items: { proof: string; signed_by: string }[] }).items;
    expect(items.map((item) => [item.proof, item.signed_by])).toEqual([["signed", normalizeUserLink(BEE.user_link)]]);
  });
});

describe("a row stored unsigned, then proven", () => {
  /** Bee's keys cached by one signed message first, so what follows counts only the upgrade. */
  async function keysCached(): Promise<void> {
    const body = JSON.stringify(messageFrom(BEE, "warming the key cache"));
    expect((await post("/api/message", body, await signed("/api/message", body, bee, BEE.user_link))).response.status).toBe(201);
  }

  it("a signed duplicate of an unsigned message marks that row signed, writing one row; a later fresh signature writes none", async () => {
    await keysCached();
    // Someone claimed Bee (id and name) unsigned, with a feed of their own; then Bee sends the same message, signed.
    const claimed = JSON.stringify(messageFrom({ ...BEE, username: "bee-ish", user_link: "https://elsewhere.example/feed.xml" }, "same words"));
    expect((await post("/api/message", claimed)).response.status).toBe(201);
    expect((await inboxMessages()).find((item) => item.message === "same words")).toMatchObject({ proof: "not_proven", signed_by: null });
    const real = JSON.stringify(messageFrom(BEE, "same words"));
    const upgraded = await post("/api/message", real, await signed("/api/message", real, bee, BEE.user_link));
    expect(upgraded.response.status).toBe(201);
    expect(upgraded.usage.rowsWritten).toBe(1);
    const rows = (await inboxMessages()).filter((item) => item.message === "same words") as {
      proof: string;
      signed_by: string;
      username?: string;
      user_link?: string;
    }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ proof: "signed", signed_by: normalizeUserLink(BEE.user_link), username: BEE.username, user_link: BEE.user_link });
    now += 1_000;
    const again = await post("/api/message", real, await signed("/api/message", real, bee, BEE.user_link));
    expect([again.response.status, again.usage.rowsWritten]).toEqual([201, 0]);
  });

  it("a signed duplicate of an unsigned reply notification from the same feed marks it signed, writing one row", async () => {
    await keysCached();
    const body = JSON.stringify(replyFrom(BEE, "11"));
    expect((await post(replyPath(3), body)).response.status).toBe(201);
    const headers = await signed(replyPath(3), body, bee, BEE.user_link);
    const upgraded = await post(replyPath(3), body, headers);
    expect(upgraded.response.status).toBe(201);
    expect(upgraded.usage.rowsWritten).toBe(1);
    const answer = await owner(app, "/api/inbox/replies", {}, OWNER_TOKEN, meteredEnv().env);
    const items = ((await answer.json()) as { items: { status_id: string; proof: string; signed_by: string }[] }).items;
    expect(items.map((item) => [item.status_id, item.proof, item.signed_by])).toEqual([["11", "signed", normalizeUserLink(BEE.user_link)]]);
    // The very request that proved it, sent again, is a replay of what is now stored.
    const replay = await post(replyPath(3), body, headers);
    expect([replay.response.status, replay.usage.rowsWritten]).toEqual([409, 0]);
  });
});

describe("refused signatures write nothing", () => {
  const refusedWith = async (path: string, body: string, headers: Record<string, string>, status: number, detail: RegExp) => {
    const { response, usage } = await post(path, body, headers);
    expect(response.status).toBe(status);
    expect((await problemOf(response)).detail).toMatch(detail);
    expect(usage.rowsWritten).toBe(0);
  };

  it("a tampered body", async () => {
    const sent = JSON.stringify(messageFrom(BEE, "pay Bee 10"));
    const tampered = JSON.stringify(messageFrom(BEE, "pay Bee 99"));
    await refusedWith("/api/message", tampered, await signed("/api/message", sent, bee, BEE.user_link), 403, /does not match its Content-Digest/);
  });

  it("a signature made for another URL (another inbox or endpoint)", async () => {
    const body = JSON.stringify(replyFrom(BEE, "7"));
    await refusedWith(replyPath(4), body, await signed(replyPath(3), body, bee, BEE.user_link), 403, /does not verify/);
  });

  it("an old signature, and one from the future", async () => {
    const body = JSON.stringify(messageFrom(BEE, "late"));
    await refusedWith("/api/message", body, await signed("/api/message", body, bee, BEE.user_link, now - 301_000), 403, /created 301 s ago/);
    await refusedWith("/api/message", body, await signed("/api/message", body, bee, BEE.user_link, now + 120_000), 403, /in the future/);
  });

  it("a replay of a stored signed request (409), while a fresh signature of the same message is an idempotent 201", async () => {
    const body = JSON.stringify(messageFrom(BEE, "once"));
    const headers = await signed("/api/message", body, bee, BEE.user_link);
    expect((await post("/api/message", body, headers)).response.status).toBe(201);
    await refusedWith("/api/message", body, headers, 409, /a replay/);
    now += 2_000;
    const fresh = await post("/api/message", body, await signed("/api/message", body, bee, BEE.user_link));
    expect(fresh.response.status).toBe(201);
    expect(fresh.usage.rowsWritten).toBe(0);
  });

  it("a key the feed does not publish, and a third party signing with its own key as Bee", async () => {
    const body = JSON.stringify(messageFrom(BEE, "I am Bee, honest"));
    const stranger = await newPair();
    await refusedWith("/api/message", body, await signed("/api/message", body, stranger, BEE.user_link), 403, /does not verify with the keys/);
    const mallory = await newPair();
    await publish(MALLORY, [{ key: mallory.publicKey }]);
    await refusedWith("/api/message", body, await signed("/api/message", body, mallory, MALLORY.user_link), 403, /keyid is not the user_link/);
    expect(await inboxMessages()).toEqual([]);
  });

  it("unreadable signature fields (400) and a feed that publishes no key (403)", async () => {
    const body = JSON.stringify(messageFrom(BEE, "x"));
    await refusedWith("/api/message", body, { "Signature-Input": "skein=(", Signature: "skein=:AA==:" }, 400, /not valid structured fields/);
    await publish(BEE, []);
    await refusedWith("/api/message", body, await signed("/api/message", body, bee, BEE.user_link), 403, /publishes no signing key/);
  });
});

describe("rotation", () => {
  it("a new key is found by refetching once; the old key verifies during the grace period, not after", async () => {
    const old = await newPair();
    await publish(ROTA, [{ key: old.publicKey }]);
    const m1 = JSON.stringify(messageFrom(ROTA, "with the old key"));
    expect((await post("/api/message", m1, await signed("/api/message", m1, old, ROTA.user_link))).response.status).toBe(201);
    const next = await newPair();
    const until = new Date(now + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await publish(ROTA, [{ key: next.publicKey }, { key: old.publicKey, until }]);
    const fetches = await keyFetches(ROTA);
    const m2 = JSON.stringify(messageFrom(ROTA, "with the new key"));
    expect((await post("/api/message", m2, await signed("/api/message", m2, next, ROTA.user_link))).response.status).toBe(201);
    expect((await keyFetches(ROTA)) - fetches).toBe(1);
    const m3 = JSON.stringify(messageFrom(ROTA, "old key, within the grace period"));
    expect((await post("/api/message", m3, await signed("/api/message", m3, old, ROTA.user_link))).response.status).toBe(201);
    expect((await keyFetches(ROTA)) - fetches).toBe(1);
    now += 8 * 86_400_000;
    const m4 = JSON.stringify(messageFrom(ROTA, "old key, after the grace period"));
    const late = await post("/api/message", m4, await signed("/api/message", m4, old, ROTA.user_link));
    expect(late.response.status).toBe(403);
    expect(late.usage.rowsWritten).toBe(0);
  });
});

describe("policy follows proof", () => {
  it("require_signatures: an unsigned message claiming a followed account is refused; a signed one is stored", async () => {
    const body = JSON.stringify(messageFrom(BEE, "strict"));
    const unsigned = await post("/api/message", body, {}, strict);
    expect(unsigned.response.status).toBe(403);
    expect(unsigned.usage.rowsWritten).toBe(0);
    expect((await post("/api/message", body, await signed("/api/message", body, bee, BEE.user_link), strict)).response.status).toBe(201);
  });

  it("only a signed followed sender is exempt from the daily cap: unsigned claims of it count as strangers", async () => {
    const statuses: number[] = [];
    for (const [i, id] of ["fresh-1", "fresh-2", "fresh-3"].entries()) {
      // Fresh claimed ids with the followed account's feed URL, as /follows.xml shows it.
      const body = JSON.stringify(messageFrom({ ...BEE, user_id: id }, `fake ${i}`));
      statuses.push((await post("/api/message", body, {}, app, { INBOX_DAILY_CAP: "2" })).response.status);
    }
    expect(statuses).toEqual([201, 201, 503]);
    const body = JSON.stringify(messageFrom(BEE, "the real Bee"));
    const real = await post("/api/message", body, await signed("/api/message", body, bee, BEE.user_link), app, { INBOX_DAILY_CAP: "2" });
    expect(real.response.status).toBe(201);
    expect((await env.DB.prepare("SELECT accepted FROM inbox_daily").first<{ accepted: number }>())?.accepted).toBe(2);
  });

  it("blocks win over a valid signature", async () => {
    const blocking = testApp({ ...config, blocks: [{ link: normalizeUserLink(BEE.user_link)! }] }, { now: () => now });
    const body = JSON.stringify(messageFrom(BEE, "blocked"));
    const { response, usage } = await post("/api/message", body, await signed("/api/message", body, bee, BEE.user_link), blocking);
    expect(response.status).toBe(403);
    expect(usage.rowsWritten).toBe(0);
  });
});

describe("what the owner sees", () => {
  const ORIGIN = "http://owner.test";
  async function signedInPage(path: string): Promise<string> {
    const signIn = await app.request(
      `${ORIGIN}/owner/sign-in`,
      {
        method: "POST",
        redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN },
        body: new URLSearchParams({ token: OWNER_TOKEN }).toString(),
      },
      meteredEnv().env,
    );
    const cookie = (signIn.headers.get("Set-Cookie") ?? "").split(";")[0]!;
    const answer = await app.request(`${ORIGIN}${path}`, { headers: { Cookie: cookie } }, meteredEnv().env);
    expect(answer.status).toBe(200);
    return answer.text();
  }

  it("the API and the owner's pages mark signed, not proven, and a look-alike name in another script", async () => {
    const real = JSON.stringify(replyFrom(BEE, "8"));
    expect((await post(replyPath(3), real, await signed(replyPath(3), real, bee, BEE.user_link))).response.status).toBe(201);
    // "bее" with two Cyrillic е: renders like the followed "bee".
    const fake = JSON.stringify(replyFrom({ user_id: "fake-bee", username: "b\u0435\u0435", user_link: "https://fake-bee.example/feed.xml" }, "9"));
    expect((await post(replyPath(3), fake)).response.status).toBe(201);
    const answer = await owner(app, "/api/inbox/replies", {}, OWNER_TOKEN, meteredEnv().env);
    const items = ((await answer.json()) as { items: { username: string; proof: string; lookalike: string | null; untrusted: string[] }[] }).items;
    expect(items.map((item) => [item.username, item.proof, item.lookalike])).toEqual([
      ["b\u0435\u0435", "not_proven", "bee"],
      ["bee", "signed", null],
    ]);
    expect(items[0]!.untrusted).toContain("username");
    const html = await signedInPage("/owner/inbox");
    expect(html).toContain("signed by their feed");
    expect(html).toContain("not proven");
    expect(html).toContain("look-alike of @bee: another script");
  });

  it("a user_link that is not http(s) never gets in", async () => {
    const body = JSON.stringify({ ...messageFrom(BEE, "x"), user_link: "javascript:alert(1)" });
    const { response, usage } = await post("/api/message", body);
    expect(response.status).toBe(400);
    expect(usage.rowsWritten).toBe(0);
  });
});
