/**
 * Redeeming an authorization code (IndieAuth §5.3): at the token endpoint for an access token
 * (§5.3.3) or at the authorization endpoint for the profile URL alone (§5.3.2). Every check that can
 * refuse runs before the one write (the code marked used), so a refusal writes no D1 row -- except a
 * second redemption of a used code, which revokes what the first one issued (OAuth 2.1 §4.1.3: "If
 * an authorization code is used more than once, the authorization server ... SHOULD revoke all
 * access tokens previously issued based on that authorization code").
 */
import type { Db } from "../shared/d1.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { findCode, markCodeUsed, type StoredCode } from "./codes.ts";
import { s256 } from "./hashes.ts";
import { revokeTokensOfCode } from "./tokens.ts";

/** What the client sends (§5.3.1). */
export interface CodeExchange {
  code: string;
  client_id: string;
  redirect_uri: string;
  code_verifier: string;
}

/** An OAuth 2.0 error (RFC 6749 §5.2) and its HTTP status. */
export interface OAuthError {
  status: 400 | 401 | 403 | 429;
  error: "invalid_request" | "invalid_grant" | "invalid_client" | "invalid_token" | "unsupported_grant_type" | "access_denied" | "slow_down";
  error_description: string;
}

export type Redeemed = Result<StoredCode, OAuthError>;

const grantError = (error_description: string): Redeemed => err({ status: 400, error: "invalid_grant", error_description });

/** The refusals that depend only on the stored code and the request: no write. */
async function refusal(code: StoredCode, request: CodeExchange, now: number, needsScope: boolean): Promise<Redeemed | undefined> {
  if (code.expires_at <= now) return grantError("the authorization code has expired (codes last 10 minutes); start the sign-in again");
  // §5.3.1: client_id and redirect_uri "MUST match" the authorization request.
  if (code.client_id !== request.client_id) return grantError("the authorization code was issued to another client_id");
  if (code.redirect_uri !== request.redirect_uri) return grantError("redirect_uri does not match the authorization request");
  // §5.2 / RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) must equal the stored code_challenge.
  if ((await s256(request.code_verifier)) !== code.code_challenge) return grantError("code_verifier does not match the code_challenge (PKCE S256)");
  // §5.3.3: "If the authorization code was issued with no scope, the token endpoint MUST NOT issue an access token".
  if (needsScope && code.scope.length === 0) {
    return grantError(
      "the authorization code was issued without a scope: it gives no access token; redeem it at the authorization endpoint for the profile URL",
    );
  }
  return undefined;
}

/**
 * Checks the code against the request and marks it used. `needsScope`: the token endpoint's rule
 * (§5.3.3). 1 D1 call to read, 1 more (1 row) to mark it used; a replay also revokes its tokens.
 */
export async function redeemCode(db: Db, request: CodeExchange, now: number, needsScope: boolean): Promise<Redeemed> {
  const code = await findCode(db, request.code);
  if (!code) return grantError("unknown authorization code");
  if (code.used_at !== null) {
    await revokeTokensOfCode(db, code.code_hash, now);
    return grantError("the authorization code was already used; any token issued for it is now revoked");
  }
  const refused = await refusal(code, request, now, needsScope);
  if (refused) return refused;
  // Two redemptions racing: only one marks it; the other is a replay.
  if (!(await markCodeUsed(db, code.code_hash, now))) {
    await revokeTokensOfCode(db, code.code_hash, now);
    return grantError("the authorization code was already used; any token issued for it is now revoked");
  }
  return ok(code);
}
