/**
 * Who is who in the outbox tests: plain constants shared by the workerd tests and the Node server
 * that plays the other sites (test/worker/support/feed-server-outbox.ts), so a receiver's feed and
 * the notification sent to it agree by construction.
 *
 * Receivers are served at http://127.0.0.1:<port>/t/<type>-<lane>/: a real feed built by our own
 * builder, whose reply and message URLs point back at the server, which records every POST and
 * answers what the test scripted (201 unless told otherwise). Each test takes its own lane, so
 * tests never see each other's POSTs.
 */

/** Our owner: the same person as test/worker/support/people.ts's OWNER, on loopback. */
export const ME = { user_id: "3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10", username: "ada" } as const;

/** What each receiver type publishes. */
export const RECEIVER_TYPES = {
  /** accept="everyone": takes anything. */
  open: { accept: "everyone" },
  /** accept="follows", and follows us. */
  friend: { accept: "follows" },
  /** accept="follows", and follows someone else. */
  cold: { accept: "follows" },
  /** accept="selected". */
  picky: { accept: "selected" },
  /** accept="off": no message element, no reply URLs. */
  closed: { accept: "off" },
  /** accept="everyone", with a public blocks list that names us. */
  blocker: { accept: "everyone" },
  /** accept="everyone", eight posts two per page: guid 1 is on the fourth page. */
  deep: { accept: "everyone" },
  /** accept="everyone", but its reply and message URLs are on a port nobody listens on. */
  dead: { accept: "everyone" },
  /** accept="everyone", but its head feed relocates to newhome's of the same lane (spec "Relocation"). */
  moved: { accept: "everyone" },
  /** accept="everyone": where moved went. */
  newhome: { accept: "everyone" },
} as const;
export type ReceiverType = keyof typeof RECEIVER_TYPES;

/** Lanes a-l are test/outbox/send-job.test.ts's, m-t the other files' (the server's records are shared by all files). */
export const LANES = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"] as const;
export type Lane = (typeof LANES)[number];

/** Guids in every receiver's feed (deep has 0-7). */
export const RECEIVER_POSTS = 3;
export const DEEP_POSTS = 8;

export function receiverName(type: ReceiverType, lane: Lane): string {
  return `${type}-${lane}`;
}

/** A stable user_id per receiver. */
export function receiverUserId(name: string): string {
  let hex = "";
  for (const char of name) hex += char.charCodeAt(0).toString(16);
  return `00000000-0000-4000-8000-${hex.slice(-12).padStart(12, "0")}`;
}

/** The receiver's username: its type and lane without the dash ("opena"). */
export function receiverUsername(name: string): string {
  return name.replace("-", "");
}

/**
 * Our own head feeds, as the owner's Worker reads them to see whether a post is live:
 *   /own/full/feed.xml            posts 0-5
 *   /own/late/<key>/feed.xml      posts 0-4 until GET /control/publish/<key>, then 0-5
 *   /own/paged/feed.xml           posts 0-5, two per page (0-3 are archived)
 */
export const OWN_POSTS = 6;
