-- Skein 0.2 (one Worker): the inbox writes as few D1 rows as it can, and no reply stays pending.
-- Never edit this file once deployed; add 0003_*.sql for later changes.
--
-- Why the tables are rebuilt (SQLite cannot drop AUTOINCREMENT or a UNIQUE constraint in place):
-- * AUTOINCREMENT writes a row of sqlite_sequence on every insert. A plain INTEGER PRIMARY KEY only
--   reuses the id of a deleted newest row, which the owner API's "id < cursor" paging tolerates.
-- * The partial "unread" indexes cost a row written per insert and per read mark; the owner's
--   lists are read newest first by id, which needs no index.
-- * rate_limits is gone: refused requests are counted by the Workers Rate Limiting binding, which
--   writes nothing to D1 (before, every 429 wrote 2-4 rows, so one client could spend the free
--   plan's 100,000 rows a day and shut the inbox for everyone).
-- What an accepted request writes now: a message 2 rows (the row, its idempotency index); a reply
-- 3 (the row, its idempotency index, its place in the re-verification queue).

CREATE TABLE messages_v2 (
  id INTEGER PRIMARY KEY,
  -- 'received' through POST /api/message, 'sent' by the owner through the outbox
  direction TEXT NOT NULL DEFAULT 'received' CHECK (direction IN ('received', 'sent')),
  -- the other party: the sender of a received message, the recipient of a sent one
  peer_user_id TEXT NOT NULL,
  peer_username TEXT NOT NULL,
  peer_user_link TEXT NOT NULL,
  -- normalizeUserLink(peer_user_link), to group a conversation whatever the link's spelling
  peer_link_normalized TEXT NOT NULL,
  body TEXT NOT NULL,
  -- the date exactly as sent (RFC 822, ISO 8601 or RFC 3339) and the same instant in ISO UTC
  sent_at_raw TEXT NOT NULL,
  sent_at_iso TEXT NOT NULL,
  received_at TEXT NOT NULL,
  read_at TEXT,
  -- Idempotency: the same message (direction + peer + date + text) is stored once.
  UNIQUE (direction, peer_user_id, sent_at_iso, body)
);

INSERT INTO messages_v2 (id, direction, peer_user_id, peer_username, peer_user_link, peer_link_normalized, body, sent_at_raw, sent_at_iso, received_at, read_at)
  SELECT id, 'received', sender_user_id, sender_username, sender_user_link, sender_link_normalized, body, sent_at_raw, sent_at_iso, received_at, read_at
  FROM messages;

CREATE TABLE replies_v2 (
  id INTEGER PRIMARY KEY,
  -- our post's guid (the <reply> URL it was posted to)
  post_id INTEGER NOT NULL,
  sender_user_id TEXT NOT NULL,
  sender_username TEXT NOT NULL,
  sender_user_link TEXT NOT NULL,
  sender_link_normalized TEXT NOT NULL,
  -- guid of the item in the sender's feed that replies to or mentions us
  status_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  -- stored pending, then checked against the sender's feed (in the background, then by the sweep)
  verification TEXT NOT NULL DEFAULT 'pending'
    CHECK (verification IN ('pending', 'verified', 'rejected', 'unreachable')),
  verification_detail TEXT,
  verified_at TEXT,
  -- verification attempts so far, and when the sweep checks again (NULL: final, nothing to do)
  attempts INTEGER NOT NULL DEFAULT 0,
  next_check_at TEXT,
  -- the replier's item as read at verification: its HTML as received (sanitized wherever shown),
  -- its permalink and its date
  item_html TEXT,
  item_link TEXT,
  item_date TEXT,
  read_at TEXT,
  -- Idempotency: the same reply (sender + status_id + post) is stored once.
  UNIQUE (post_id, sender_user_id, status_id)
);

-- Rows still pending before this migration were cut off mid-verification: the sweep takes them at once.
INSERT INTO replies_v2 (id, post_id, sender_user_id, sender_username, sender_user_link, sender_link_normalized, status_id, received_at,
                        verification, verification_detail, verified_at, attempts, next_check_at, read_at)
  SELECT id, post_id, sender_user_id, sender_username, sender_user_link, sender_link_normalized, status_id, received_at,
         verification, verification_detail, verified_at,
         CASE WHEN verification = 'pending' THEN 0 ELSE 1 END,
         CASE WHEN verification IN ('pending', 'unreachable') THEN received_at END,
         read_at
  FROM replies;

DROP TABLE messages;
DROP TABLE replies;
DROP TABLE rate_limits;
ALTER TABLE messages_v2 RENAME TO messages;
ALTER TABLE replies_v2 RENAME TO replies;

-- The re-verification queue: only rows with a next check are in it, so the sweep reads just those.
CREATE INDEX replies_due ON replies (next_check_at) WHERE next_check_at IS NOT NULL;
