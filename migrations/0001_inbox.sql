-- Skein inbox: private messages and reply notifications (Open Microblog 0.5, "Private Messaging"
-- and "Replies/Mentions"), plus the fixed-window counters of the rate limits.
-- Never edit this file once deployed; add 0002_*.sql for later changes.

-- AUTOINCREMENT: ids are never reused after a delete, so the owner API's cursor ("items with
-- id < the last one seen") stays correct while rows are added and removed.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sender_user_id TEXT NOT NULL,
  sender_username TEXT NOT NULL,
  sender_user_link TEXT NOT NULL,
  -- normalizeUserLink(sender_user_link), to find everything from one feed whatever its spelling
  sender_link_normalized TEXT NOT NULL,
  body TEXT NOT NULL,
  -- the date exactly as sent (RFC 822, ISO 8601 or RFC 3339) and the same instant in ISO UTC
  sent_at_raw TEXT NOT NULL,
  sent_at_iso TEXT NOT NULL,
  received_at TEXT NOT NULL,
  read_at TEXT,
  -- Idempotency: the same message (sender + date + text) posted again is stored once.
  UNIQUE (sender_user_id, sent_at_iso, body)
);

CREATE INDEX messages_unread ON messages (id) WHERE read_at IS NULL;

CREATE TABLE replies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- our post's guid (the <reply> URL it was posted to)
  post_id INTEGER NOT NULL,
  sender_user_id TEXT NOT NULL,
  sender_username TEXT NOT NULL,
  sender_user_link TEXT NOT NULL,
  sender_link_normalized TEXT NOT NULL,
  -- guid of the item in the sender's feed that replies to or mentions us
  status_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  -- stored unverified, then checked against the sender's feed in the background
  verification TEXT NOT NULL DEFAULT 'pending'
    CHECK (verification IN ('pending', 'verified', 'rejected', 'unreachable')),
  verification_detail TEXT,
  verified_at TEXT,
  read_at TEXT,
  -- Idempotency: the same reply (sender + status_id + post) is stored once.
  UNIQUE (post_id, sender_user_id, status_id)
);

CREATE INDEX replies_unread ON replies (id) WHERE read_at IS NULL;

-- One row per (key, window): key is "ip:<address>" or "sender:<user_id>", window_start is the
-- window's first second (epoch seconds). Rows of past windows are deleted on every write.
CREATE TABLE rate_limits (
  key TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
) WITHOUT ROWID;

CREATE INDEX rate_limits_window ON rate_limits (window_start);
