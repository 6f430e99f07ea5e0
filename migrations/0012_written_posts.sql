-- Skein's write path (lib/write/): every post the owner wrote through the Worker (the owner's
-- pages, the owner API, later Micropub) and what became of it. Never edit this file once deployed;
-- add a later migration for changes.
--
-- The life of a row:
--   committed  the forge made the commit (commit_sha, commit_url); the deploy it triggers publishes it
--   live       our own head feed carries the post (checked by the write.live job, lib/write/live-job.ts)
--   failed     the forge refused or could not be reached; `error` says why and `draft` keeps every
--              word typed, so the form comes back filled
-- A draft that fails its checks is refused before anything is written: no row.
--
-- Rows written (D1's meta, measured in test/write/): a post 2 (the row and its state index), 2 more
-- when it goes live.

CREATE TABLE written_posts (
  id INTEGER PRIMARY KEY,
  -- our post's guid (the front matter's id); NULL when it failed before an id was committed
  post_id INTEGER,
  kind TEXT NOT NULL CHECK (kind IN ('post', 'reply', 'repost')),
  state TEXT NOT NULL CHECK (state IN ('committed', 'live', 'failed')),
  -- posts/<day>-<slug>.md as committed
  path TEXT,
  commit_sha TEXT,
  commit_url TEXT,
  -- the draft as JSON (lib/shared/post-file.ts PostDraft): text, language, reply_to / repost
  draft TEXT NOT NULL,
  error TEXT,
  created_at TEXT NOT NULL,
  live_at TEXT
);

-- The live check reads the committed rows; the next id reads the highest post_id.
CREATE INDEX written_posts_state ON written_posts (state, post_id);
