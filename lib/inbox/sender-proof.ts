/**
 * Who wrote a POST to the inbox (docs/signing.md): an RFC 9421 signature made with a key the claimed
 * user_link's head feed publishes proves the sender is that feed's owner. Three outcomes:
 *
 *   signed    the signature verifies: the feed, the signature's hash (for the replay check), and the
 *             keys to cache if they were just read
 *   unsigned  no Signature-Input: accepted as before (other implementations do not sign), not proven
 *   refused   a signature that cannot be used: unreadable (400); a keyid that is not the claimed
 *             user_link, too old, a body that does not match its Content-Digest, no key that verifies
 *             it (403); the feed's keys could not be read (503, try later). Nothing is written.
 *
 * Cost: one Ed25519 verification per request with cached keys (the newest key first); a new sender,
 * an expired cache entry or a failed verification reads the feed once (RFC 9421 §3.2 step 4: the
 * verifier determines the key; a sender that rotated is found on the second read).
 */
import { Budget } from "../shared/budget.ts";
import type { Db } from "../shared/d1.ts";
import {
  base64url,
  digestMatches,
  importPublicKey,
  type ReceivedSignature,
  readSignature,
  type SignedRequest,
  sha256,
  staleness,
  verifyWith,
} from "../shared/http-signatures.ts";
import { FEED_ACCEPT } from "../shared/remote-feed-page.ts";
import { fetchRemote } from "../shared/remote-fetch.ts";
import { type PublishedKey, readSigningKeys, validKeys } from "../shared/signing-keys.ts";
import { normalizeUserLink } from "../shared/urls.ts";
import { decodeXmlBytes } from "../shared/xml-decoding.ts";
import { cachedKeys } from "./key-cache.ts";
import type { StoredSignature } from "./store.ts";

export type Proof =
  | { kind: "signed"; signature: StoredSignature; freshKeys?: PublishedKey[] }
  | { kind: "unsigned" }
  | { kind: "refused"; status: 400 | 403 | 503; detail: string };

export interface ProofDeps {
  db: Db;
  fetch: typeof fetch;
  allowLoopback: boolean;
  now: () => number;
}

/** One key fetch: a head feed page, a few hops, within a request's own subrequests. */
const KEY_FETCH_BUDGET = { subrequests: 4, bytes: 1024 * 1024, durationMs: 5_000 };

const refused = (status: 400 | 403 | 503, detail: string): Proof => ({ kind: "refused", status, detail });

/** The keys the feed publishes now, or why they could not be read. */
async function fetchKeys(feedUrl: string, deps: ProofDeps): Promise<PublishedKey[] | string> {
  const fetched = await fetchRemote(feedUrl, {
    fetch: deps.fetch,
    allowLoopback: deps.allowLoopback,
    budget: new Budget(KEY_FETCH_BUDGET, deps.now),
    headers: { Accept: FEED_ACCEPT },
  });
  if (!fetched.ok) return fetched.error.detail;
  if (fetched.value.status !== 200) return `${feedUrl} answered ${fetched.value.status}`;
  const text = decodeXmlBytes(fetched.value.bytes, fetched.value.headers.get("Content-Type"));
  if (!text.ok) return `${feedUrl} is not a feed that can be read`;
  return readSigningKeys(text.value.text);
}

async function verifiesWithAny(keys: readonly PublishedKey[], received: ReceivedSignature, nowMs: number): Promise<boolean> {
  for (const entry of validKeys(keys, nowMs)) {
    const key = await importPublicKey(entry.key);
    if (key && (await verifyWith(key, received))) return true;
  }
  return false;
}

export async function proveSender(request: SignedRequest, body: Uint8Array, claimedLink: string, deps: ProofDeps): Promise<Proof> {
  const read = readSignature(request);
  if (read === undefined) return { kind: "unsigned" };
  if (!read.ok) return refused(400, read.error);
  const received = read.value;
  const feed = normalizeUserLink(claimedLink);
  if (!feed || normalizeUserLink(received.keyId) !== feed) {
    return refused(403, "the signature's keyid is not the user_link this request claims: sign with the key your own feed publishes");
  }
  const nowMs = deps.now();
  const stale = staleness(received.createdSeconds, nowMs);
  if (stale) return refused(403, stale);
  if (!(await digestMatches(request.headers.get("Content-Digest") ?? "", body))) {
    return refused(403, "the body does not match its Content-Digest (RFC 9530): it was changed on the way, or the digest is wrong");
  }
  const signature: StoredSignature = { signedBy: feed, hash: base64url(await sha256(received.signature)) };
  const cached = await cachedKeys(deps.db, feed);
  if (cached && cached.expiresAtMs > nowMs && (await verifiesWithAny(cached.keys, received, nowMs))) return { kind: "signed", signature };
  const fresh = await fetchKeys(claimedLink, deps);
  if (typeof fresh === "string") return refused(503, `the signing keys of ${claimedLink} could not be read (${fresh}); nothing was stored, try again later`);
  if (fresh.length === 0) return refused(403, `${claimedLink} publishes no signing key, so its signature cannot be checked; send unsigned or publish the key`);
  if (!(await verifiesWithAny(fresh, received, nowMs))) return refused(403, `the signature does not verify with the keys ${claimedLink} publishes`);
  return { kind: "signed", signature, freshKeys: fresh };
}
