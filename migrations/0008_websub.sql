-- Skein and WebSub (W3C Recommendation 2018): the publisher's pings, Skein as its own hub, and the
-- timeline as a subscriber. Never edit this file once deployed; later changes get their own number.
--
-- Rows written (D1's meta, measured in test/websub/ and bench/websub.ts; the free plan allows 100,000
-- a day, index entries included): a ping 1 per (hub, feed) and deploy; a subscription 1 when verified
-- (WITHOUT ROWID: the key is the table; the due index only holds rows with a delivery pending), each
-- delivery 2-3 (queued: row + its due-index entry; done: row + the entry removed); a followed feed's
-- hub state 2 when first seen (row + token index), 1 per change after that; a push stores its items
-- as the poller does (lib/timeline/store.ts) plus 1 for the follow's marker.

-- Publisher (lib/websub/publish-job.ts): one row per (hub, topic) -- the head page hash last handled,
-- so each deploy pings each hub once, and how it went.
CREATE TABLE websub_pings (
  hub TEXT NOT NULL,
  topic TEXT NOT NULL,
  -- SHA-256 of the topic's page as built (SiteConfig.websub.topics[].sha256)
  sha256 TEXT NOT NULL,
  -- waiting: not live yet, or a retry is due at next_attempt_ms; sent: the hub answered 2xx (or, our
  -- own hub, the deliveries are queued); failed: a 4xx, retries used up, or the page never went live
  state TEXT NOT NULL CHECK (state IN ('waiting', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  -- when this hash was first seen: the wait for the deploy to go live is bounded from here
  first_seen_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER,
  http_status INTEGER,
  last_error TEXT,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (hub, topic)
) WITHOUT ROWID;

-- Hub (lib/websub/hub-routes.ts, deliver-job.ts): verified subscriptions to our own topics.
CREATE TABLE websub_subscriptions (
  topic TEXT NOT NULL,
  callback TEXT NOT NULL,
  -- hub.secret as the subscriber gave it (< 200 bytes), the HMAC key of X-Hub-Signature; NULL: unsigned
  secret TEXT,
  lease_seconds INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  -- a delivery waiting: the page hash to deliver and when to try (NULL: nothing to deliver)
  pending_sha256 TEXT,
  next_attempt_ms INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  delivered_sha256 TEXT,
  delivered_ms INTEGER,
  last_status INTEGER,
  last_error TEXT,
  PRIMARY KEY (topic, callback)
) WITHOUT ROWID;

-- The delivery queue: only subscriptions with a delivery pending are in it.
CREATE INDEX websub_subscriptions_due ON websub_subscriptions (next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;

-- Subscriber (lib/timeline/websub-*.ts): for each followed account, whether its feed declares a hub
-- and our subscription there.
CREATE TABLE websub_follows (
  -- the followed account (timeline_follows.user_id)
  user_id TEXT PRIMARY KEY,
  -- the last part of our callback URL (128 random bits): which subscription a hub is calling
  token TEXT NOT NULL,
  -- hub.secret we gave the hub (256 random bits): the HMAC key every delivery must be signed with
  secret TEXT NOT NULL,
  -- the hub and topic (the feed's rel="self", else the URL it was read at); NULL: no hub declared
  hub TEXT,
  topic TEXT,
  -- none: no hub; subscribing: asked, waiting for the hub's verification; active: verified, lease
  -- running; unsubscribing: asked to stop (unfollowed); failed: the hub refused or never verified
  state TEXT NOT NULL CHECK (state IN ('none', 'subscribing', 'active', 'unsubscribing', 'failed')),
  lease_expires_ms INTEGER,
  -- when the hub last verified our subscription (the lease runs from there)
  verified_ms INTEGER,
  -- last (un)subscribe request sent, last look for a hub, when to try again (for an active
  -- subscription: set while a renewal waits for its verification)
  requested_ms INTEGER,
  checked_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  -- valid deliveries received
  pushes INTEGER NOT NULL DEFAULT 0,
  pushed_ms INTEGER
) WITHOUT ROWID;

CREATE UNIQUE INDEX websub_follows_token ON websub_follows (token);
