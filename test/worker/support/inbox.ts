/**
 * Inbox fixtures for the workerd tests: valid bodies from the people in people.ts, the reply path,
 * and a clean inbox (D1 is reset between test files, not between tests in one file).
 */
import { env } from "cloudflare:workers";
import type { Person } from "./people.ts";

export * from "./worker.ts";

/** A valid private message from `person` (spec "Sending Private Messages"). */
export function messageFrom(person: Person, text = "hello world!", date = "Sat, 16 May 2015 21:32:15 +0000") {
  return { user_id: person.user_id, username: person.username, user_link: person.user_link, message: text, date };
}

/** A valid reply notification from `person` (spec "Sending Replies/Mentions"). */
export function replyFrom(person: Person, statusId: string) {
  return { user_id: person.user_id, username: person.username, user_link: person.user_link, status_id: statusId };
}

export const replyPath = (postId: number | string) => `/api/posts/${postId}/reply`;

export async function clearInbox(): Promise<void> {
  await env.DB.batch([env.DB.prepare("DELETE FROM messages"), env.DB.prepare("DELETE FROM replies")]);
}
