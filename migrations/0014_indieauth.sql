-- IndieAuth (lib/indieauth/): the authorization codes the owner granted and the access tokens they
-- were exchanged for. Never edit this file once deployed; add a later migration for changes.
--
-- Only SHA-256 hashes of codes and tokens are stored (hex): a copy of the database lets nobody post.
-- Times are milliseconds since the epoch (UTC). Scopes are space-separated, as OAuth 2.0 §3.3 writes
-- them; an empty scope is a profile-only grant (IndieAuth §5.3.2), which never becomes a token.
--
-- Rows written (D1's meta, measured in test/indieauth/): a code 1 (the owner's Approve), its
-- redemption 1 (used_at), a token 2 (the row and its hash index); verifying a token writes last_used_at
-- at most once an hour (1 row), otherwise nothing; a revocation 1. A refusal writes nothing.

CREATE TABLE indieauth_codes (
  code_hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  -- PKCE (RFC 7636 §4.2), S256 only: BASE64URL(SHA256(code_verifier))
  code_challenge TEXT NOT NULL,
  me TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- 10 minutes after created_at (IndieAuth §5.2.1 recommends a maximum of 10 minutes)
  expires_at INTEGER NOT NULL,
  -- NULL until redeemed; a code is redeemed once (OAuth 2.1 §4.1.3)
  used_at INTEGER
) WITHOUT ROWID;

CREATE TABLE indieauth_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  -- The code it was issued for: a second redemption of that code revokes the token (OAuth 2.1 §4.1.3).
  code_hash TEXT,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  me TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
);
