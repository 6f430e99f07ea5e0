/**
 * Interop with an independent RFC 9421 implementation (npm `http-message-signatures`, Node's own
 * Ed25519): it verifies what Skein signs, and Skein's verifier (the functions the inbox runs:
 * readSignature, digestMatches, verifyWith) accepts what it signs -- and refuses it once tampered.
 */
import { generateKeyPairSync } from "node:crypto";
import { createSigner, createVerifier, httpbis } from "http-message-signatures";
import { describe, expect, it } from "vitest";
import {
  base64url,
  contentDigest,
  digestMatches,
  importPublicKey,
  importSigningKey,
  readSignature,
  signRequest,
  verifyWith,
} from "../../lib/shared/http-signatures.ts";

const URL_ = "https://bee.example/api/posts/3/reply";
const KEY_ID = "https://ada.example/feed.xml";
const body = new TextEncoder().encode(JSON.stringify({ user_id: "u", username: "ada", user_link: KEY_ID, status_id: "7" }));

function nodePair() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKey,
    publicKey,
    secret: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64url"),
    raw: publicKey.export({ format: "jwk" }).x as string,
  };
}

describe("http-message-signatures verifies Skein's signatures", () => {
  it("accepts a Skein-signed POST with the right key, refuses it with another key or a changed URL", async () => {
    const pair = nodePair();
    const key = await importSigningKey(pair.secret);
    const headers = await signRequest({ method: "POST", url: URL_, body }, { privateKey: key!.privateKey, keyId: KEY_ID }, Date.now());
    const request = { method: "POST", url: URL_, headers: { ...headers, "Content-Type": "application/json" } };
    let seenKeyId: unknown;
    const verify = (publicKey: typeof pair.publicKey) =>
      httpbis.verifyMessage(
        {
          keyLookup: async (params) => {
            seenKeyId = params.keyid;
            return { id: KEY_ID, algs: ["ed25519"], verify: createVerifier(publicKey, "ed25519") };
          },
          requiredFields: ["@method", "@target-uri", "content-digest"],
          requiredParams: ["created", "keyid", "alg"],
          maxAge: 300,
        },
        request,
      );
    expect(await verify(pair.publicKey)).toBe(true);
    expect(seenKeyId).toBe(KEY_ID);
    expect(await verify(nodePair().publicKey)).toBe(false);
    expect(
      await httpbis.verifyMessage({ keyLookup: async () => ({ verify: createVerifier(pair.publicKey, "ed25519") }) }, { ...request, url: `${URL_}x` }),
    ).toBe(false);
    expect(headers["Content-Digest"]).toBe(await contentDigest(body));
  });
});

describe("Skein verifies http-message-signatures' signatures", () => {
  async function signedByLibrary(pair: ReturnType<typeof nodePair>, sentBody: Uint8Array) {
    const signed = await httpbis.signMessage(
      {
        key: createSigner(pair.privateKey, "ed25519", KEY_ID),
        name: "sig1",
        fields: ["@method", "@target-uri", "content-digest"],
        params: ["created", "keyid", "alg"],
      },
      { method: "POST", url: URL_, headers: { "Content-Type": "application/json", "Content-Digest": await contentDigest(sentBody) } },
    );
    return new Headers(signed.headers as Record<string, string>);
  }

  it("reads and verifies its signature with the sender's published key (any label), and refuses a tampered body", async () => {
    const pair = nodePair();
    const headers = await signedByLibrary(pair, body);
    expect(headers.get("Signature-Input")).toMatch(
      /^sig1=\("@method" "@target-uri" "content-digest"\);created=\d+;keyid="https:\/\/ada\.example\/feed\.xml";alg="ed25519"$/,
    );
    const read = readSignature({ method: "POST", url: URL_, headers });
    expect(read?.ok).toBe(true);
    if (!read?.ok) return;
    expect(read.value.keyId).toBe(KEY_ID);
    expect(await digestMatches(headers.get("Content-Digest")!, body)).toBe(true);
    expect(await verifyWith((await importPublicKey(pair.raw))!, read.value)).toBe(true);
    expect(await verifyWith((await importPublicKey(nodePair().raw))!, read.value)).toBe(false);
    expect(await digestMatches(headers.get("Content-Digest")!, new TextEncoder().encode("{}"))).toBe(false);
    expect(base64url(read.value.signature)).toHaveLength(86);
  });
});
