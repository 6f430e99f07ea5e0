/**
 * A private message from the owner (POST /api/outbox/messages; `npm run message`, `npm run inbox --
 * reply messages <id>`), sent while the owner waits for the answer (spec "Private Messaging"):
 *
 *   1. the recipient: a feed URL, a profile URL (its page's RSS link), "@username" of an account in
 *      follows.yaml, or the sender of a received message;
 *   2. their head feed: the message URL and its accept policy; no message URL (or accept="off") means
 *      they take no messages: nothing is sent;
 *   3. the courteous checks (lib/outbox/recipient.ts): not blocked; under accept="follows" followed
 *      by them; under accept="selected" not refused by them before (Skein remembers a 403 per account);
 *   4. one POST of the spec's JSON, dated now in RFC 822 with +0000.
 *
 * Nothing is stored when nothing was sent (a bad recipient, a courtesy refusal, an unreadable feed):
 * the answer says why. Once a POST was made, an outbox row records it: sent (201, and the message is
 * stored in `messages` with direction 'sent', in the same batch), refused (403), failed (another
 * 4xx), or queued (202: their server failed for now; the outbox job retries with backoff, with the
 * same date, so an idempotent receiver keeps one copy).
 */
import type { OutboxSendAnswer } from "../shared/api-types.ts";
import type { Budget } from "../shared/budget.ts";
import type { Db } from "../shared/d1.ts";
import { formatRfc822 } from "../shared/dates.ts";
import type { Problem } from "../shared/problem.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { idPattern } from "../shared/schemas.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { deliver } from "./deliver.ts";
import { messageBody, nextAttemptAfter, usOf } from "./policy.ts";
import { absoluteUrl, acceptPolicy, courtesyChecks, type ReadFailure, resolveFeed } from "./recipient.ts";
import type { Signer } from "./signer.ts";
import { insertMessageAttempt, lastAnswerFrom, messagePeer, type Outcome, type Peer } from "./store.ts";

export type Recipient = { kind: "address"; value: string } | { kind: "message"; id: number };

export interface MessageDeps {
  db: Db;
  fetch: typeof fetch;
  allowLoopback: boolean;
  budget: Budget;
  now: () => number;
  /** Our key (lib/outbox/signer.ts); absent: sent unsigned. */
  signer?: Signer | undefined;
}

/** What the sender knows of the recipient before reading their feed. */
interface Known {
  feedUrl: string;
  /** How the answers name them: "@bob" or their URL. */
  who: string;
  username?: string;
  /** A received message's sender: their feed must be theirs. */
  expectedUserId?: string;
  repliedMessage?: number;
}

const problemOf = (status: number, detail: string): { ok: false; error: Problem } => err({ status, detail });

/** "@bob", "bob", or a URL -> where their feed is. */
async function knownRecipient(config: SiteConfig, recipient: Recipient, db: Db): Promise<Result<Known, Problem>> {
  if (recipient.kind === "message") {
    const peer = await messagePeer(db, recipient.id);
    if (!peer) return problemOf(404, `there is no message ${recipient.id}`);
    if (peer.direction !== "received") return problemOf(400, `message ${recipient.id} is one you sent; answer a message you received`);
    return ok({
      feedUrl: peer.user_link,
      who: peer.username ? `@${peer.username}` : peer.user_link,
      username: peer.username,
      expectedUserId: peer.user_id,
      repliedMessage: recipient.id,
    });
  }
  const value = recipient.value.trim();
  if (value.startsWith("@")) {
    const name = value.slice(1).toLowerCase();
    const matches = config.follows.filter((account) => account.username.toLowerCase() === name);
    if (matches.length === 0) return problemOf(400, `recipient: no account ${value} in follows.yaml; give their feed URL or profile URL instead`);
    if (matches.length > 1)
      return problemOf(
        400,
        `recipient: ${value} names ${matches.length} accounts in follows.yaml (${matches.map((m) => m.user_link).join(", ")}); give the feed URL`,
      );
    const account = matches[0]!;
    return ok({ feedUrl: account.user_link, who: `@${account.username}`, username: account.username });
  }
  return ok({ feedUrl: value, who: value });
}

function readProblem(failure: ReadFailure, who: string): { ok: false; error: Problem } {
  if (failure.kind === "final") return problemOf(422, `${failure.detail}; nothing was sent to ${who}`);
  return problemOf(502, `${who}'s feed could not be read (${failure.detail}); nothing was sent, try again later`);
}

/** Their username as we store it: a stranger's text, kept short and printable. */
function cleanUsername(name: string | undefined): string {
  return (name ?? "").replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\s]+/g, "").slice(0, 25);
}

/** Said when their feed relocated: the message went to the new one, and what the owner may update. */
function movedNote(from: string | undefined, to: string): string {
  return from === undefined ? "" : `; their feed ${from} relocates to ${to}, so it went there (update follows.yaml if you follow them)`;
}

export async function sendMessage(
  config: SiteConfig,
  recipient: Recipient,
  text: string,
  deps: MessageDeps,
): Promise<Result<{ status: 201 | 202; answer: OutboxSendAnswer }, Problem>> {
  const known = await knownRecipient(config, recipient, deps.db);
  if (!known.ok) return known;
  const { who } = known.value;
  const reading = { fetch: deps.fetch, allowLoopback: deps.allowLoopback, budget: deps.budget };
  const head = await resolveFeed(known.value.feedUrl, reading);
  if (!head.ok) return readProblem(head.error, who);
  const { channel } = head.value;
  const userId = channel.user_id;
  if (!userId || !idPattern.test(userId)) {
    return problemOf(422, `${head.value.url} is not an Open Microblog feed with a usable microblog:user_id; nothing was sent to ${who}`);
  }
  if (known.value.expectedUserId !== undefined && userId !== known.value.expectedUserId) {
    return problemOf(
      422,
      `the feed at ${head.value.url} belongs to user_id ${userId}, not ${known.value.expectedUserId} who wrote message ${known.value.repliedMessage}; nothing was sent`,
    );
  }
  const peer: Peer = { user_id: userId, username: cleanUsername(channel.username) || known.value.username || "", user_link: head.value.url };
  const name = peer.username ? `@${peer.username}` : who;
  const messageUrl = absoluteUrl(channel.message?.url, head.value.url);
  if (!messageUrl) return problemOf(422, `${name} takes no private messages: their feed has no message URL; nothing was sent`);

  const courtesy = await courtesyChecks(head.value, usOf(config), name, reading);
  if (!courtesy.send) return "refused" in courtesy ? problemOf(403, courtesy.refused) : readProblem(courtesy.failure, name);
  if (acceptPolicy(channel) === "selected") {
    // Spec: under "selected" a client "should remember the response as to whether or not they are a whitelisted user".
    const last = await lastAnswerFrom(deps.db, peer.user_link);
    if (last?.http_status === 403) {
      return problemOf(
        403,
        `${name} accepts messages only from accounts they selected (accept="selected") and refused you on ${last.updated_at.slice(0, 10)}; ` +
          `nothing was sent. If they have selected you since: npm run outbox -- retry ${last.id}`,
      );
    }
  }

  const sentAt = Math.floor(deps.now() / 1000) * 1000;
  const date = formatRfc822(sentAt);
  const delivery = await deliver(messageUrl, messageBody(config, text, date), { ...reading, nowMs: sentAt, signer: deps.signer });
  const at = deps.now();
  let outcome: Outcome;
  switch (delivery.outcome) {
    case "sent":
      outcome = { state: "sent", detail: null, attempted: true, httpStatus: delivery.status, username: peer.username };
      break;
    case "refused":
      outcome = { state: "refused", detail: delivery.detail, attempted: true, httpStatus: delivery.status };
      break;
    case "failed":
      outcome = { state: "failed", detail: delivery.detail, attempted: true, ...(delivery.status ? { httpStatus: delivery.status } : {}) };
      break;
    case "retry":
      outcome = {
        state: "queued",
        detail: delivery.detail,
        attempted: true,
        nextAttemptAtMs: nextAttemptAfter(1, at, delivery.retryAfterMs) ?? at,
        ...(delivery.status ? { httpStatus: delivery.status } : {}),
      };
      break;
    default:
      outcome = { state: "queued", detail: `not sent yet: ${delivery.detail}`, attempted: false, nextAttemptAtMs: at };
  }
  const item = await insertMessageAttempt(deps.db, { peer, body: text, dateRaw: date, dateEpochMs: sentAt }, messageUrl, outcome, at);
  switch (outcome.state) {
    case "sent":
      return ok({
        status: 201,
        answer: {
          outcome: "sent",
          detail: `sent to ${name} (${messageUrl} answered ${outcome.httpStatus})${movedNote(head.value.relocatedFrom, head.value.url)}`,
          item,
        },
      });
    case "queued":
      return ok({
        status: 202,
        answer: {
          outcome: "queued",
          detail: `not delivered yet: ${outcome.detail}; Skein tries again at ${item.next_attempt_at} (npm run outbox shows it as ${item.id})`,
          item,
        },
      });
    case "refused":
      return problemOf(
        403,
        `${name} refused the message (${outcome.detail}); it is kept as outbox ${item.id}, and Skein will not send it again unless you retry it`,
      );
    default:
      return problemOf(422, `${name}'s server did not take the message (${outcome.detail}); it is kept as outbox ${item.id}`);
  }
}
