/**
 * The secrets IndieAuth hands out (authorization codes, access tokens) and the one-way hashes D1
 * keeps of them, plus PKCE's S256 transform (RFC 7636 §4.2).
 */
import { base64url } from "../shared/http-signatures.ts";

/** A secret's shape: 32 random bytes as 64 hex digits. Anything else is refused without a D1 read. */
export const SECRET_SHAPE = /^[0-9a-f]{64}$/;

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** 32 random bytes (256 bits) from the platform's CSPRNG, as hex. */
export function newSecret(): string {
  return hex(crypto.getRandomValues(new Uint8Array(32)));
}

/** SHA-256 of the secret's text, as hex: what D1 stores in place of the secret. */
export async function secretHash(secret: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)));
}

/** RFC 7636 §4.2: code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier))). */
export async function s256(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}
