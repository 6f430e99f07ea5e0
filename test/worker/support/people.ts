/**
 * Who is who in the inbox tests. Plain constants, shared by the workerd tests and the Node feed
 * server (feed-server.ts), so a sender's feed and the notification about it agree by construction.
 */

/** The inbox owner: our site is https://ada.example. */
export const OWNER = {
  user_id: "3f0c2a4e-8b1d-4c55-9a0e-6d2b7c1e9f10",
  username: "ada",
  feed_url: "https://ada.example/feed.xml",
  profile_url: "https://ada.example/",
  post_url_prefix: "https://ada.example/posts/",
} as const;

/** Our published post guids: 0-5 and 8-9 (6 and 7 were never published). */
export const OWNER_POST_IDS: [number, number][] = [
  [0, 5],
  [8, 9],
];

export interface Person {
  user_id: string;
  username: string;
  user_link: string;
}

const uuid = (tail: string): string => `00000000-0000-4000-8000-${tail.padStart(12, "0")}`;

/** In the owner's follows list. */
export const FOLLOWED: Person = { user_id: uuid("f011"), username: "fern", user_link: "https://fern.example/feed.xml" };
/** In the profile's `selected` list (accepted under accept=selected only). */
export const SELECTED: Person = { user_id: uuid("5e1ec7"), username: "juniper", user_link: "https://juniper.example/feed.xml" };
/** In the owner's blocks list. */
export const BLOCKED: Person = { user_id: uuid("b10c"), username: "mallory", user_link: "https://mallory.example/feed.xml" };
/** Nobody the owner knows. */
export const STRANGER: Person = { user_id: uuid("5715"), username: "stranger", user_link: "https://stranger.example/feed.xml" };

/** Sites served by the loopback feed server; their user_link is http://127.0.0.1:<port>/<site>/feed.xml. */
export const SITES = {
  /** A small feed with replies, mentions and plain posts (guids below). */
  bob: { user_id: uuid("b0b"), username: "bob" },
  /** 12 posts, two per page: six pages linked by next_node. */
  paged: { user_id: uuid("9a9ed"), username: "paged" },
  /** A feed whose channel user_id is not the one the sender claims. */
  impostor: { user_id: uuid("1a057e"), username: "impostor" },
} as const;

/** The user_id someone claims while pointing at the impostor feed. */
export const IMPOSTOR_CLAIM = { user_id: uuid("c1a1"), username: "claimant" };

/** Guids in bob's feed, by what the item is. */
export const BOB_STATUS = {
  plain: "10",
  /** in_reply_to_status_id 3 + in_reply_to_user_id = OWNER.user_id */
  replyToPost3: "11",
  /** text mentions "@ada" */
  mentionByName: "12",
  /** text links to https://ada.example/posts/4/ */
  mentionByPermalink: "13",
  /** replies to our post 2 (so not to post 3), no mention */
  replyToPost2: "14",
  /** replies to someone else's status 3 and says "@adam", which is not "@ada" */
  replyToOther: "15",
  /** in_reply_to_status_id 3 with no user_id, but in_reply_to_user_link spelled http://ADA.example/feed.xml/ */
  replyByLink: "16",
} as const;

/** Guids in the paged feed: 4 is on the 4th page from the head, 0 on the 6th (beyond the 5-page cap). */
export const PAGED_STATUS = { onPage4: "4", onPage6: "0" } as const;

/** Base URL of the loopback feed server. */
export function feedServer(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export function siteFeedUrl(port: number, site: keyof typeof SITES): string {
  return `${feedServer(port)}/${site}/feed.xml`;
}
