-- Webmentions we send (W3C Webmention §3.1, lib/webmention/send-job.ts): one row per (our post,
-- target page). The build lists each recent post's targets with a fingerprint of its content
-- (config.webmentions); the job reconciles this table with that list when the list changes, and
-- sends a row once our post is live. Never edit this file once deployed; add a later migration.
--
-- The life of a row:
--   queued       waiting (next_attempt_at says when; lease_until keeps other runs off it)
--   sent         the endpoint answered 2xx (§3.1.3)                                   (final)
--   no-endpoint  the target advertises no Webmention endpoint (§3.1.2): nothing sent (final)
--   failed       the endpoint answered 4xx, the target or endpoint cannot be used
--                (refused address, §4.3 loopback), or the retries were used up       (final)
--   cancelled    the post was deleted or no longer links to the target before anything
--                was sent                                                              (final)
-- A final row is queued again when its post changes (reason 'updated', §3.1.4: re-sent also to a
-- target the edit took out) or is deleted (reason 'deleted', §3.1.5), once per change: `fingerprint`
-- is what it was queued for ('deleted' for a deletion), `sent_fingerprint` what was last sent.
--
-- Rows written (D1's meta, measured in test/webmention/send.test.ts): 6 from a new build's list to
-- a webmention sent (the queued row and its indexes, the list's fingerprint in outbox_meta, the
-- claim, the outcome); a redeploy that changes nothing 1 (the fingerprint).
CREATE TABLE webmention_sends (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL,
  -- our post page (the webmention's source) and the page it links to
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  -- new | updated | deleted: why the row is (or was last) queued
  reason TEXT NOT NULL DEFAULT 'new',
  fingerprint TEXT NOT NULL,
  sent_fingerprint TEXT,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'no-endpoint', 'failed', 'cancelled')),
  -- the endpoint discovered (§3.1.2) and the HTTP status of its last answer
  endpoint TEXT,
  http_status INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  lease_until TEXT,
  detail TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT,
  UNIQUE (post_id, target)
);
CREATE INDEX webmention_sends_due ON webmention_sends (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
