/**
 * IndieAuth access tokens in D1 (migrations/0014_indieauth.sql): one small function per query, the
 * database first. A token is 32 random bytes (64 hex digits) handed to the client once; D1 keeps only
 * its SHA-256. Times are milliseconds since the epoch, `now` always passed in.
 *
 * verifyAccessToken() is what a resource server on this Worker (Micropub, lib/micropub) calls with
 * the bearer token it received (IndieAuth §6: "Access Token Verification").
 */
import type { Db } from "../shared/d1.ts";
import { newSecret, SECRET_SHAPE, secretHash } from "./hashes.ts";

export type AccessGrant = { id: number; client_id: string; scope: string[]; me: string; expires_at: number };

/** What the owner's pages list: a grant plus when it was made and last used. */
export type TokenRow = AccessGrant & { created_at: number; last_used_at: number | null; revoked_at: number | null };

/** 90 days: an app keeps posting for a season, and a lost phone's token ends by itself. */
export const ACCESS_TOKEN_LIFETIME_MS = 90 * 24 * 60 * 60_000;
/** last_used_at is written at most this often: a busy app costs at most 24 rows a day, not one a post. */
export const LAST_USED_RESOLUTION_MS = 60 * 60_000;

type Row = { id: number; client_id: string; scope: string; me: string; expires_at: number };
type FullRow = Row & { created_at: number; last_used_at: number | null; revoked_at: number | null };

/** Space-separated scopes (OAuth 2.0 §3.3) as a list, without duplicates or empty names. */
export function scopeList(scope: string): string[] {
  return [...new Set(scope.split(" ").filter(Boolean))];
}

function grantOf(row: Row): AccessGrant {
  return { id: row.id, client_id: row.client_id, scope: scopeList(row.scope), me: row.me, expires_at: row.expires_at };
}

/**
 * The grant behind a bearer token, or null when it is unknown, expired or revoked. A token of the
 * wrong shape costs no D1 call; a good one costs one (a batch: last_used_at, written at most hourly,
 * then the row).
 */
export async function verifyAccessToken(db: Db, token: string, now: number): Promise<AccessGrant | null> {
  if (!SECRET_SHAPE.test(token)) return null;
  const hash = await secretHash(token);
  const [, found] = await db.batch<Row>([
    db
      .prepare(
        `UPDATE indieauth_tokens SET last_used_at = ?2
         WHERE token_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2 AND (last_used_at IS NULL OR last_used_at <= ?3)`,
      )
      .bind(hash, now, now - LAST_USED_RESOLUTION_MS),
    db
      .prepare("SELECT id, client_id, scope, me, expires_at FROM indieauth_tokens WHERE token_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2")
      .bind(hash, now),
  ]);
  const row = found?.results[0];
  return row ? grantOf(row) : null;
}

export interface NewToken {
  client_id: string;
  scope: readonly string[];
  me: string;
  /** The authorization code's hash it was issued for (a second use of the code revokes the token). */
  code_hash?: string | undefined;
}

/** Issues a token: the secret is returned once and never stored. Costs 1 D1 call, 2 rows. */
export async function issueAccessToken(db: Db, grant: NewToken, now: number): Promise<{ token: string; grant: AccessGrant }> {
  const token = newSecret();
  const expires_at = now + ACCESS_TOKEN_LIFETIME_MS;
  const scope = scopeList(grant.scope.join(" ")).join(" ");
  const row = await db
    .prepare(
      `INSERT INTO indieauth_tokens (token_hash, code_hash, client_id, scope, me, created_at, expires_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id`,
    )
    .bind(await secretHash(token), grant.code_hash ?? null, grant.client_id, scope, grant.me, now, expires_at)
    .first<{ id: number }>();
  return { token, grant: { id: row!.id, client_id: grant.client_id, scope: scopeList(scope), me: grant.me, expires_at } };
}

/** Revokes a token by its secret (IndieAuth §7). True when a live token was revoked. */
export async function revokeAccessToken(db: Db, token: string, now: number): Promise<boolean> {
  if (!SECRET_SHAPE.test(token)) return false;
  const { meta } = await db
    .prepare("UPDATE indieauth_tokens SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL")
    .bind(await secretHash(token), now)
    .run();
  return meta.changes > 0;
}

/** Revokes a token by its row id (the owner's Revoke button). True when a live token was revoked. */
export async function revokeTokenById(db: Db, id: number, now: number): Promise<boolean> {
  const { meta } = await db.prepare("UPDATE indieauth_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL").bind(id, now).run();
  return meta.changes > 0;
}

/** Revokes every token issued for a code (its second redemption, OAuth 2.1 §4.1.3). */
export async function revokeTokensOfCode(db: Db, codeHash: string, now: number): Promise<number> {
  const { meta } = await db.prepare("UPDATE indieauth_tokens SET revoked_at = ?2 WHERE code_hash = ?1 AND revoked_at IS NULL").bind(codeHash, now).run();
  return meta.changes;
}

/** The tokens still in force, newest first (the owner's Apps page). */
export async function liveTokens(db: Db, now: number, limit = 100): Promise<TokenRow[]> {
  const { results } = await db
    .prepare(
      `SELECT id, client_id, scope, me, created_at, expires_at, last_used_at, revoked_at FROM indieauth_tokens
       WHERE revoked_at IS NULL AND expires_at > ?1 ORDER BY id DESC LIMIT ?2`,
    )
    .bind(now, limit)
    .all<FullRow>();
  return results.map((row) => ({ ...grantOf(row), created_at: row.created_at, last_used_at: row.last_used_at, revoked_at: row.revoked_at }));
}

/** Housekeeping: tokens past their end or revoked more than a day ago. */
export async function deleteDeadTokens(db: Db, now: number): Promise<number> {
  const { meta } = await db
    .prepare("DELETE FROM indieauth_tokens WHERE expires_at <= ?1 OR revoked_at <= ?2")
    .bind(now, now - 24 * 60 * 60_000)
    .run();
  return meta.changes;
}
