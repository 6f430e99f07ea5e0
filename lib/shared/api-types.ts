/**
 * The owner API's answers, shared by the Worker (which produces them) and the CLIs in scripts/ (which
 * read them), so both sides agree on every field. Field names follow the spec's JSON bodies (user_id,
 * username, user_link, status_id); times are ISO 8601 in UTC.
 */

/** One page of a list, newest first; pass next_cursor back as ?cursor= for the next page. */
export interface ListPage<T> {
  items: T[];
  next_cursor: string | null;
}

export const VERIFICATIONS = ["pending", "verified", "rejected", "unreachable"] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export type MessageDirection = "received" | "sent";

/** A private message: received through POST /api/message, or sent by the owner through the outbox. */
export interface InboxMessage extends SenderNotes {
  id: number;
  direction: MessageDirection;
  /** The other party: the sender of a received message, the recipient of a sent one. */
  user_id: string;
  username: string;
  user_link: string;
  message: string;
  /** As sent. */
  date: string;
  /** The same instant in ISO 8601 UTC. */
  date_iso: string;
  received_at: string;
  read_at: string | null;
  /**
   * Who wrote it, as far as the inbox can tell (docs/signing.md): "signed" = signed with a key its
   * user_link feed publishes (signed_by is that feed); "not_proven" = unsigned, the sender is only
   * claimed. Null for a message the owner sent.
   */
  proof: Proof | null;
  signed_by: string | null;
}

/**
 * What the owner API adds to each received item about its sender's text (lib/inbox/lookalike.ts):
 * `lookalike` = the owner's or a followed account's username this one imitates in another script;
 * `untrusted` = the fields the sender chose (show them as text only); `suspicious` = those that look
 * like an attempt (markup, a user_link that is not http(s)).
 */
export interface SenderNotes {
  lookalike?: string | null;
  untrusted?: readonly string[];
  suspicious?: string[];
}

/** signed: proven by the sender's feed's published key; not_proven: no signature, identity only claimed. */
export type Proof = "signed" | "not_proven";

/** A reply or mention notification and what checking it against the sender's feed found. */
export interface InboxReply extends SenderNotes {
  id: number;
  post_id: number;
  user_id: string;
  username: string;
  user_link: string;
  status_id: string;
  received_at: string;
  verification: Verification;
  verification_detail: string | null;
  verified_at: string | null;
  attempts: number;
  /** When the sweep checks again; null when the verification is final. */
  next_check_at: string | null;
  /** The replier's item as read at verification (HTML as received: sanitize before showing it). */
  item_html: string | null;
  item_link: string | null;
  item_date: string | null;
  /** The owner's decision about showing it on the site (`npm run replies`): null = not decided yet. */
  moderation: ReplyModeration | null;
  moderated_at: string | null;
  read_at: string | null;
  /** As for messages: signed by the user_link feed's key, or not proven. */
  proof: Proof;
  signed_by: string | null;
}

export const REPLY_MODERATIONS = ["approved", "rejected"] as const;
export type ReplyModeration = (typeof REPLY_MODERATIONS)[number];

export interface InboxCounts {
  messages: { total: number; unread: number };
  replies: { total: number; unread: number } & Record<Verification, number>;
}

/** What one scheduled job did in one run (POST /api/jobs/run, npm run tick). */
export interface JobReport {
  job: string;
  /** False when the job was not due this run (and `all` was not asked for). */
  ran: boolean;
  /** One line: what it did. */
  summary: string;
  /** Targets (feeds, replies, recipients) that failed this run, each with why; the run itself still succeeded. */
  failures: { target: string; reason: string }[];
  fetches: number;
  d1_calls: number;
  rows_written: number;
  ms: number;
}

export interface JobsRunReport {
  ran_at: string;
  /** Every schedule and backoff ignored (npm run tick -- --all). */
  all: boolean;
  jobs: JobReport[];
}

/** The outbox (lib/outbox/): what Skein sends and how each attempt ended (migrations/0004_outbox.sql). */
export const OUTBOX_STATES = ["queued", "sent", "refused", "failed", "cancelled"] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** reply / mention: a notification of our post (spec "Replies/Mentions"); message: a private message. */
export type OutboxKind = "reply" | "mention" | "message";

export interface OutboxItem {
  id: number;
  kind: OutboxKind;
  /** Our post's guid (reply, mention); null for a message. */
  post_id: number | null;
  /** A reply's item in their feed; "" for a mention; null for a message. */
  status_id: string | null;
  /** The other party: the account notified, or the recipient. */
  user_id: string;
  username: string;
  user_link: string;
  /** A message's text (null for a notification). */
  message: string | null;
  /** A message's date as sent (RFC 822), the same on every retry. */
  date: string | null;
  /** The reply or message URL posted to, once known. */
  target_url: string | null;
  state: OutboxState;
  /** POSTs made so far. */
  attempts: number;
  /** HTTP status of their last answer; null before any. */
  http_status: number | null;
  /** When a queued item is tried next; null once final. */
  next_attempt_at: string | null;
  /** Why it is not sent (yet): the last error, a refusal's reason, or what it waits for. */
  last_error: string | null;
  /** The sent message in the inbox's messages (direction "sent"). */
  message_id: number | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

/** GET /api/webmentions (npm run inbox -- list webmentions): a webmention received (lib/webmention/). */
export interface ReceivedWebmention {
  id: number;
  source: string;
  target: string;
  /** Our post's guid; null: the profile page. */
  post_id: number | null;
  state: "pending" | "verified" | "rejected" | "gone" | "unreachable";
  detail: string;
  /** Post Type Discovery, once verified. */
  kind: "reply" | "like" | "repost" | "mention" | null;
  author_name: string | null;
  author_url: string | null;
  author_photo: string | null;
  /** Plain text, never HTML. */
  content: string | null;
  published: string | null;
  url: string | null;
  received_at: string;
  checked_at: string | null;
  read: number;
  moderation: "approved" | "hidden" | null;
}

/** What happened to a webmention we send (migrations/0015_webmention_sends.sql). */
export type WebmentionSendState = "queued" | "sent" | "no-endpoint" | "failed" | "cancelled";

/** GET /api/outbox/webmentions (npm run outbox): one (our post, target page) webmention. */
export interface WebmentionSendItem {
  id: number;
  post_id: number;
  /** Our post page. */
  source: string;
  /** The page our post links to. */
  target: string;
  /** Why it is (or was last) queued: a new post, an edit (§3.1.4), a deletion (§3.1.5). */
  reason: "new" | "updated" | "deleted";
  state: WebmentionSendState;
  /** The endpoint discovered (§3.1.2), once known. */
  endpoint: string | null;
  http_status: number | null;
  attempts: number;
  next_attempt_at: string | null;
  /** Why it is not sent (yet), or what it waits for. */
  detail: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

/** POST /api/outbox/messages: 201 `sent`, or 202 `queued` (their server failed for now; the job retries). */
export interface OutboxSendAnswer {
  outcome: "sent" | "queued";
  /** One line for the owner. */
  detail: string;
  item: OutboxItem;
}

// ---------------------------------------------------------------------------------------------
// Timeline (GET /api/timeline, GET /api/timeline/follows; lib/timeline/queries.ts)

/** A post of a followed account, newest first in the timeline. */
export interface TimelineItem {
  id: number;
  user_id: string;
  username: string;
  /** The feed's user_full_name when it has one. */
  name: string | null;
  /** The feed the post was read from. */
  user_link: string;
  guid: string;
  /** The post's pubDate in ISO 8601 UTC (the time it was read when it had none, never later than that). */
  date: string;
  received_at: string;
  /** The post's HTML, sanitized (lib/shared/sanitize-html.ts): safe to put in a page. */
  html: string;
  /** The same as plain text on one line. */
  text: string;
  link: string | null;
  /** Spec "Replies": present when the post replies to someone. */
  in_reply_to?: { user_id?: string; status_id?: string; user_link?: string };
  /** Spec "Reposts": present when the post reposts someone. */
  repost?: { user_id?: string; status_id?: string; user_link?: string; pubdate?: string };
  /** It mentions the owner (@username, a link to the owner's site) or replies to the owner. */
  mention: boolean;
}

export const FOLLOW_STATES = ["new", "ok", "catching-up", "moved", "failing", "paused"] as const;
export type FollowState = (typeof FOLLOW_STATES)[number];

/** One followed feed as the poller sees it. */
export interface FollowStatus {
  user_id: string;
  username: string;
  name: string | null;
  /** As in follows.yaml. */
  user_link: string;
  /** Where it is polled (differs from user_link after a move). */
  feed_url: string;
  /**
   * failing > paused (stored its day's number of items: read again at next_poll_at; last_error says
   * why) > moved > catching-up > new (never read yet) > ok.
   */
  state: FollowState;
  /** Set when the feed moved (relocate, 301/308) and follows.yaml still names the old URL. */
  moved_to: string | null;
  last_poll_at: string | null;
  last_error: string | null;
  /** Failed polls in a row (each backs off longer). */
  failures: number;
  /** Null: at the next run. */
  next_poll_at: string | null;
  /** The adaptive schedule's interval for this feed now. */
  poll_every_minutes: number;
  newest_post_at: string | null;
  /** Items of this account in the timeline. */
  items: number;
}

export interface TimelineFollows {
  follows: FollowStatus[];
  /** The last run of the poller that polled anything. */
  last_run_at: string | null;
}
