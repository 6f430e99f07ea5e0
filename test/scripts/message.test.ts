/**
 * npm run message and npm run inbox -- reply messages <id> (scripts/message.ts, scripts/inbox.ts):
 * what they send to the owner API, and that every outcome -- sent, queued for a retry, refused, an
 * error -- is one line, exit 0 or 1, never a stack trace. Real processes against a real loopback
 * HTTP server that answers as the Worker does.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { parseArgs as parseInboxArgs } from "../../scripts/inbox.ts";
import { parseArgs } from "../../scripts/message.ts";
import { runScript } from "../support/cli.ts";

const TOKEN = "message-test-token";
const item = { id: 12, kind: "message", state: "sent", message_id: 34 };

interface Seen {
  method: string;
  path: string;
  body: unknown;
}

let server: http.Server;
let base: string;
let project: ProjectCopy;
const seen: Seen[] = [];

/** Answers POST /api/outbox/messages as the Worker would, by recipient. */
function fakeWorker(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : undefined;
      seen.push({ method: req.method ?? "", path: req.url ?? "", body });
      const json = (status: number, value: unknown, type = "application/json") => {
        res.writeHead(status, { "Content-Type": type });
        res.end(JSON.stringify(value));
      };
      const problem = (status: number, detail: string) => json(status, { type: "about:blank", title: "x", status, detail }, "application/problem+json");
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return problem(401, "the owner token does not match");
      const to = body?.recipient ?? `reply_to ${body?.reply_to}`;
      if (to === "@ok" || to === "reply_to 5") return json(201, { outcome: "sent", detail: "sent to @ok (https://ok.example/api/message answered 201)", item });
      if (to === "@later")
        return json(202, { outcome: "queued", detail: "not delivered yet: https://later.example/api/message answered 503; Skein tries again at ...", item });
      if (to === "@picky") return problem(403, "@picky refused the message (answered 403 Forbidden); it is kept as outbox 7");
      if (to === "reply_to 404") return problem(404, "there is no message 404");
      if (to === "@evil") return problem(422, "@evil\u202e takes no\nprivate messages");
      problem(500, "an unexpected error on our side; please try again later");
    });
  });
}

beforeAll(async () => {
  server = fakeWorker();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  project = createProjectCopy({ posts: {}, follows: null, blocks: null });
});

afterAll(async () => {
  project?.cleanup();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const message = (...args: string[]) => runScript(project.root, "scripts/message.ts", [...args, "--url", base, "--token", TOKEN]);
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at |Error:|node:internal/);

describe("npm run message", { timeout: 60_000 }, () => {
  it("sends the recipient and the text, and prints the Worker's one line", async () => {
    const result = await message("@ok", "Hello there");
    expect(result).toMatchObject({ code: 0, stderr: "", stdout: "sent to @ok (https://ok.example/api/message answered 201)\n" });
    expect(seen.at(-1)).toEqual({ method: "POST", path: "/api/outbox/messages", body: { recipient: "@ok", text: "Hello there" } });
  });

  it("unquoted words are one message", () => {
    expect(parseArgs(["https://bob.example/feed.xml", "hello", "there"])).toMatchObject({ recipient: "https://bob.example/feed.xml", text: "hello there" });
  });

  it("queued for a retry is not an error: exit 0, the line says so", async () => {
    const result = await message("@later", "Hi");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^not delivered yet: .*answered 503/);
  });

  it("a refusal or an error: one line, exit 1, no stack trace, terminal-safe", async () => {
    const refused = await message("@picky", "Hi");
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr).toBe("npm run message: not sent: @picky refused the message (answered 403 Forbidden); it is kept as outbox 7\n");
    const hostile = await message("@evil", "Hi");
    expect(hostile.stderr).toBe("npm run message: not sent: @evil takes no private messages\n");
    const broken = await message("@boom", "Hi");
    expect(broken.stderr).toBe("npm run message: POST /api/outbox/messages answered 500: an unexpected error on our side; please try again later\n");
    for (const result of [refused, hostile, broken]) noStack(result.stderr);
  });

  it("--json prints the API's answer", async () => {
    const result = await message("@ok", "Hi", "--json");
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: "sent", item: { id: 12, message_id: 34 } });
  });

  it("missing recipient or text: the reason and the usage, exit 2", async () => {
    const none = await runScript(project.root, "scripts/message.ts", []);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^npm run message: say who to write to: a feed URL, a profile URL or @username\n\nUsage: npm run message/);
    const noText = await runScript(project.root, "scripts/message.ts", ["@ok", "  "]);
    expect(noText.stderr).toMatch(/^npm run message: say what to write: npm run message -- @ok "your message"/);
  });
});

describe("npm run inbox -- reply messages <id>", { timeout: 60_000 }, () => {
  it("answers a received message through the same endpoint", async () => {
    const result = await runScript(project.root, "scripts/inbox.ts", ["reply", "messages", "5", "Thanks", "--url", base, "--token", TOKEN]);
    expect(result).toMatchObject({ code: 0, stdout: "sent to @ok (https://ok.example/api/message answered 201)\n" });
    expect(seen.at(-1)?.body).toEqual({ reply_to: 5, text: "Thanks" });
    const missing = await runScript(project.root, "scripts/inbox.ts", ["reply", "messages", "404", "Thanks", "--url", base, "--token", TOKEN]);
    expect(missing).toMatchObject({ code: 1, stderr: "npm run inbox: not sent: there is no message 404\n" });
  });

  it("a reply notification is answered with a post, not a message; an id and a text are needed", () => {
    expect(() => parseInboxArgs(["reply", "replies", "3", "hi"])).toThrow(/answered with a post: write one with reply_to/);
    expect(() => parseInboxArgs(["reply", "messages", "x", "hi"])).toThrow(/reply needs the id of a received message/);
    expect(() => parseInboxArgs(["reply", "messages", "3"])).toThrow(/say what to answer/);
    expect(parseInboxArgs(["reply", "messages", "3", "thank", "you"]).command).toEqual({ name: "reply", id: 3, text: "thank you" });
  });
});
