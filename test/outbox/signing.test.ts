// The outbox signs what it sends (docs/signing.md; RFC 9421 with RFC 9530's Content-Digest): the
// send job's POSTs reach a real loopback receiver that verifies them with an independent RFC 9421
// implementation (npm http-message-signatures) and the public key our feed publishes
// (test/worker/support/feed-server-outbox.ts). A secret whose key the deployed feed does not publish
// signs nothing: every receiver would refuse it.
import { beforeEach, describe, expect, it } from "vitest";
import { base64url } from "../../lib/shared/http-signatures.ts";
import { FIXED_NOW } from "../worker/support/worker.ts";
import { clearOutbox, mentionOf, outboxConfig, outboxEnv, ownFeed, receivedBy, receiver, receiversTrust, replyTo, runOutbox } from "./support.ts";

beforeEach(clearOutbox);

async function newPair(): Promise<{ secret: string; publicKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return { secret: base64url(pkcs8), publicKey: base64url(raw) };
}

const published = (publicKey: string) => ({ signing: { keys: [{ key: publicKey }], require_signatures: false } });

describe("the send job signs", () => {
  it("a reply and a mention notification carry Signature, Signature-Input and Content-Digest that verify with our published key", async () => {
    const pair = await newPair();
    await receiversTrust(pair.publicKey);
    const friend = receiver("friend", "n");
    const config = outboxConfig([replyTo(2, friend, 1), mentionOf(3, friend)], ownFeed("full"), published(pair.publicKey));
    await runOutbox(config, FIXED_NOW, { env: outboxEnv({ SIGNING_KEY: pair.secret }) });
    const received = await receivedBy(friend);
    expect(received).toHaveLength(2);
    for (const post of received) {
      expect(post.signature).toEqual({ keyid: ownFeed("full"), created: Math.floor(FIXED_NOW / 1000), verified: true, digest: true });
    }
  });

  it("the receiver's verifier refuses them with another key: the check above can fail", async () => {
    const pair = await newPair();
    await receiversTrust((await newPair()).publicKey);
    const friend = receiver("friend", "o");
    await runOutbox(outboxConfig([replyTo(2, friend, 1)], ownFeed("full"), published(pair.publicKey)), FIXED_NOW, {
      env: outboxEnv({ SIGNING_KEY: pair.secret }),
    });
    expect((await receivedBy(friend)).map((post) => post.signature)).toEqual([
      { keyid: ownFeed("full"), created: Math.floor(FIXED_NOW / 1000), verified: false, digest: true },
    ]);
  });

  it("a secret whose public key the deployed feed does not publish sends unsigned", async () => {
    const [secret, feedKey] = [await newPair(), await newPair()];
    const friend = receiver("friend", "p");
    await runOutbox(outboxConfig([replyTo(2, friend, 1)], ownFeed("full"), published(feedKey.publicKey)), FIXED_NOW, {
      env: outboxEnv({ SIGNING_KEY: secret.secret }),
    });
    const received = await receivedBy(friend);
    expect(received).toHaveLength(1);
    expect(received[0]).not.toHaveProperty("signature");
  });
});
