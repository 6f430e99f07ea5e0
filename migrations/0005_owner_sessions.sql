-- The owner's browser sessions (/owner/ pages). Never edit this file once deployed.
-- Only a SHA-256 of the session id is stored: a copy of the database cannot sign anyone in. A
-- session lasts a fixed time (no sliding expiry, so using the pages writes nothing); signing out
-- deletes the row, and housekeeping deletes expired ones.
CREATE TABLE owner_sessions (
  id_hash TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
