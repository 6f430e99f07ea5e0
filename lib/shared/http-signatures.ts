/**
 * HTTP Message Signatures (RFC 9421) as Skein sites use them between each other, with the body's
 * Content-Digest (RFC 9530), on WebCrypto only (Workers and Node alike):
 *
 *   Content-Digest: sha-256=:<base64 SHA-256 of the body>:                         RFC 9530 §2, §5
 *   Signature-Input: skein=("@method" "@target-uri" "content-digest");created=<s>;keyid="<feed URL>";alg="ed25519"
 *   Signature: skein=:<base64 Ed25519 signature of the signature base>:            RFC 9421 §4.1, §4.2
 *
 * The key id is the sender's head feed URL (its user_link), where the public key is published
 * (docs/signing.md). The signature base is built as RFC 9421 §2.5 says; Ed25519 signs its bytes
 * (§3.3.6). Verification (§3.2) also needs the keys, the clock and a replay check: lib/inbox does those.
 */
import { err, ok, type Result } from "./result.ts";
import {
  base64Decode,
  base64Encode,
  isInnerList,
  type Parameters,
  parseDictionary,
  type SfInnerList,
  StructuredFieldError,
  serializeInnerList,
} from "./structured-fields.ts";

/** The components every Skein signature covers (RFC 9421 §2.2.1, §2.2.2, §2.1): what a receiver requires. */
export const COVERED_COMPONENTS = ["@method", "@target-uri", "content-digest"] as const;
/** The signature's label in both fields (RFC 9421 §4.1: any key; receivers take any label). */
export const SIGNATURE_LABEL = "skein";
/** RFC 9421 §3.3.6. */
export const ALGORITHM = "ed25519";
/** A signature older than this is refused (RFC 9421 §3.2.1: the verifier's own freshness rule). */
export const MAX_SIGNATURE_AGE_SECONDS = 300;
/** Clocks differ: a signature this far in the future still counts as now. */
export const CLOCK_SKEW_SECONDS = 60;

const ED25519 = { name: "Ed25519" } as const;

export function base64url(bytes: Uint8Array): string {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return base64Decode(padded);
}

const utf8 = new TextEncoder();

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

/** RFC 9530 §2: the Content-Digest field value of a body, with SHA-256 (§5: "sha-256"). */
export async function contentDigest(body: Uint8Array): Promise<string> {
  return `sha-256=:${base64Encode(await sha256(body))}:`;
}

/** RFC 9530 §2 as a receiver: does the field hold a sha-256 member equal to the body's digest? */
export async function digestMatches(field: string, body: Uint8Array): Promise<boolean> {
  let members: ReturnType<typeof parseDictionary>;
  try {
    members = parseDictionary(field);
  } catch {
    return false;
  }
  const member = members.get("sha-256");
  if (!member || isInnerList(member) || !(member.value instanceof Uint8Array)) return false;
  const expected = await sha256(body);
  const got = member.value;
  return got.length === expected.length && got.every((byte, i) => byte === expected[i]);
}

/** What a signature covers, as the request shows it. */
export interface SignedRequest {
  method: string;
  url: string;
  headers: Headers;
}

/**
 * RFC 9421 §2.5: one line per covered component, `"name": value`, then the `@signature-params` line
 * (no newline after it). Undefined when a covered field is missing or a component is not one we know
 * (§2.5 step 2: the verifier fails).
 */
export function signatureBase(request: SignedRequest, list: SfInnerList): string | undefined {
  const lines: string[] = [];
  for (const item of list.items) {
    if (typeof item.value !== "string" || item.params.size > 0) return undefined;
    const name = item.value;
    let value: string | null;
    if (name === "@method")
      value = request.method.toUpperCase(); // §2.2.1
    else if (name === "@target-uri")
      value = request.url; // §2.2.2
    else if (name.startsWith("@")) return undefined;
    else value = request.headers.get(name); // §2.1: Headers joins repeated fields with ", "
    if (value === null || /[\r\n]/.test(value)) return undefined;
    lines.push(`"${name}": ${value.trim()}`);
  }
  lines.push(`"@signature-params": ${serializeInnerList(list)}`);
  return lines.join("\n");
}

/** The secret (SIGNING_KEY): an Ed25519 private key as PKCS #8, base64url. And its public half. */
export interface SigningKey {
  privateKey: CryptoKey;
  /** The raw 32-byte public key, base64url: what the feed publishes. */
  publicKey: string;
}

export async function importSigningKey(secret: string): Promise<SigningKey | undefined> {
  const der = fromBase64url(secret.trim());
  if (!der) return undefined;
  try {
    const extractable = await crypto.subtle.importKey("pkcs8", der as BufferSource, ED25519, true, ["sign"]);
    const jwk = (await crypto.subtle.exportKey("jwk", extractable)) as JsonWebKey;
    const privateKey = await crypto.subtle.importKey("pkcs8", der as BufferSource, ED25519, false, ["sign"]);
    return jwk.x ? { privateKey, publicKey: jwk.x } : undefined;
  } catch {
    return undefined;
  }
}

export async function importPublicKey(raw: string): Promise<CryptoKey | undefined> {
  const bytes = fromBase64url(raw);
  if (bytes?.length !== 32) return undefined;
  try {
    return await crypto.subtle.importKey("raw", bytes as Uint8Array as BufferSource, ED25519, false, ["verify"]);
  } catch {
    return undefined;
  }
}

/** The three fields to add to a POST of `body` to `url`, signed now (epoch ms) as `keyId`. */
export async function signRequest(
  request: { method: string; url: string; body: Uint8Array },
  key: { privateKey: CryptoKey; keyId: string },
  nowMs: number,
): Promise<Record<string, string>> {
  const digest = await contentDigest(request.body);
  const params: Parameters = new Map();
  params.set("created", Math.floor(nowMs / 1000));
  params.set("keyid", key.keyId);
  params.set("alg", ALGORITHM);
  const list: SfInnerList = { items: COVERED_COMPONENTS.map((name) => ({ value: name, params: new Map() })), params };
  const headers = new Headers({ "Content-Digest": digest });
  const base = signatureBase({ method: request.method, url: request.url, headers }, list) as string;
  const signature = new Uint8Array(await crypto.subtle.sign(ED25519, key.privateKey, utf8.encode(base)));
  return {
    "Content-Digest": digest,
    "Signature-Input": `${SIGNATURE_LABEL}=${serializeInnerList(list)}`,
    Signature: `${SIGNATURE_LABEL}=:${base64Encode(signature)}:`,
  };
}

/** A signature as received, checked for shape but not yet verified. */
export interface ReceivedSignature {
  keyId: string;
  createdSeconds: number;
  /** The signature base to verify. */
  base: string;
  signature: Uint8Array;
}

/**
 * Read the request's signature: undefined when it carries no Signature-Input (an unsigned request,
 * as every other Open Microblog implementation sends); an error when it carries one Skein cannot
 * use: unreadable fields (RFC 9421 §3.2 step 1-2), no label that covers the three components, a
 * missing created or keyid, another algorithm (§3.2 step 5-6).
 */
export function readSignature(request: SignedRequest): Result<ReceivedSignature, string> | undefined {
  const input = request.headers.get("Signature-Input");
  if (input === null) return undefined;
  const signatures = request.headers.get("Signature");
  if (signatures === null) return err("Signature-Input came without a Signature field");
  let inputs: ReturnType<typeof parseDictionary>;
  let values: ReturnType<typeof parseDictionary>;
  try {
    inputs = parseDictionary(input);
    values = parseDictionary(signatures);
  } catch (error) {
    return err(`the signature fields are not valid structured fields: ${error instanceof StructuredFieldError ? error.message : "unreadable"}`);
  }
  for (const [label, member] of inputs) {
    if (!isInnerList(member)) continue;
    const covered = member.items.map((item) => item.value);
    if (!COVERED_COMPONENTS.every((name) => covered.includes(name))) continue;
    const value = values.get(label);
    if (!value || isInnerList(value) || !(value.value instanceof Uint8Array)) return err(`Signature has no byte sequence labelled ${label}`);
    const created = member.params.get("created");
    const keyId = member.params.get("keyid");
    const alg = member.params.get("alg");
    if (typeof created !== "number") return err("the signature has no created time (RFC 9421 §2.3)");
    if (typeof keyId !== "string") return err("the signature has no keyid: it must be the sender's feed URL");
    if (alg !== undefined && alg !== ALGORITHM) return err(`the signature's alg is ${JSON.stringify(alg)}; this inbox verifies ed25519`);
    const base = signatureBase(request, member);
    if (base === undefined) return err(`the signature covers a component this request lacks or this inbox does not know`);
    return ok({ keyId, createdSeconds: created, base, signature: value.value });
  }
  return err(`no signature covers ${COVERED_COMPONENTS.map((c) => `"${c}"`).join(" ")}`);
}

/** Too old or from the future (beyond the skew)? A message for the refusal, or undefined. */
export function staleness(createdSeconds: number, nowMs: number): string | undefined {
  const age = Math.floor(nowMs / 1000) - createdSeconds;
  if (age > MAX_SIGNATURE_AGE_SECONDS) return `the signature was created ${age} s ago; this inbox takes signatures up to ${MAX_SIGNATURE_AGE_SECONDS} s old`;
  if (age < -CLOCK_SKEW_SECONDS) return "the signature was created in the future; check the sender's clock";
  return undefined;
}

/** RFC 9421 §3.3.6: one Ed25519 verification of the base's bytes. */
export async function verifyWith(key: CryptoKey, received: ReceivedSignature): Promise<boolean> {
  try {
    return await crypto.subtle.verify(ED25519, key, received.signature as BufferSource, utf8.encode(received.base));
  } catch {
    return false;
  }
}
