/**
 * Constants of the Open Microblog 0.5 spec and of Skein's reading of it, in one place: the build's
 * writers, the Worker's readers and the CLIs all take them from here.
 */

/** Spec "How does it work?": every microblog element lives in this namespace. */
export const MICROBLOG_NS = "http://openmicroblog.com/";
export const ATOM_NS = "http://www.w3.org/2005/Atom";
/** RFC 5005 "Feed Paging and Archiving" §4 (archived feeds). */
export const FEED_HISTORY_NS = "http://purl.org/syndication/history/1.0";
export const OPEN_MICROBLOG_DOCS = "https://github.com/Sonictherocketman/Open-Microblog";

/** Spec "Private Messaging": the message element's accept attribute, plus Skein's "off" (no inbox). */
export const ACCEPT_POLICIES = ["everyone", "follows", "selected", "off"] as const;
export type AcceptPolicy = (typeof ACCEPT_POLICIES)[number];

/** Upper bounds that keep one feed header and one message small (see HEADER_RESERVE_BYTES in pagination). */
export const LIMITS = {
  usernameLength: 25, // spec "Required Channel Elements": username no greater than 25 characters
  idLength: 128,
  urlLength: 2048,
  fullNameLength: 100,
  bioLength: 1000,
  messageLength: 5000,
  dateLength: 64,
} as const;

/** Spec "Feed Paging": at most 500 items or 500 KB per feed file, whichever comes first. */
export const FEED_PAGE_MAX_ITEMS = 500;
export const FEED_PAGE_MAX_BYTES = 500_000;
