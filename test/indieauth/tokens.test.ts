/**
 * The IndieAuth store in workerd with the real local D1 (lib/indieauth/tokens.ts, codes.ts): tokens
 * and codes are kept only as hashes; verifyAccessToken() refuses unknown, expired and revoked tokens;
 * last_used_at is written at most hourly; a code is redeemed once. Rows are D1's own meta.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CODE_LIFETIME_MS, deleteOldCodes, findCode, issueCode, markCodeUsed } from "../../lib/indieauth/codes.ts";
import { s256, secretHash } from "../../lib/indieauth/hashes.ts";
import {
  ACCESS_TOKEN_LIFETIME_MS,
  deleteDeadTokens,
  issueAccessToken,
  LAST_USED_RESOLUTION_MS,
  liveTokens,
  revokeAccessToken,
  revokeTokenById,
  revokeTokensOfCode,
  verifyAccessToken,
} from "../../lib/indieauth/tokens.ts";
import { type Db, emptyUsage, meteredDb } from "../../lib/shared/d1.ts";

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const db = env.DB as unknown as Db;
const metered = () => meteredDb(db, emptyUsage());
const app = { client_id: "https://app.example/", scope: ["create"], me: "https://site.example/" };

describe("access tokens", () => {
  it("issues a 256-bit token, stores only its SHA-256, and verifies it (2 rows, then 1 D1 call a verification)", async () => {
    const m = metered();
    const { token, grant } = await issueAccessToken(m.db, { ...app, scope: ["create", "create", "update"] }, NOW);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(m.usage).toMatchObject({ calls: 1, rowsWritten: 2 });
    expect(grant).toEqual({ id: grant.id, client_id: app.client_id, scope: ["create", "update"], me: app.me, expires_at: NOW + ACCESS_TOKEN_LIFETIME_MS });

    const stored = await db.prepare("SELECT * FROM indieauth_tokens WHERE id = ?1").bind(grant.id).first<Record<string, unknown>>();
    expect(Object.values(stored!)).not.toContain(token);
    expect(stored!.token_hash).toBe(await secretHash(token));

    const v = metered();
    expect(await verifyAccessToken(v.db, token, NOW + 1)).toEqual(grant);
    expect(v.usage.calls).toBe(1);
    expect(v.usage.rowsWritten).toBe(1);
    // Within the hour: no write; after it: one.
    const again = metered();
    expect(await verifyAccessToken(again.db, token, NOW + 2)).toEqual(grant);
    expect(again.usage.rowsWritten).toBe(0);
    const later = metered();
    expect(await verifyAccessToken(later.db, token, NOW + 1 + LAST_USED_RESOLUTION_MS)).toEqual(grant);
    expect(later.usage.rowsWritten).toBe(1);
    expect((await liveTokens(db, NOW + 2 + LAST_USED_RESOLUTION_MS)).find((t) => t.id === grant.id)?.last_used_at).toBe(NOW + 1 + LAST_USED_RESOLUTION_MS);
  });

  it("refuses unknown, malformed, expired and revoked tokens, writing nothing", async () => {
    const { token, grant } = await issueAccessToken(db, app, NOW);
    const m = metered();
    expect(await verifyAccessToken(m.db, "not-a-token", NOW)).toBeNull();
    expect(await verifyAccessToken(m.db, `${token} `, NOW)).toBeNull();
    expect(m.usage.calls).toBe(0);
    expect(await verifyAccessToken(m.db, "0".repeat(64), NOW)).toBeNull();
    expect(await verifyAccessToken(m.db, token, NOW + ACCESS_TOKEN_LIFETIME_MS)).toBeNull();
    expect(m.usage.rowsWritten).toBe(0);

    expect(await revokeAccessToken(db, token, NOW + 5)).toBe(true);
    expect(await revokeAccessToken(db, token, NOW + 6)).toBe(false);
    const r = metered();
    expect(await verifyAccessToken(r.db, token, NOW + 7)).toBeNull();
    expect(r.usage.rowsWritten).toBe(0);
    expect((await liveTokens(db, NOW + 7)).map((t) => t.id)).not.toContain(grant.id);
  });

  it("revokes by id (the owner's button) and every token of a code (its replay)", async () => {
    const first = await issueAccessToken(db, app, NOW);
    expect(await revokeTokenById(db, first.grant.id, NOW)).toBe(true);
    expect(await verifyAccessToken(db, first.token, NOW)).toBeNull();

    const codeHash = await secretHash("a code");
    const second = await issueAccessToken(db, { ...app, code_hash: codeHash }, NOW);
    const other = await issueAccessToken(db, app, NOW);
    expect(await revokeTokensOfCode(db, codeHash, NOW)).toBe(1);
    expect(await verifyAccessToken(db, second.token, NOW)).toBeNull();
    expect(await verifyAccessToken(db, other.token, NOW)).not.toBeNull();
  });
});

describe("authorization codes", () => {
  const request = async () => ({
    client_id: "https://app.example/",
    redirect_uri: "https://app.example/callback",
    scope: ["create"],
    code_challenge: await s256("a verifier of forty-three characters or more, ok"),
    me: "https://site.example/",
  });

  it("stores a hash, expires in 10 minutes and is marked used once (1 row each)", async () => {
    const m = metered();
    const code = await issueCode(m.db, await request(), NOW);
    expect(m.usage.rowsWritten).toBe(1);
    const found = await findCode(db, code);
    expect(found).toMatchObject({ ...(await request()), code_hash: await secretHash(code), expires_at: NOW + CODE_LIFETIME_MS, used_at: null });
    expect(await findCode(db, "x")).toBeNull();
    expect(await findCode(db, "f".repeat(64))).toBeNull();

    const used = metered();
    expect(await markCodeUsed(used.db, found!.code_hash, NOW + 1)).toBe(true);
    expect(used.usage.rowsWritten).toBe(1);
    expect(await markCodeUsed(db, found!.code_hash, NOW + 2)).toBe(false);
    expect((await findCode(db, code))?.used_at).toBe(NOW + 1);
  });

  it("cannot be marked used once expired", async () => {
    const code = await issueCode(db, await request(), NOW);
    const found = await findCode(db, code);
    expect(await markCodeUsed(db, found!.code_hash, NOW + CODE_LIFETIME_MS)).toBe(false);
  });

  it("computes the PKCE S256 challenge of RFC 7636 Appendix B", async () => {
    expect(await s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });
});

describe("housekeeping", () => {
  it("deletes tokens once expired or revoked a day ago, and codes a day after they expired; keeps the rest", async () => {
    const T = NOW + 400 * 24 * 60 * 60_000; // after every token of this file has expired
    const live = await issueAccessToken(db, app, T);
    const revoked = await issueAccessToken(db, app, T);
    await revokeTokenById(db, revoked.grant.id, T);
    const code = await issueCode(
      db,
      { client_id: "https://app.example/", redirect_uri: "https://app.example/cb", scope: [], code_challenge: "x", me: "https://site.example/" },
      T,
    );
    expect(await deleteOldCodes(db, T + 1)).toBeGreaterThan(0); // the older codes of this file
    expect(await findCode(db, code)).not.toBeNull();
    expect(await deleteDeadTokens(db, T + 1)).toBeGreaterThan(0);
    expect(await verifyAccessToken(db, live.token, T + 1)).not.toBeNull();
    expect(await deleteDeadTokens(db, T + 24 * 60 * 60_000)).toBe(1);
    expect(await deleteOldCodes(db, T + CODE_LIFETIME_MS + 24 * 60 * 60_000)).toBe(1);
    expect(await findCode(db, code)).toBeNull();
  });
});
