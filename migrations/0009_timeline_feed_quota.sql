-- Skein timeline: what one followed feed may store (lib/timeline/feed-quota.ts, docs/timeline.md).
-- A feed that turns hostile (an endless next_node chain of fresh guids) would otherwise store items
-- every run, all day: each followed feed gets a number of items a run and a number a UTC day, and a
-- feed over its day's number is paused until the next day (the owner sees why in the follow status).
-- Never edit this file once deployed.
--
-- No extra rows written: the counter is set in the UPDATE that already writes the follow's row in the
-- batch that stores its items (a WITHOUT ROWID table: one row, no index entries).

-- The UTC day (epoch ms of its midnight) items_today counts for.
ALTER TABLE timeline_follows ADD COLUMN items_day_ms INTEGER;
-- Items stored for this feed on that day.
ALTER TABLE timeline_follows ADD COLUMN items_today INTEGER NOT NULL DEFAULT 0;
-- Set while the feed is paused for storing its day's number of items: polling resumes then.
ALTER TABLE timeline_follows ADD COLUMN paused_until_ms INTEGER;
