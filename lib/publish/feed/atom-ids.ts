/**
 * The atom:id of our feed and of every entry (RFC 4287 §4.2.6: "a permanent, universally unique
 * identifier ... MUST NOT change" even when the entry is "relocated, migrated, syndicated,
 * republished, exported, or imported").
 *
 * Not derived from the site's URL: a site that moves to another domain (spec "Relocation") keeps
 * its entries' ids, so readers do not show every post again as new. Instead every id is a name-based
 * UUID (RFC 9562 §5.5, version 5: SHA-1 of a namespace and a name) written as `urn:uuid:...`:
 *
 *   entry of item (user_id, status_id)  urn:uuid:v5(OPEN_MICROBLOG_ITEM_NAMESPACE, "<user_id> <status_id>")
 *   the feed of user_id                 urn:uuid:v5(OPEN_MICROBLOG_ITEM_NAMESPACE, "<user_id>")
 *
 * Why these and not a `tag:` URI (RFC 4151): a tag names an authority (a domain or an e-mail address
 * owned at a date); the profile has neither for life -- the domain is exactly what may change -- so a
 * tag would have to be minted once and stored. The two values the profile already keeps for life,
 * user_id ("identifies you for good", a UUID) and the post's guid (never moves, lib/publish/guids.ts),
 * make the id with nothing stored. Why one fixed namespace and not the user's own UUID as the
 * namespace: other Open Microblog services use user_ids that are not UUIDs, and an RFC 4685
 * `thr:in-reply-to ref` names THEIR item with the same function, so a reply to another Skein site
 * points at exactly the id that site's Atom feed gives the item. A space separates the two parts:
 * no user_id or status_id may contain one (lib/shared/schemas.ts idPattern, our UUID and integers).
 */
import { createHash } from "node:crypto";

/** RFC 9562 §6.6: the namespace for names that are URLs. */
const URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A version 5 (SHA-1, name-based) UUID, lower case (RFC 9562 §5.5). */
export function uuidV5(namespace: string, name: string): string {
  if (!UUID.test(namespace)) throw new Error(`not a UUID: ${namespace}`);
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replace(/-/g, ""), "hex"))
    .update(name, "utf8")
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The namespace of Open Microblog items and feeds: v5 of the spec's namespace URL in the URL namespace. */
export const OPEN_MICROBLOG_ITEM_NAMESPACE = uuidV5(URL_NAMESPACE, "http://openmicroblog.com/");

/** A user_id as the id function reads it: a UUID in lower case (UUIDs compare without case), anything else as written. */
function canonicalUserId(userId: string): string {
  return UUID.test(userId) ? userId.toLowerCase() : userId;
}

/** The atom:id of item `statusId` of the account `userId` (ours, or the one a reply answers). */
export function atomEntryId(userId: string, statusId: string | number): string {
  return `urn:uuid:${uuidV5(OPEN_MICROBLOG_ITEM_NAMESPACE, `${canonicalUserId(userId)} ${statusId}`)}`;
}

/** The atom:id of the account's feed, the same on the head page and on every archive page (one logical feed). */
export function atomFeedId(userId: string): string {
  return `urn:uuid:${uuidV5(OPEN_MICROBLOG_ITEM_NAMESPACE, canonicalUserId(userId))}`;
}
