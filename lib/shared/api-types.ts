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
export interface InboxMessage {
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
}

/** A reply or mention notification and what checking it against the sender's feed found. */
export interface InboxReply {
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
  read_at: string | null;
}

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
