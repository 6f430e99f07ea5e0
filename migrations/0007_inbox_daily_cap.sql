-- A daily cap on what strangers can make the inbox store (lib/inbox/daily-cap.ts). The rate limits
-- bound each network and each sender; this bounds them all together, so no number of networks can
-- spend the free plan's 100,000 rows written a day on the inbox. One row per UTC day; accounts in
-- follows.yaml and `selected` are not counted (and never refused by it). Never edit once deployed.
CREATE TABLE inbox_daily (
  day TEXT PRIMARY KEY,
  accepted INTEGER NOT NULL
) WITHOUT ROWID;
