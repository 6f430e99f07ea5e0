/**
 * bench:inbox, phase "signing": what proving the sender costs the inbox (docs/signing.md), on the
 * real-limits server (the real Worker under wrangler dev, the D1 meter on). Sequential messages, each
 * from its own client address (so no network limit is met), in three groups:
 *
 *   unsigned            new claimed ids, no signature: the baseline
 *   signed, new sender  a sender seen for the first time: one fetch of its head feed for the keys,
 *                       one Ed25519 verification, one row for the key cache
 *   signed, cached key  the same senders again: one verification, the keys from D1
 *
 * The senders' feeds are REAL (our own builder, a profile with `signing_keys`) on a loopback server
 * that counts key fetches. Also, in this process: the CPU of one verification (WebCrypto, as in the
 * Worker) against the unsigned path's signature check, and of reading the keys from a head feed.
 * Figures and ratios against the unsigned group of the same run; nothing is asserted but statuses.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildSiteFiles, postFile, profileYaml } from "../../lib/harness/factories.ts";
import { base64url, digestMatches, importPublicKey, importSigningKey, readSignature, signRequest, verifyWith } from "../../lib/shared/http-signatures.ts";
import { readSigningKeys } from "../../lib/shared/signing-keys.ts";
import { MESSAGE_ROUTE } from "../../lib/shared/urls.ts";
import type { Check } from "./format.ts";
import { postMetered } from "./meter.ts";

const SENDERS = 12;
const CPU_ROUNDS = 500;

interface Group {
  name: string;
  ms: number[];
  rowsWritten: number[];
  statuses: number[];
  keyFetches: number;
}

export interface SigningReport {
  groups: Group[];
  cpu: { unsignedCheckUs: number; verifyUs: number; readKeysUs: number; feedBytes: number };
  checks: Check[];
}

interface Signer {
  secret: string;
  publicKey: string;
  feed: string;
  userId: string;
}

async function newPair(): Promise<{ secret: string; publicKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return { secret: base64url(pkcs8), publicKey: base64url(raw) };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor((sorted.length - 1) / 2)] as number) : Number.NaN;
};
const p90 = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.9) - 1] ?? Number.NaN;

/** The senders' feeds on loopback, each publishing its key; counts GETs. */
async function startKeyFeeds(runId: string): Promise<{ signers: Signer[]; fetches: () => number; close: () => Promise<void> }> {
  const files = new Map<string, string>();
  let fetches = 0;
  const server = http.createServer((req, res) => {
    const feed = files.get(new URL(req.url ?? "/", "http://x").pathname);
    fetches += 1;
    if (feed === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8" }).end(feed);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signers: Signer[] = [];
  for (let i = 0; i < SENDERS; i++) {
    const pair = await newPair();
    const userId = `00000000-0000-4000-8000-${(0x5160000 + i).toString(16).padStart(12, "0")}`;
    const site = `${base}/s${runId}${i}`;
    const xml = buildSiteFiles({
      profile: profileYaml({ username: `signer${i}`, user_id: userId, url: site, signing_keys: [{ key: pair.publicKey }] }),
      posts: [postFile({ id: 0, date: Date.UTC(2026, 2, 1, 12), body: "Signed post." })],
    }).get("/feed.xml") as string;
    files.set(`/s${runId}${i}/feed.xml`, xml);
    signers.push({ ...pair, feed: `${site}/feed.xml`, userId });
  }
  return { signers, fetches: () => fetches, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const messageOf = (userId: string, username: string, link: string, text: string) =>
  JSON.stringify({ user_id: userId, username, user_link: link, message: text, date: new Date().toUTCString().replace("GMT", "+0000") });

async function cpuFigures(signer: Signer, feedXml: string): Promise<SigningReport["cpu"]> {
  const body = new TextEncoder().encode(messageOf(signer.userId, "s", signer.feed, "cpu"));
  const key = await importSigningKey(signer.secret);
  const url = "https://inbox.example/api/message";
  const fields = await signRequest({ method: "POST", url, body }, { privateKey: key!.privateKey, keyId: signer.feed }, Date.now());
  const signed = { method: "POST", url, headers: new Headers(fields) };
  const unsigned = { method: "POST", url, headers: new Headers({ "Content-Type": "application/json" }) };
  const time = async (run: () => unknown) => {
    const samples: number[] = [];
    for (let i = 0; i < CPU_ROUNDS; i++) {
      const started = process.hrtime.bigint();
      await run();
      samples.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    return median(samples);
  };
  const verifyUs = await time(async () => {
    const read = readSignature(signed);
    if (!read?.ok || !(await digestMatches(fields["Content-Digest"] as string, body))) throw new Error("the benchmark's own signature does not read");
    const publicKey = await importPublicKey(signer.publicKey);
    if (!(await verifyWith(publicKey!, read.value))) throw new Error("the benchmark's own signature does not verify");
  });
  return {
    unsignedCheckUs: await time(() => readSignature(unsigned)),
    verifyUs,
    readKeysUs: await time(() => readSigningKeys(feedXml)),
    feedBytes: Buffer.byteLength(feedXml),
  };
}

export async function measureSigning(options: { url: string; runId: string; progress: (line: string) => void }): Promise<SigningReport> {
  const feeds = await startKeyFeeds(options.runId);
  try {
    const messageUrl = `${options.url}${MESSAGE_ROUTE}`;
    const groups: Group[] = [];
    const run = async (name: string, send: (i: number) => Promise<{ status: number; rows: number; ms: number }>) => {
      const before = feeds.fetches();
      const group: Group = { name, ms: [], rowsWritten: [], statuses: [], keyFetches: 0 };
      for (let i = 0; i < SENDERS; i++) {
        const { status, rows, ms } = await send(i);
        group.statuses.push(status);
        group.rowsWritten.push(rows);
        group.ms.push(ms);
      }
      group.keyFetches = feeds.fetches() - before;
      groups.push(group);
      options.progress(`signing: ${name}: ${group.statuses.join(" ")}`);
    };
    const post = async (body: string, headers: Record<string, string>, clientIp: string) => {
      const started = performance.now();
      const answer = await postMetered(messageUrl, { body, clientIp, headers });
      return { status: answer.status, rows: answer.meter?.rowsWritten ?? Number.NaN, ms: performance.now() - started };
    };
    const signedPost = async (signer: Signer, text: string, clientIp: string) => {
      const body = messageOf(signer.userId, "signer", signer.feed, text);
      const key = await importSigningKey(signer.secret);
      const fields = await signRequest(
        { method: "POST", url: messageUrl, body: new TextEncoder().encode(body) },
        { privateKey: key!.privateKey, keyId: signer.feed },
        Date.now(),
      );
      return post(body, fields, clientIp);
    };
    await run("unsigned", (i) =>
      post(messageOf(`unsigned-${options.runId}-${i}`, "plain", `https://plain${i}.example/feed.xml`, `bench-signing: unsigned ${i}`), {}, `10.91.${i}.1`),
    );
    await run("signed, new sender", (i) => signedPost(feeds.signers[i] as Signer, `bench-signing: first ${options.runId}`, `10.92.${i}.1`));
    await run("signed, cached key", (i) => signedPost(feeds.signers[i] as Signer, `bench-signing: again ${options.runId}`, `10.93.${i}.1`));
    const first = feeds.signers[0] as Signer;
    const xml = await (await fetch(first.feed)).text();
    const cpu = await cpuFigures(first, xml);
    const checks: Check[] = groups.map((group) => ({
      name: `signing: ${group.name}: every message 201`,
      kind: "correctness",
      pass: group.statuses.every((status) => status === 201),
      value: group.statuses.join(" "),
    }));
    return { groups, cpu, checks };
  } finally {
    await feeds.close();
  }
}

export function renderSigning(report: SigningReport): string {
  const base = median(report.groups[0]?.ms ?? []);
  const lines = [
    `Signatures (sequential messages under wrangler dev, ${SENDERS} each; ratios against the unsigned median of this run)`,
    "group                 median ms   p90 ms   x unsigned   rows written (median)   key fetches",
  ];
  for (const group of report.groups) {
    const m = median(group.ms);
    lines.push(
      `${group.name.padEnd(21)} ${m.toFixed(1).padStart(9)} ${p90(group.ms).toFixed(1).padStart(8)} ${`${(m / base).toFixed(2)}x`.padStart(12)} ${String(median(group.rowsWritten)).padStart(23)} ${String(group.keyFetches).padStart(13)}`,
    );
  }
  const { cpu } = report;
  lines.push(
    `CPU in this process (WebCrypto, median of ${CPU_ROUNDS}): the unsigned path's check ${cpu.unsignedCheckUs.toFixed(1)} µs; ` +
      `reading + verifying a signature (digest, key import, Ed25519) ${cpu.verifyUs.toFixed(1)} µs; ` +
      `reading the keys from a ${cpu.feedBytes}-byte head feed ${cpu.readKeysUs.toFixed(1)} µs`,
  );
  return lines.join("\n");
}
