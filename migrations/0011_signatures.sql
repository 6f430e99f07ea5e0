-- Signed messages and notifications (RFC 9421; docs/signing.md). Never edit once deployed.
--
-- signed_by: the normalized feed URL whose published key verified the request's signature; NULL when
-- the request was not signed (accepted as before: other Open Microblog implementations do not sign),
-- so its claimed identity is not proven. signature_hash: SHA-256 (base64url) of the signature, so a
-- replay of the very request is told from an honest retry (a retry is signed anew): the duplicate's
-- stored hash equals the replay's, and the replay is refused without a write. No index: the
-- idempotency keys already find the duplicate, and an index would cost a row written per message.
ALTER TABLE messages ADD COLUMN signed_by TEXT;
ALTER TABLE messages ADD COLUMN signature_hash TEXT;
ALTER TABLE replies ADD COLUMN signed_by TEXT;
ALTER TABLE replies ADD COLUMN signature_hash TEXT;

-- Other sites' published signing keys, read from their head feed: one row per feed (normalized URL),
-- the keys as JSON ([{"key": "...", "until": "..."}]), refetched after expires_at or once when a
-- signature does not verify with them. Written only on an accepted request's path.
CREATE TABLE signing_keys (
  feed TEXT PRIMARY KEY,
  keys TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
