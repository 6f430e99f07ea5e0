-- Skein timeline: the posts of the accounts the owner follows (Open Microblog 0.5, "Following"),
-- polled from their feeds by the scheduled job lib/timeline/poll-job.ts.
-- Never edit this file once deployed; later changes get their own migration number.
--
-- Rows written (the free plan allows 100,000 a day, index entries included): a stored item is 3
-- rows (the row, the (user_id, guid) uniqueness index, the date index), 4 when it mentions the owner
-- (the partial mentions index). A follow's state is 1 row (WITHOUT ROWID: the key is the table), and
-- a poll that finds nothing new writes nothing at all (lib/timeline/schedule.ts explains why).

-- One row per followed feed (follows.yaml, as the build bundles it into the Worker). Times are epoch ms.
CREATE TABLE timeline_follows (
  user_id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  -- the feed URL as written in follows.yaml
  user_link TEXT NOT NULL,
  -- where the feed is polled: user_link, or where it moved (<microblog:relocate>, a 301/308)
  feed_url TEXT NOT NULL,
  -- set while follows.yaml still names the old URL: the owner is told to update it
  moved_to TEXT,
  -- the feed's user_full_name, for display
  name TEXT,
  -- the feed's minute offset in the slot schedule (a hash of user_id)
  phase INTEGER NOT NULL,
  added_ms INTEGER NOT NULL,
  -- an explicit next poll (new follow, catch-up, deferred, backoff); NULL: the slot schedule
  due_ms INTEGER,
  -- validators of the last 200 answer, for a conditional GET
  etag TEXT,
  last_modified TEXT,
  -- JSON: the newest guids stored (where the next poll stops reading); NULL: never read
  seen TEXT,
  -- JSON: a catch-up walk along next_node still in progress (page, items already read, stop marker)
  walk TEXT,
  -- the newest post's date: the adaptive schedule polls quiet feeds less often
  newest_item_ms INTEGER,
  -- 1 when the feed lists its items oldest first (then a page is never cut at the first seen item)
  oldest_first INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  -- the last poll that wrote this row
  last_poll_ms INTEGER
) WITHOUT ROWID;

-- The items, kept when the account is unfollowed (history), deleted when it is blocked.
-- A plain INTEGER PRIMARY KEY (no AUTOINCREMENT, which would write sqlite_sequence on every insert).
CREATE TABLE timeline_items (
  id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  username TEXT NOT NULL,
  name TEXT,
  -- the feed the item was read from
  user_link TEXT NOT NULL,
  guid TEXT NOT NULL,
  -- the item's pubDate (never later than when it was read), and when it was read
  published_ms INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  -- the description as received: sanitized wherever it is shown (the owner API does it)
  html TEXT NOT NULL,
  link TEXT,
  -- JSON objects of the spec's reply and repost elements, when present
  in_reply_to TEXT,
  repost TEXT,
  mention INTEGER NOT NULL DEFAULT 0,
  -- Idempotency: an item is stored once however often its page is read.
  UNIQUE (user_id, guid)
);

-- The timeline newest first (the rowid is in every index entry: ties are ordered by id).
CREATE INDEX timeline_items_newest ON timeline_items (published_ms);
-- ?mentions=1: only items that mention the owner are in it.
CREATE INDEX timeline_items_mentions ON timeline_items (published_ms) WHERE mention = 1;

-- One row: the minute of the last run that polled anything (slots since then are due).
CREATE TABLE timeline_poller (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_run_minute INTEGER NOT NULL
);
