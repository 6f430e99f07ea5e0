/**
 * The owner API's only lock: `Authorization: Bearer <OWNER_TOKEN>`. The token is a wrangler secret
 * in production and a line in .dev.vars locally. Compared in constant time (SHA-256 of both, then
 * an XOR over the fixed-length digests), so neither the content nor the length of the token leaks
 * through response timing. Tokens are never logged or echoed.
 */

export type OwnerAuth = { ok: true } | { ok: false; detail: string };

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** True when a and b are equal, in time that depends on neither. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([digest(a), digest(b)]);
  let difference = 0;
  for (let i = 0; i < da.length; i++) difference |= da[i]! ^ db[i]!;
  return difference === 0;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return m ? m[1] : undefined;
}

export async function checkOwner(configuredToken: string | undefined, authorization: string | undefined): Promise<OwnerAuth> {
  if (!configuredToken || !configuredToken.trim()) {
    return {
      ok: false,
      detail: "the owner token is not set: add OWNER_TOKEN to .dev.vars locally (npm run init writes one) or run `wrangler pages secret put OWNER_TOKEN` for the deployed site",
    };
  }
  const presented = bearerToken(authorization);
  if (presented === undefined) return { ok: false, detail: "send the owner token as Authorization: Bearer <token>" };
  if (!(await constantTimeEqual(presented, configuredToken.trim()))) return { ok: false, detail: "the owner token does not match" };
  return { ok: true };
}
