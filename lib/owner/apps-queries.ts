/**
 * What the Apps section reads and writes, through lib/indieauth's store (the same functions its
 * endpoints use): the consent's code, the list of apps' tokens, a revocation.
 */
import { issueCode } from "../indieauth/codes.ts";
import type { AuthorizationQuery } from "../indieauth/request.ts";
import { liveTokens, revokeTokenById, type TokenRow } from "../indieauth/tokens.ts";
import type { Db } from "../shared/d1.ts";

export type { TokenRow };

/** The owner approved: a code for exactly the scopes ticked (a subset of those offered). */
export function approve(db: Db, request: AuthorizationQuery, scope: string[], me: string, now: number): Promise<string> {
  return issueCode(db, { client_id: request.client_id, redirect_uri: request.redirect_uri, scope, code_challenge: request.code_challenge, me }, now);
}

export function appTokens(db: Db, now: number): Promise<TokenRow[]> {
  return liveTokens(db, now);
}

export function revokeApp(db: Db, id: number, now: number): Promise<boolean> {
  return revokeTokenById(db, id, now);
}
