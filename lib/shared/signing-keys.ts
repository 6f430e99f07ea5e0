/**
 * Skein's signing-key extension of the head feed (docs/signing.md): a channel-level element in a
 * namespace of Skein's own, which RSS 2.0 allows ("a RSS feed may contain elements not described on
 * this page, only if those elements are defined in a namespace") and the Open Microblog validator
 * ignores (it reports only unknown elements of its own namespace or of none):
 *
 *   <rss ... xmlns:skein="urn:uuid:79618c80-3638-4b74-9aea-6fbd5c7c1956">
 *     <channel> ...
 *       <skein:signing_key alg="ed25519">base64url of the raw 32-byte public key</skein:signing_key>
 *       <skein:signing_key alg="ed25519" until="2026-12-21T00:00:00Z">the previous key</skein:signing_key>
 *
 * A key with `until` is being retired: receivers accept it until then (the rotation's grace period).
 * Only the head page carries keys; archives never change.
 */
import { scanXml, XmlSyntaxError, XmlToken } from "./xml-scanner.ts";

/**
 * The namespace name: a UUID URN (RFC 9562: the IANA-registered "uuid" URN namespace), unique without
 * a domain of our own to hold; docs/signing.md says why. A change receivers could not read gets a new one.
 */
export const SIGNING_NS = "urn:uuid:79618c80-3638-4b74-9aea-6fbd5c7c1956";
export const SIGNING_KEY_ELEMENT = "signing_key";
/** A feed publishes at most this many keys; receivers read no more (the current one and retiring ones). */
export const MAX_PUBLISHED_KEYS = 4;
/** How long `npm run keys -- rotate` keeps the old key published: receivers' caches outlive no more. */
export const ROTATION_GRACE_DAYS = 7;

export interface PublishedKey {
  /** Raw Ed25519 public key, base64url (RFC 8037's "x"). */
  key: string;
  /** ISO 8601 UTC: no longer valid after this instant (a retiring key). */
  until?: string;
}

/** Keys still valid at `nowMs`, newest (no `until`) first: the one a sender most likely signed with. */
export function validKeys(keys: readonly PublishedKey[], nowMs: number): PublishedKey[] {
  const valid = keys.filter((entry) => entry.until === undefined || Date.parse(entry.until) > nowMs);
  return valid.sort((a, b) => (a.until === undefined ? -1 : b.until === undefined ? 1 : Date.parse(b.until) - Date.parse(a.until)));
}

const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;

/**
 * The signing keys a feed page declares at channel level, read with the one XML scanner up to the
 * first <item> (the keys sit in the header). Namespaces are resolved as written, with the prefix bound
 * anywhere on the path. Unreadable XML or no keys: an empty list.
 */
export function readSigningKeys(xml: string): PublishedKey[] {
  const keys: PublishedKey[] = [];
  const scopes: Map<string, string>[] = [];
  let capture: PublishedKey | undefined;
  let text = "";
  try {
    const scanner = scanXml(xml, { subject: "feed", maxDepth: 32 });
    for (let token = scanner.next(); token !== XmlToken.End; token = scanner.next()) {
      if (token === XmlToken.StartElement) {
        const scope = new Map(scopes.at(-1));
        let until: string | undefined;
        for (let i = 0; i < scanner.attributeCount; i++) {
          const name = scanner.attributeNames[i] as string;
          if (name.startsWith("xmlns:")) scope.set(name.slice(6), scanner.attributeValues[i] as string);
          if (name === "until") until = scanner.attributeValues[i];
        }
        scopes.push(scope);
        const [prefix, local] = scanner.name.includes(":") ? scanner.name.split(":") : ["", scanner.name];
        if (local === "item" || local === "entry") break;
        if (scopes.length === 3 && local === SIGNING_KEY_ELEMENT && prefix && scope.get(prefix) === SIGNING_NS) {
          capture = until !== undefined && !Number.isNaN(Date.parse(until)) ? { key: "", until } : { key: "" };
          text = "";
        }
      } else if (token === XmlToken.EndElement) {
        if (capture && scopes.length === 3) {
          capture.key = text.trim();
          if (KEY_TEXT.test(capture.key) && keys.length < MAX_PUBLISHED_KEYS) keys.push(capture);
          capture = undefined;
        }
        scopes.pop();
      } else if ((token === XmlToken.Text || token === XmlToken.Cdata) && capture) {
        text += scanner.value;
      }
    }
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
  }
  return keys;
}
