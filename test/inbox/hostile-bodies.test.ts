// A corpus of malformed and hostile requests to both POST endpoints: every one gets a 4xx with a
// short problem (never a 5xx, never a stack trace) and stores nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { clearInbox, countRows, messageFrom, replyFrom, replyPath, send, testApp } from "../worker/support/inbox.ts";
import { STRANGER } from "../worker/support/people.ts";

type Body = string | Uint8Array | (() => ReadableStream<Uint8Array>);

interface Case {
  name: string;
  body: Body;
  /** Default application/json; null = no Content-Type header. */
  contentType?: string | null;
  /** When a specific 4xx is the right one (413, 415); otherwise 400. */
  status?: number;
}

const encoder = new TextEncoder();
const MB = 1024 * 1024;
const valid = messageFrom(STRANGER);
const validReply = replyFrom(STRANGER, "42");
const json = (value: unknown) => JSON.stringify(value);
const withField = (base: object, field: string, value: unknown) => json({ ...base, [field]: value });
const without = (base: Record<string, unknown>, field: string) => {
  const copy = { ...base };
  delete copy[field];
  return json(copy);
};
const bytes = (...parts: (string | number[])[]) => {
  const chunks = parts.map((part) => (typeof part === "string" ? encoder.encode(part) : Uint8Array.from(part)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
};
const streamOf =
  (total: number, fill = 0x20) =>
  () => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= total) return controller.close();
        const chunk = new Uint8Array(Math.min(16 * 1024, total - sent)).fill(fill);
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
  };
const validText = json(valid);

/** Not JSON, or not the JSON object the spec describes: for both endpoints. */
const SYNTAX: Case[] = [
  {
    name: "the spec sample's single-quoted pseudo-JSON",
    body: "{'user_id':'123432', 'username':'someusername', 'user_link': 'http://example.com/someusername/feed', 'message':'hello world!', 'date':'Sat, 16 May 2015 21:32:15 UTC'}",
  },
  { name: "a trailing comma", body: validText.replace(/}$/, ",}") },
  { name: "unquoted keys", body: '{user_id: "a", username: "b"}' },
  { name: "a comment before the object", body: `// hi\n${validText}` },
  { name: "NaN as a value", body: '{"user_id": NaN}' },
  { name: "the object cut in half", body: validText.slice(0, validText.length / 2) },
  { name: "an empty body", body: "" },
  { name: "only white space", body: "  \n\t  " },
  { name: "null", body: "null" },
  { name: "true", body: "true" },
  { name: "a number", body: "42" },
  { name: "a string", body: '"hello world!"' },
  { name: "an empty array", body: "[]" },
  { name: "the message inside an array", body: `[${validText}]` },
  { name: "two objects in a row", body: `${validText}${validText}` },
  { name: "garbage after the object", body: `${validText} trailing` },
  { name: "arrays nested 10,000 deep", body: `${"[".repeat(10_000)}${"]".repeat(10_000)}` },
  { name: "objects nested 2,000 deep in a field", body: `{"message":${'{"a":'.repeat(2000)}1${"}".repeat(2000)}}` },
  { name: "invalid UTF-8 inside a string", body: bytes('{"user_id":"a', [0xc3, 0x28], '"}') },
  { name: "an overlong UTF-8 encoding of '/'", body: bytes('{"user_id":"', [0xc0, 0xaf], '"}') },
  { name: "UTF-16LE with a BOM", body: Uint8Array.from([0xff, 0xfe, ...[...validText].flatMap((c) => [c.charCodeAt(0), 0])]) },
  { name: "a Latin-1 é", body: bytes('{"message":"caf', [0xe9], '"}') },
  { name: "a raw NUL byte inside a string", body: `{"message":"a\u0000b"}` },
  { name: "a raw line feed inside a string", body: `{"message":"line\nbreak"}` },
  { name: "a single-quoted value", body: `{"user_id":'a'}` },
  { name: "a hexadecimal number", body: '{"user_id":0x10}' },
  { name: "undefined", body: "undefined" },
  { name: "a JavaScript expression", body: "({user_id: 'a'})" },
  { name: "a Python dict", body: "{'user_id': u'123', 'ok': True}" },
  { name: "XML sent as JSON", body: "<message><user_id>1</user_id></message>" },
  { name: "form encoding sent as JSON", body: "user_id=1&username=a&message=hi" },
];

/** Too big: 413 whatever the content. */
const SIZE: Case[] = [
  { name: "a 1 MB JSON message", body: json({ ...valid, message: "x".repeat(MB) }), status: 413 },
  { name: "1 MB of spaces before the JSON", body: `${" ".repeat(MB)}${validText}`, status: 413 },
  { name: "a 1 MB stream without Content-Length", body: streamOf(MB), status: 413 },
  { name: "1 MB of random-looking bytes", body: streamOf(MB, 0xa7), status: 413 },
  { name: "32 KiB + 1 byte", body: `${" ".repeat(32 * 1024 + 1 - validText.length)}${validText}`, status: 413 },
];

/** Not declared as JSON: 415 even when the bytes are fine. */
const CONTENT_TYPES: Case[] = [
  ...[
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "text/json",
    "application/jsonp",
    "application/json-patch+json",
    "application/ld+json",
    "application/json; charset=utf-16",
    "json",
    "*/*",
  ].map((contentType) => ({ name: `Content-Type ${contentType}`, body: validText, contentType, status: 415 })),
  { name: "no Content-Type", body: validText, contentType: null, status: 415 },
];

/** Well-formed JSON objects a private message must not be stored from. */
const MESSAGE_FIELDS: Case[] = [
  ...(
    [
      ["user_id", 123],
      ["user_id", null],
      ["user_id", ["a"]],
      ["user_id", { $ne: null }],
      ["username", 42],
      ["username", true],
      ["user_link", { href: "https://x.example/feed.xml" }],
      ["message", ["hello"]],
      ["message", { text: "hi" }],
      ["message", 12345],
      ["message", null],
      ["date", 1431811935],
      ["date", null],
      ["date", { $date: "2015-05-16T21:32:15Z" }],
      ["date", ["Sat, 16 May 2015 21:32:15 UTC"]],
    ] as [string, unknown][]
  ).map(([field, value]) => ({ name: `${field} as ${json(value)}`, body: withField(valid, field, value) })),
  ...["user_id", "username", "user_link", "message", "date"].map((field) => ({ name: `no ${field}`, body: without(valid, field) })),
  { name: "an empty object", body: "{}" },
  { name: "only unknown fields", body: '{"foo":"bar"}' },
  { name: "field names in another case", body: json(Object.fromEntries(Object.entries(valid).map(([k, v]) => [k.toUpperCase(), v]))) },
  { name: "the fields inside __proto__", body: `{"__proto__": ${validText}}` },
  { name: "the fields inside constructor.prototype", body: `{"constructor": {"prototype": ${validText}}}` },
  ...(
    [
      ["user_id", ""],
      ["username", ""],
      ["user_link", ""],
      ["message", ""],
      ["message", "   \n\t "],
      ["date", ""],
      ["message", "x".repeat(5001)],
      ["message", "é".repeat(10_000)],
      ["username", "a".repeat(26)],
      ["user_id", "a".repeat(129)],
      ["user_link", `https://x.example/${"a".repeat(2040)}`],
      ["date", `Sat, 16 May 2015 21:32:15 UTC${" ".repeat(40)}`],
      // markup
      ["username", "<script>alert(1)</script>"],
      ["user_id", "<script>"],
      ["user_link", "javascript:alert(1)"],
      ["user_link", "data:text/html,<script>alert(1)</script>"],
      ["user_link", '"><script>alert(1)</script>'],
      ["username", "<img src=x onerror=alert(1)>"],
      ["date", "<script>alert(1)</script>"],
      // SQL
      ["user_id", "1' OR '1'='1"],
      ["user_id", "1; DROP TABLE messages; --"],
      ["username", "admin'--"],
      ["username", "'; DELETE FROM replies; --"],
      ["date", "Sat, 16 May 2015 21:32:15 UTC'; DROP TABLE messages;--"],
      ["date", "1 OR 1=1"],
      ["user_id", "Robert'); DROP TABLE Students;--"],
      // control characters and Unicode edge cases
      ["message", "lone \ud800 surrogate"],
      ["message", "a NUL \u0000 inside"],
      ["message", "non-character \ufffe"],
      ["message", "non-character \uffff"],
      ["message", "bell \u0007"],
      ["message", "terminal escape \u001b[31mred"],
      ["message", "vertical tab \u000b"],
      ["username", "\u202eevil"],
      ["username", "ad\u200da"],
      ["username", "🧵thread"],
      ["username", "a\u0301"],
      ["username", "two words"],
      ["user_id", "üser"],
      ["user_id", "ｕｓｅｒ"],
      // not an http(s) feed URL
      ["user_link", "https://exa mple.com/feed.xml"],
      ["user_link", "http://user:pass@example.com/feed.xml"],
      ["user_link", "ftp://example.com/feed.xml"],
      ["user_link", "file:///etc/passwd"],
      ["user_link", "//example.com/feed.xml"],
      ["user_link", "feed.xml"],
      ["user_link", "http://"],
      // dates that are not dates
      ["date", "2015-05-16T21:32:15"],
      ["date", "2015-02-30T00:00:00Z"],
      ["date", "Sat, 32 May 2015 21:32:15 UTC"],
      ["date", "Sat, 16 May 2015 25:32:15 UTC"],
      ["date", "Sat, 16 May 2015 21:32:15 +2400"],
      ["date", "0"],
      ["date", "yesterday"],
    ] as [string, unknown][]
  ).map(([field, value]) => ({ name: `${field} = ${json(value).slice(0, 60)}`, body: withField(valid, field, value) })),
];

/** Well-formed JSON objects a reply notification must not be stored from. */
const REPLY_FIELDS: Case[] = [
  ...(
    [
      ["status_id", -17],
      ["status_id", 1.5],
      ["status_id", 1e300],
      ["status_id", null],
      ["status_id", ["1"]],
      ["status_id", ""],
      ["status_id", "1 2"],
      ["status_id", "x".repeat(129)],
      ["status_id", "<script>alert(1)</script>"],
      ["status_id", "1' OR '1'='1"],
      ["status_id", "１"],
      ["user_link", "javascript:alert(1)"],
      ["username", "'; DROP TABLE replies; --"],
    ] as [string, unknown][]
  ).map(([field, value]) => ({ name: `${field} = ${json(value).slice(0, 60)}`, body: withField(validReply, field, value) })),
  ...["user_id", "username", "user_link", "status_id"].map((field) => ({ name: `no ${field}`, body: without(validReply, field) })),
  { name: "a private message sent as a reply", body: validText },
];

const MESSAGE_CORPUS = [...SYNTAX, ...SIZE, ...CONTENT_TYPES, ...MESSAGE_FIELDS];
const REPLY_CORPUS = [...SYNTAX, ...SIZE, ...CONTENT_TYPES.map((c) => ({ ...c, body: c.body === validText ? json(validReply) : c.body })), ...REPLY_FIELDS];

const app = testApp();

beforeAll(clearInbox);

async function expectRefused(path: string, c: Case): Promise<void> {
  const body = typeof c.body === "function" ? c.body() : c.body;
  const { response, settled } = await send(app, path, body, { contentType: c.contentType === undefined ? "application/json" : c.contentType });
  await settled();
  expect(response.status, c.name).toBe(c.status ?? 400);
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  const text = await response.text();
  expect(text.length).toBeLessThan(2000);
  expect(text).not.toMatch(/\bat .*\.(ts|js):\d+|stack/i);
  const problem = JSON.parse(text) as { status: number; detail: string };
  expect(problem.status).toBe(response.status);
  expect(problem.detail.length).toBeGreaterThan(0);
  expect((await countRows("messages")) + (await countRows("replies"))).toBe(0);
}

describe("hostile bodies", () => {
  it("the corpus has at least 100 distinct bodies per endpoint", () => {
    expect(new Set(MESSAGE_CORPUS.map((c) => c.name)).size).toBe(MESSAGE_CORPUS.length);
    expect(MESSAGE_CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(REPLY_CORPUS.map((c) => c.name)).size).toBe(REPLY_CORPUS.length);
    expect(REPLY_CORPUS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(MESSAGE_CORPUS.map((c) => [c.name, c] as const))("POST /api/message: %s", async (_, c) => {
    await expectRefused("/api/message", c);
  });

  it.each(REPLY_CORPUS.map((c) => [c.name, c] as const))("POST /api/posts/3/reply: %s", async (_, c) => {
    await expectRefused(replyPath(3), c);
  });

  it("after all of it, a valid message still goes in", async () => {
    expect((await send(app, "/api/message", valid)).response.status).toBe(201);
    expect(await countRows("messages")).toBe(1);
  });
});
