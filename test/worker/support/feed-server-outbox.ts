/**
 * Vitest globalSetup (Node) for the outbox tests: a loopback HTTP server on 127.0.0.1 that plays the
 * other sites Skein writes to, and our own deployed feed. Every feed is REAL: built by
 * lib/publish/site.ts (the same code that builds ours) from factory posts with fixed UTC dates. The
 * receivers' reply and message URLs point back here (functions_url), where every POST is recorded
 * and answered as the test scripted. See test/outbox/sites.ts for who is who.
 *
 *   /t/<type>-<lane>/feed.xml, /follows.xml, /blocks.xml, /feed/<k>.xml   a receiver's files
 *   /t/<type>-<lane>/                                                     its profile page (links the feed)
 *   POST /t/<type>-<lane>/api/message, /api/posts/<id>/reply              recorded; answered 201,
 *                                                                         or the next scripted status
 *   /own/full/feed.xml, /own/paged/feed.xml, /own/late/<key>/feed.xml     our own head feed
 *   GET /control/script/<name>?statuses=500,201   the next answers of <name>'s POSTs
 *   GET /control/log/<name>                       <name>'s POSTs so far: [{path, body}] as JSON
 *   GET /control/publish/<key>                    /own/late/<key>/ now shows post 5
 *   GET /control/signing-key?x=<base64url>        the Ed25519 public key our feed publishes: every
 *                                                 signed POST is then verified here, by an independent
 *                                                 RFC 9421 implementation (npm http-message-signatures)
 *                                                 and Node's own SHA-256 for the Content-Digest (RFC 9530),
 *                                                 and the log says so: {path, body, signature}
 *
 * The port goes to the tests with provide("outboxServerPort") / inject("outboxServerPort").
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import http from "node:http";
import { createVerifier, httpbis } from "http-message-signatures";
import type { TestProject } from "vitest/node";
import { buildSiteFiles, listYaml, type PostSpec, postFile, profileYaml } from "../../../lib/harness/factories.ts";
import {
  DEEP_POSTS,
  LANES,
  ME,
  OWN_POSTS,
  RECEIVER_POSTS,
  RECEIVER_TYPES,
  type ReceiverType,
  receiverName,
  receiverUserId,
  receiverUsername,
} from "../../outbox/sites.ts";
import { listenOnLoopback } from "./loopback.ts";

const BASE = Date.UTC(2026, 1, 20, 9, 0, 0);
const hours = (n: number) => BASE + n * 3_600_000;
const LIMITS = (maxItems: number) => ({ maxItems, maxBytes: 500_000, headerReserveBytes: 16_384 });

function posts(count: number, owner: string): PostSpec[] {
  return Array.from({ length: count }, (_, i) => ({ id: i, date: hours(i), body: `Post ${i} of ${owner}.` }));
}

function receiverFiles(base: string, type: ReceiverType, name: string): Map<string, string> {
  const url = `${base}/t/${name}`;
  const us = { user_id: ME.user_id, username: ME.username, user_link: `${base}/own/full/feed.xml` };
  const someoneElse = { user_id: "00000000-0000-4000-8000-00000000e15e", username: "someone", user_link: "https://someone.example/feed.xml" };
  const profile: Record<string, unknown> = {
    username: receiverUsername(name),
    user_id: receiverUserId(name),
    url,
    accept: RECEIVER_TYPES[type].accept,
    functions_url: type === "dead" ? "http://127.0.0.1:9" : url,
  };
  if (type === "blocker") profile.public_blocks = true;
  if (type === "moved") profile.relocate = `${base}/t/${name.replace("moved-", "newhome-")}/feed.xml`;
  const follows = type === "friend" ? [someoneElse, us] : [someoneElse];
  const files = buildSiteFiles(
    {
      profile: profileYaml(profile),
      follows: listYaml(follows),
      blocks: listYaml(type === "blocker" ? [us] : []),
      posts: posts(type === "deep" ? DEEP_POSTS : RECEIVER_POSTS, name).map(postFile),
    },
    { feedLimits: LIMITS(type === "deep" ? 2 : 500) },
  );
  return new Map([...files].map(([permalink, xml]) => [`/t/${name}${permalink}`, xml]));
}

function ownFiles(base: string, variant: string, count: number, maxItems = 500): Map<string, string> {
  const url = `${base}/own/${variant}`;
  const files = buildSiteFiles(
    { profile: profileYaml({ username: ME.username, user_id: ME.user_id, url }), posts: posts(count, ME.username).map(postFile) },
    { feedLimits: LIMITS(maxItems) },
  );
  return new Map([...files].map(([permalink, xml]) => [`/own/${variant}${permalink}`, xml]));
}

/** What the receiver found in a signed POST: the key id, and whether the signature and the digest hold. */
interface SignatureCheck {
  keyid: unknown;
  created: unknown;
  verified: boolean;
  digest: boolean;
}

async function checkSignature(req: http.IncomingMessage, raw: Buffer, url: string, key: KeyObject | undefined): Promise<SignatureCheck | undefined> {
  if (req.headers["signature-input"] === undefined) return undefined;
  let keyid: unknown;
  let created: unknown;
  const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
  const verified = await httpbis
    .verifyMessage(
      {
        keyLookup: async (params) => {
          keyid = params.keyid;
          created = params.created instanceof Date ? params.created.getTime() / 1000 : params.created;
          return key ? { id: String(params.keyid), algs: ["ed25519"], verify: createVerifier(key, "ed25519") } : null;
        },
        requiredFields: ["@method", "@target-uri", "content-digest"],
        requiredParams: ["created", "keyid", "alg"],
        // No maxAge: the Worker under test signs at its fixed test clock; freshness is the inbox's rule.
      },
      { method: req.method ?? "POST", url, headers },
    )
    .then(
      (ok) => ok === true,
      () => false,
    );
  const digest = headers["content-digest"] === `sha-256=:${createHash("sha256").update(raw).digest("base64")}:`;
  return { keyid, created, verified, digest };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scripts = new Map<string, number[]>();
  const logs = new Map<string, { path: string; body: unknown; signature?: SignatureCheck }[]>();
  const published = new Set<string>();
  let signingKey: KeyObject | undefined;
  let port = 0;
  let files = new Map<string, string>();
  let before = "";
  let after = "";

  const send = (res: http.ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { "Content-Type": type });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    let m: RegExpExecArray | null;
    if (req.method === "POST" && (m = /^\/t\/([\w-]+)\/api\/(message|posts\/\d+\/reply)$/.exec(path))) {
      const name = m[1]!;
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", async () => {
        const raw = Buffer.concat(chunks);
        let body: unknown;
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          body = raw.toString("utf8");
        }
        const signature = await checkSignature(req, raw, `http://127.0.0.1:${port}${path}`, signingKey);
        const log = logs.get(name) ?? [];
        log.push(signature ? { path, body, signature } : { path, body });
        logs.set(name, log);
        const status = scripts.get(name)?.shift() ?? 201;
        if (status >= 400) return send(res, status, "application/problem+json", JSON.stringify({ status, detail: `scripted ${status}` }));
        res.writeHead(status);
        res.end();
      });
      return;
    }
    if ((m = /^\/control\/script\/([\w-]+)$/.exec(path))) {
      scripts.set(m[1]!, (url.searchParams.get("statuses") ?? "").split(",").filter(Boolean).map(Number));
      res.writeHead(204);
      return res.end();
    }
    if ((m = /^\/control\/log\/([\w-]+)$/.exec(path))) return send(res, 200, "application/json", JSON.stringify(logs.get(m[1]!) ?? []));
    if (path === "/control/signing-key") {
      signingKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: url.searchParams.get("x") ?? "" }, format: "jwk" });
      res.writeHead(204);
      return res.end();
    }
    if ((m = /^\/control\/publish\/([\w-]+)$/.exec(path))) {
      published.add(m[1]!);
      res.writeHead(204);
      return res.end();
    }
    if ((m = /^\/own\/late\/([\w-]+)\/feed\.xml$/.exec(path))) {
      return send(res, 200, "application/rss+xml; charset=utf-8", published.has(m[1]!) ? after : before);
    }
    if ((m = /^\/t\/([\w-]+)\/$/.exec(path)) && files.has(`/t/${m[1]}/feed.xml`)) {
      // A profile page: what a person would paste; its RSS link leads to the feed (a relative href).
      const html = `<!doctype html><html><head><title>${m[1]}</title><link rel="stylesheet" href="/s.css"><link rel='alternate' type='application/rss+xml' href='feed.xml'></head><body>hi</body></html>`;
      return send(res, 200, "text/html; charset=utf-8", html);
    }
    const file = files.get(path);
    if (file !== undefined) return send(res, 200, "application/rss+xml; charset=utf-8", file);
    send(res, 404, "text/plain", "not found");
  });
  const address = await listenOnLoopback(server, "the outbox server");
  port = address.port;
  const base = `http://127.0.0.1:${address.port}`;

  files = new Map([...ownFiles(base, "full", OWN_POSTS), ...ownFiles(base, "paged", OWN_POSTS, 2)]);
  for (const type of Object.keys(RECEIVER_TYPES) as ReceiverType[]) {
    for (const lane of LANES) for (const [path, xml] of receiverFiles(base, type, receiverName(type, lane))) files.set(path, xml);
  }
  // The late feed is our own site before and after its post 5 went live (the same URLs as /own/full/).
  before = ownFiles(base, "full", OWN_POSTS - 1).get("/own/full/feed.xml")!;
  after = files.get("/own/full/feed.xml")!;

  project.provide("outboxServerPort", address.port);
  return address.close;
}
