/**
 * WebSub (W3C Recommendation, 23 January 2018) as Skein speaks it, in one place for the three roles:
 * the publisher (publish-job.ts pings the profile's hubs after a deploy), the hub (hub-routes.ts,
 * deliver-job.ts: Skein as its own hub) and the subscriber (lib/timeline/websub-*.ts: the timeline
 * subscribes to the feeds it follows). Pure: Web Crypto only, no clock, no D1.
 */

/** §5.1: a subscription lasts this long unless the subscriber asks otherwise. */
export const DEFAULT_LEASE_SECONDS = 10 * 24 * 3600;
/** The shortest and longest leases our hub grants (a request outside is brought inside, §5.1 lets the hub decide). */
export const MIN_LEASE_SECONDS = 3600;
export const MAX_LEASE_SECONDS = 30 * 24 * 3600;

/** §5.1: hub.secret "MUST be less than 200 bytes". */
export const MAX_SECRET_BYTES = 199;

export { FORM_CONTENT_TYPE } from "../worker-kit/form-body.ts";

/** The lease our hub grants for a requested one (absent: the default). */
export function grantedLease(requested: number | undefined): number {
  if (requested === undefined) return DEFAULT_LEASE_SECONDS;
  return Math.min(MAX_LEASE_SECONDS, Math.max(MIN_LEASE_SECONDS, requested));
}

const encoder = new TextEncoder();

const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

export function hex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const byte of view) out += HEX_BYTES[byte];
  return out;
}

/** SHA-256 (hex) of bytes: how a page served now is compared with the page the build wrote (WebSubTopic.sha256). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

/** A random token, hex: challenges, callback tokens, secrets. */
export function randomHex(bytes: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The HMAC algorithms of §8 ("sha1", "sha256", "sha384", "sha512") by their X-Hub-Signature names. */
const HMAC_HASHES: Record<string, string> = { sha1: "SHA-1", sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" };

async function hmac(method: string, secret: string, body: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: HMAC_HASHES[method]! }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, body as BufferSource));
}

/** §8: the X-Hub-Signature of a delivered body, "method=signature" (we sign with sha256). */
export async function signatureHeader(secret: string, body: Uint8Array): Promise<string> {
  return `sha256=${hex(await hmac("sha256", secret, body))}`;
}

/**
 * §8: does the X-Hub-Signature match the body? Any of the four methods the spec names; the
 * comparison takes the same time whatever the bytes (no timing oracle on the signature).
 */
export async function signatureMatches(header: string | null | undefined, secret: string, body: Uint8Array): Promise<boolean> {
  const match = /^(sha1|sha256|sha384|sha512)=([0-9a-fA-F]+)$/.exec(header?.trim() ?? "");
  if (!match) return false;
  const expected = await hmac(match[1]!, secret, body);
  const given = match[2]!.toLowerCase();
  if (given.length !== expected.length * 2) return false;
  const wanted = hex(expected);
  let difference = 0;
  for (let i = 0; i < wanted.length; i++) difference |= wanted.charCodeAt(i) ^ given.charCodeAt(i);
  return difference === 0;
}

/** An application/x-www-form-urlencoded body (§5.1, and the de-facto `hub.mode=publish` ping). */
export function formBody(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) params.append(key, value);
  return params.toString();
}

/** `url` with these query parameters added (§5.3: the hub keeps the callback's own query). */
export function withQuery(url: string, fields: Record<string, string | undefined>): string {
  const target = new URL(url);
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) target.searchParams.append(key, value);
  return target.href;
}

/** §7: the Link header of a content distribution: the hub and the topic (rel=self). */
export function distributionLinks(hub: string, topic: string): string {
  return `<${hub}>; rel="hub", <${topic}>; rel="self"`;
}

/** Exponential backoff in minutes: 1, 2, 4, ... after `attempts` failed tries, at most `maxMinutes`. */
export function backoffMs(attempts: number, maxMinutes = 360): number {
  return Math.min(maxMinutes, 2 ** Math.max(0, Math.min(attempts, 20) - 1)) * 60_000;
}
