-- Skein outbox: what Skein sends -- reply and mention notifications of our posts (spec
-- "Replies/Mentions") and the owner's private messages (spec "Private Messaging") -- and how each
-- attempt ended. Never edit this file once deployed; add a later migration for changes.
--
-- One row per (post, account, replied item) notification or per message. The life of a row:
--   queued    waiting to be sent (next_attempt_at says when; while a run is sending it, lease_until
--             keeps other runs off it)
--   sent      their server answered 2xx                                              (final)
--   refused   their server answered 403, or their published policy or blocks list
--             refuses us (nothing was sent then; last_error says which)            (final)
--   failed    their server answered another 4xx, their item or reply URL is missing, or the
--             retries were used up                                                  (final)
--   cancelled the post was deleted (or no longer names the account) before it was sent (final)
-- `npm run outbox -- retry <id>` puts a refused or failed row back in the queue.
--
-- Rows written (D1's meta, measured in test/outbox/): a notification 3 when queued (the row, its
-- idempotency index, its place in the due queue), 1 when a run claims it, 1 when it is sent (2 per
-- retry); a message sent at once 1, plus the 2 of its row in `messages`.

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('reply', 'mention', 'message')),
  -- our post's guid (the status_id we send); NULL for a message
  post_id INTEGER,
  -- reply: the guid of their item we answer; mention: '' (their newest item is used); message: NULL
  status_id TEXT,
  -- the other party: the account notified or the recipient of the message
  peer_user_id TEXT NOT NULL,
  peer_username TEXT NOT NULL,
  peer_user_link TEXT NOT NULL,
  -- normalizeUserLink(peer_user_link): one account whatever the spelling of its link
  peer_link_normalized TEXT NOT NULL,
  -- a message's text, and its date as first sent (RFC 822), re-sent unchanged on every retry so a
  -- receiver that stores messages idempotently (as Skein does) keeps one copy
  body TEXT,
  date_raw TEXT,
  -- the reply or message URL posted to, once known
  target_url TEXT,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'refused', 'failed', 'cancelled')),
  -- POSTs made so far, and the HTTP status of the last answer (NULL: none yet)
  attempts INTEGER NOT NULL DEFAULT 0,
  http_status INTEGER,
  -- when a queued row is due; NULL once final
  next_attempt_at TEXT,
  -- set while a run sends it (not indexed: claiming writes one row)
  lease_until TEXT,
  last_error TEXT,
  -- the sent message's row in `messages` (direction 'sent')
  message_id INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT
);

-- Idempotency: a redeploy lists the same notifications again; each is stored (and sent) once.
CREATE UNIQUE INDEX outbox_notification ON outbox (post_id, peer_link_normalized, status_id) WHERE post_id IS NOT NULL;

-- The queue: only rows with a next attempt are in it, so a run reads just those.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- The fingerprint of the last notification list reconciled (key 'notifications'): the job compares
-- the deployed config's with it and reconciles only when the list changed.
CREATE TABLE outbox_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
