-- Webmentions received (W3C Webmention, lib/webmention/): one row per (source, target), stored when
-- the POST is accepted (202) and verified later by the scheduled job webmention.verify, which reads
-- the source page. A source re-sent is checked again (an update or a deletion, §3.2.2). What a row
-- costs in D1 rows written: the row, its (source, target) index, the due index while a check waits,
-- and the inbox's daily count for strangers (lib/inbox/daily-cap.ts). Never edit once deployed.
CREATE TABLE webmentions (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  target TEXT NOT NULL,
  -- Our post's guid the target names; NULL: the profile page.
  post_id INTEGER,
  source_host TEXT NOT NULL,
  -- pending | verified | rejected | gone | unreachable
  state TEXT NOT NULL DEFAULT 'pending',
  detail TEXT NOT NULL DEFAULT '',
  -- reply | like | repost | mention (Post Type Discovery), once verified
  kind TEXT,
  author_name TEXT,
  author_url TEXT,
  author_photo TEXT,
  -- Plain text, never HTML; at most 2,000 characters.
  content TEXT,
  published TEXT,
  url TEXT,
  received_at TEXT NOT NULL,
  checked_at TEXT,
  next_check_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  read INTEGER NOT NULL DEFAULT 0,
  -- approved | hidden | NULL (not decided), as replies' moderation
  moderation TEXT,
  UNIQUE (source, target)
);
CREATE INDEX webmentions_due ON webmentions (next_check_at) WHERE next_check_at IS NOT NULL;
