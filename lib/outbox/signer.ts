/**
 * Our side of signing (docs/signing.md): everything the outbox POSTs is signed with the site's key
 * (RFC 9421, lib/shared/http-signatures.ts), the key id being our head feed's URL, where receivers
 * find the public key.
 *
 * The Worker signs only with a key the build published (config.signing.keys, still valid): a secret
 * that is newer than the deployed feed (`npm run keys -- rotate`, `wrangler secret put` before the
 * deploy) would make every receiver refuse, so until the feed catches up we send unsigned, as any
 * other Open Microblog implementation does, and say so in the log.
 */
import { importSigningKey, signRequest } from "../shared/http-signatures.ts";
import { validKeys } from "../shared/signing-keys.ts";
import type { SiteConfig } from "../shared/site-config.ts";

export interface Signer {
  /** The fields to add to a POST of these bytes to this URL. */
  headers(url: string, body: Uint8Array, nowMs: number): Promise<Record<string, string>>;
}

/** Imported keys per isolate, by secret: an import costs more than a signature. */
const imported = new Map<string, ReturnType<typeof importSigningKey>>();

export async function ownSigner(config: SiteConfig, secret: string | undefined, nowMs: number): Promise<Signer | undefined> {
  if (!secret) return undefined;
  let pending = imported.get(secret);
  if (!pending) {
    pending = importSigningKey(secret);
    imported.set(secret, pending);
  }
  const key = await pending;
  if (!key) {
    console.error("skein outbox: SIGNING_KEY is not an Ed25519 PKCS #8 key (npm run keys -- rotate makes one); sending unsigned");
    return undefined;
  }
  if (!validKeys(config.signing?.keys ?? [], nowMs).some((entry) => entry.key === key.publicKey)) {
    console.error("skein outbox: SIGNING_KEY's public key is not on the deployed feed yet (build and deploy); sending unsigned");
    return undefined;
  }
  const keyId = config.owner.feed_url;
  return {
    headers: (url, body, at) => signRequest({ method: "POST", url, body }, { privateKey: key.privateKey, keyId }, at),
  };
}
