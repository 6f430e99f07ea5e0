/**
 * IndieAuth authorization codes in D1 (migrations/0014_indieauth.sql): random, stored hashed, valid
 * for 10 minutes and redeemable once (IndieAuth §5.2.1: "The code MUST expire shortly after it is
 * issued ... a maximum lifetime of 10 minutes is recommended"; OAuth 2.1 §4.1.3).
 */
import type { Db } from "../shared/d1.ts";
import { newSecret, SECRET_SHAPE, secretHash } from "./hashes.ts";
import { scopeList } from "./tokens.ts";

export const CODE_LIFETIME_MS = 10 * 60_000;

export interface CodeRequest {
  client_id: string;
  redirect_uri: string;
  /** Empty: a profile-only grant (§5.3.2), which never becomes an access token. */
  scope: readonly string[];
  code_challenge: string;
  me: string;
}

export type StoredCode = Omit<CodeRequest, "scope"> & {
  code_hash: string;
  scope: string[];
  created_at: number;
  expires_at: number;
  used_at: number | null;
};

type Row = Omit<StoredCode, "scope"> & { scope: string };

/** The owner approved: a new code (returned once, stored hashed). 1 D1 call, 1 row. */
export async function issueCode(db: Db, request: CodeRequest, now: number): Promise<string> {
  const code = newSecret();
  await db
    .prepare(
      `INSERT INTO indieauth_codes (code_hash, client_id, redirect_uri, scope, code_challenge, me, created_at, expires_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
    )
    .bind(
      await secretHash(code),
      request.client_id,
      request.redirect_uri,
      scopeList(request.scope.join(" ")).join(" "),
      request.code_challenge,
      request.me,
      now,
      now + CODE_LIFETIME_MS,
    )
    .run();
  return code;
}

/** The stored code, used or not, expired or not (the caller decides and says why). No write. */
export async function findCode(db: Db, code: string): Promise<StoredCode | null> {
  if (!SECRET_SHAPE.test(code)) return null;
  const row = await db
    .prepare("SELECT code_hash, client_id, redirect_uri, scope, code_challenge, me, created_at, expires_at, used_at FROM indieauth_codes WHERE code_hash = ?1")
    .bind(await secretHash(code))
    .first<Row>();
  return row ? { ...row, scope: scopeList(row.scope) } : null;
}

/**
 * Marks the code used. False when another request used it first (two redemptions racing): only one
 * of them wins, whatever the timing. 1 D1 call, 1 row.
 */
export async function markCodeUsed(db: Db, codeHash: string, now: number): Promise<boolean> {
  const { meta } = await db
    .prepare("UPDATE indieauth_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2")
    .bind(codeHash, now)
    .run();
  return meta.changes > 0;
}

/** Housekeeping: codes expired more than a day ago (kept that long so a late replay is recognised). */
export async function deleteOldCodes(db: Db, now: number): Promise<number> {
  const { meta } = await db
    .prepare("DELETE FROM indieauth_codes WHERE expires_at <= ?1")
    .bind(now - 24 * 60 * 60_000)
    .run();
  return meta.changes;
}
