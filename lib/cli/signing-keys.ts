/**
 * The site's signing key pair (docs/signing.md) on the owner's machine: Ed25519 from node:crypto, the
 * private half as SIGNING_KEY in .dev.vars (PKCS #8, base64url; deployed: `wrangler secret put
 * SIGNING_KEY`), the public half in site/_data/profile.yaml's `signing_keys`, which the build publishes
 * on the head feed. The private key is never written anywhere the build reads or git tracks.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Document, parseDocument } from "yaml";
import { profile as profileSchema } from "../publish/site-schemas.ts";
import { describeIssues } from "../shared/schemas.ts";
import { MAX_PUBLISHED_KEYS, type PublishedKey, ROTATION_GRACE_DAYS } from "../shared/signing-keys.ts";
import { SOURCE_PATHS } from "../site-build/site-source.ts";
import { readDevVar, setDevVar } from "./dev-vars.ts";
import { CliError } from "./run.ts";

export const SIGNING_KEY_VAR = "SIGNING_KEY";

export interface KeyPair {
  /** PKCS #8 DER, base64url: the secret. */
  secret: string;
  /** Raw 32-byte public key, base64url: what the feed publishes. */
  publicKey: string;
}

export function generateSigningKey(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  return { secret: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64url"), publicKey: jwk.x as string };
}

/** The public half of a secret, or undefined when it is not an Ed25519 PKCS #8 key. */
export function publicKeyOf(secret: string): string | undefined {
  try {
    const key = createPrivateKey({ key: Buffer.from(secret, "base64url"), format: "der", type: "pkcs8" });
    if (key.asymmetricKeyType !== "ed25519") return undefined;
    return createPublicKey(key).export({ format: "jwk" }).x;
  } catch {
    return undefined;
  }
}

/** profile.yaml as a YAML document (comments kept for writing back); one clear line when it is missing or broken. */
export function readProfile(root: string): Document {
  const file = SOURCE_PATHS.profile;
  let text: string;
  try {
    text = readFileSync(path.join(root, file), "utf8");
  } catch {
    throw new CliError(`${file} is missing: copy the example from the Skein repository`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) throw new CliError(`${file} is not valid YAML, nothing changed: ${doc.errors[0]?.message.split("\n")[0]}`);
  return doc;
}

export function publishedKeys(root: string): PublishedKey[] {
  const value = readProfile(root).toJS()?.signing_keys;
  return Array.isArray(value) ? (value as PublishedKey[]) : [];
}

/** Write the keys into profile.yaml (comments kept), refusing a profile that would not build. */
function writeKeys(root: string, doc: Document, keys: PublishedKey[]): void {
  doc.set(
    "signing_keys",
    keys.map((entry) => (entry.until ? { key: entry.key, until: entry.until } : { key: entry.key })),
  );
  const checked = profileSchema.safeParse(doc.toJS());
  if (!checked.success) throw new CliError(`${SOURCE_PATHS.profile} would not be valid, nothing changed: ${describeIssues(checked.error.issues).join("; ")}`);
  writeFileSync(path.join(root, SOURCE_PATHS.profile), doc.toString());
}

/**
 * npm run init: a key pair unless there is one. The secret in .dev.vars and its public half in the
 * profile must agree; when the profile already lists the secret's key, nothing changes.
 */
export function ensureSigningKey(root: string): { created: boolean; publicKey: string } {
  const secret = readDevVar(root, SIGNING_KEY_VAR);
  const doc = readProfile(root);
  const keys = publishedKeys(root);
  const existing = secret ? publicKeyOf(secret) : undefined;
  if (existing && keys.some((entry) => entry.key === existing)) return { created: false, publicKey: existing };
  if (existing) {
    writeKeys(root, doc, [{ key: existing }, ...keys].slice(0, MAX_PUBLISHED_KEYS));
    return { created: false, publicKey: existing };
  }
  const pair = generateSigningKey();
  writeKeys(root, doc, [{ key: pair.publicKey }]);
  setDevVar(root, SIGNING_KEY_VAR, pair.secret);
  return { created: true, publicKey: pair.publicKey };
}

/**
 * npm run keys -- rotate: a new pair; the current key stays published until now + the grace period,
 * expired ones go. Signing switches once the new secret is the Worker's (and the new feed is live).
 */
export function rotateSigningKey(root: string, nowMs: number): { publicKey: string; retiring: PublishedKey[] } {
  const doc = readProfile(root);
  const until = new Date(nowMs + ROTATION_GRACE_DAYS * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const retiring = publishedKeys(root)
    .filter((entry) => entry.until === undefined || Date.parse(entry.until) > nowMs)
    .map((entry) => ({ key: entry.key, until: entry.until ?? until }))
    .slice(0, MAX_PUBLISHED_KEYS - 1);
  const pair = generateSigningKey();
  writeKeys(root, doc, [{ key: pair.publicKey }, ...retiring]);
  setDevVar(root, SIGNING_KEY_VAR, pair.secret);
  return { publicKey: pair.publicKey, retiring };
}

/** npm run keys -- prune: drop keys whose grace period is over. */
export function pruneSigningKeys(root: string, nowMs: number): PublishedKey[] {
  const doc = readProfile(root);
  const keys = publishedKeys(root);
  const kept = keys.filter((entry) => entry.until === undefined || Date.parse(entry.until) > nowMs);
  if (kept.length !== keys.length) writeKeys(root, doc, kept);
  return keys.filter((entry) => !kept.includes(entry));
}
