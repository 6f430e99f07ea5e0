/**
 * What the inbox pages read: the conversations and reply notifications of the inbox page, and one
 * conversation with the messages to them the outbox has not delivered -- the same store functions
 * as the owner API (lib/inbox/store.ts, lib/outbox/store.ts).
 */
import { annotate } from "../inbox/owner-routes.ts";
import { type ConversationSummary, conversationMessages, listConversations, listReplies } from "../inbox/store.ts";
import { undeliveredMessages } from "../outbox/store.ts";
import type { InboxMessage, InboxReply, OutboxItem } from "../shared/api-types.ts";
import type { Db } from "../shared/d1.ts";
import { DEFAULT_PAGE_SIZE } from "../worker-kit/cursor.ts";

/** Undelivered messages shown under a conversation (the outbox page lists them all). */
const UNDELIVERED_SHOWN = 10;

export interface InboxView {
  conversations: ConversationSummary[];
  replies: InboxReply[];
  nextRepliesBeforeId?: number;
}

/** Replies and messages carry the owner API's notes (proof, look-alike name): `names` are the ones a sender might imitate. */
export async function inboxView(db: Db, repliesBeforeId: number | undefined, names: readonly string[] = []): Promise<InboxView> {
  const [conversations, replies] = await Promise.all([
    listConversations(db, DEFAULT_PAGE_SIZE),
    listReplies(db, { unreadOnly: false, limit: DEFAULT_PAGE_SIZE, ...(repliesBeforeId !== undefined ? { beforeId: repliesBeforeId } : {}) }),
  ]);
  return {
    conversations: conversations.items,
    replies: replies.items.map((reply) => annotate("replies", reply, names)),
    ...(replies.nextBeforeId !== undefined ? { nextRepliesBeforeId: replies.nextBeforeId } : {}),
  };
}

export interface ConversationView {
  /** Newest first. */
  messages: InboxMessage[];
  nextBeforeId?: number;
  undelivered: OutboxItem[];
}

/** One conversation's page of messages; undefined when there is no such conversation. */
export async function conversationView(
  db: Db,
  peer: string,
  beforeId: number | undefined,
  names: readonly string[] = [],
): Promise<ConversationView | undefined> {
  const [listed, undelivered] = await Promise.all([
    conversationMessages(db, peer, { limit: DEFAULT_PAGE_SIZE, ...(beforeId !== undefined ? { beforeId } : {}) }),
    undeliveredMessages(db, peer, UNDELIVERED_SHOWN),
  ]);
  if (!listed.items.length) return undefined;
  const messages = listed.items.map((message) => annotate("messages", message, names));
  return { messages, undelivered, ...(listed.nextBeforeId !== undefined ? { nextBeforeId: listed.nextBeforeId } : {}) };
}

/** Who an answer goes to: the sender of the newest message when it was received, else where the last one went. */
export async function answerRecipient(db: Db, peer: string) {
  const newest = (await conversationMessages(db, peer, { limit: 1 })).items[0];
  if (!newest) return undefined;
  return newest.direction === "received" ? ({ kind: "message", id: newest.id } as const) : ({ kind: "address", value: newest.user_link } as const);
}
