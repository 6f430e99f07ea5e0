-- Bounds of Skein's own WebSub hub (lib/websub/hub-limits.ts): how many subscriptions one client
-- network and one callback host may hold, and how many subscriptions (new or renewed) one network and
-- the whole hub may store a UTC day. The counts live in websub_hub_counts, kept by triggers, so a
-- subscription request is checked by reading a few rows by key, and a refusal writes nothing.
--
-- Rows written (D1's meta, measured in test/websub/hub-limits.test.ts): a new subscription 6 (its row;
-- 'all', its network's and its host's counts; the day's two counts), a renewal 3 (the row, the day's
-- two counts), a removal (unsubscribe, 410 Gone, lease ended) 4 (the row, three counts).

-- The client network (lib/worker-kit/rate-limit.ts clientNetworkKey) that asked for the subscription
-- and the callback's host name, lower case. Rows from before this migration: '?' and the callback's
-- authority as SQL can cut it out (so they are counted, if coarsely).
ALTER TABLE websub_subscriptions ADD COLUMN network TEXT NOT NULL DEFAULT '?';
ALTER TABLE websub_subscriptions ADD COLUMN callback_host TEXT NOT NULL DEFAULT '?';

UPDATE websub_subscriptions
SET callback_host = lower(substr(substr(callback, instr(callback, '://') + 3), 1, instr(substr(callback, instr(callback, '://') + 3) || '/', '/') - 1))
WHERE instr(callback, '://') > 0;

-- key: 'all' | 'network:<network>' | 'host:<host>' (subscriptions held now), 'day:<YYYY-MM-DD>:all' |
-- 'day:<YYYY-MM-DD>:network:<network>' (subscriptions stored that UTC day, new or renewed; the
-- deliver job's hourly sweep deletes past days and counts down to 0).
CREATE TABLE websub_hub_counts (
  key TEXT PRIMARY KEY,
  n INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO websub_hub_counts (key, n) SELECT 'all', COUNT(*) FROM websub_subscriptions;
INSERT INTO websub_hub_counts (key, n) SELECT 'network:' || network, COUNT(*) FROM websub_subscriptions GROUP BY network;
INSERT INTO websub_hub_counts (key, n) SELECT 'host:' || callback_host, COUNT(*) FROM websub_subscriptions GROUP BY callback_host;

CREATE TRIGGER websub_subscription_added AFTER INSERT ON websub_subscriptions
BEGIN
  INSERT INTO websub_hub_counts (key, n) VALUES
    ('all', 1),
    ('network:' || NEW.network, 1),
    ('host:' || NEW.callback_host, 1),
    ('day:' || date(NEW.created_ms / 1000, 'unixepoch') || ':all', 1),
    ('day:' || date(NEW.created_ms / 1000, 'unixepoch') || ':network:' || NEW.network, 1)
  ON CONFLICT (key) DO UPDATE SET n = n + 1;
END;

-- A renewal (§5.1: the same topic and callback again) sets a new lease: counted for the day it was made.
CREATE TRIGGER websub_subscription_renewed AFTER UPDATE OF expires_ms ON websub_subscriptions
BEGIN
  INSERT INTO websub_hub_counts (key, n) VALUES
    ('day:' || date((NEW.expires_ms - NEW.lease_seconds * 1000) / 1000, 'unixepoch') || ':all', 1),
    ('day:' || date((NEW.expires_ms - NEW.lease_seconds * 1000) / 1000, 'unixepoch') || ':network:' || NEW.network, 1)
  ON CONFLICT (key) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER websub_subscription_removed AFTER DELETE ON websub_subscriptions
BEGIN
  UPDATE websub_hub_counts SET n = n - 1 WHERE key IN ('all', 'network:' || OLD.network, 'host:' || OLD.callback_host);
END;
