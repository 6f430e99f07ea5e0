/**
 * The part of HTTP Structured Field Values (RFC 8941, which RFC 9421 §4 and RFC 9530 §2 build on)
 * that signatures need: a Dictionary (§3.2) whose members are Items or Inner Lists (§3.1.1), each with
 * Parameters (§3.1.2), and bare items that are Integers, Strings, Tokens, Byte Sequences or Booleans
 * (§3.3). Parsing follows §4.2 and fails on anything else (a Decimal, trailing garbage): a signature
 * header that cannot be read exactly is refused, never guessed at. Serialization follows §4.1.
 */

export type BareItem = number | string | boolean | Uint8Array | { token: string };
export type Parameters = Map<string, BareItem>;
export interface SfItem {
  value: BareItem;
  params: Parameters;
}
export interface SfInnerList {
  items: SfItem[];
  params: Parameters;
}
export type SfMember = SfItem | SfInnerList;

export class StructuredFieldError extends Error {}

const KEY = /[a-z*][a-z0-9_.*-]*/y;
const TOKEN = /[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*/y;
const INTEGER = /-?[0-9]{1,15}(?![0-9.])/y;
const BYTES = /:([A-Za-z0-9+/=]*):/y;

export function base64Encode(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function base64Decode(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

class Reader {
  at = 0;
  constructor(readonly text: string) {}
  fail(what: string): never {
    throw new StructuredFieldError(`${what} at character ${this.at + 1}`);
  }
  peek(): string {
    return this.text[this.at] ?? "";
  }
  match(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.at;
    const found = pattern.exec(this.text);
    if (found) this.at = pattern.lastIndex;
    return found;
  }
  skip(chars: string): void {
    while (this.at < this.text.length && chars.includes(this.peek())) this.at++;
  }
}

function parseString(reader: Reader): string {
  reader.at++; // the opening DQUOTE
  let value = "";
  for (;;) {
    const char = reader.peek();
    if (char === "") reader.fail("an unterminated string");
    reader.at++;
    if (char === '"') return value;
    if (char === "\\") {
      const next = reader.peek();
      if (next !== '"' && next !== "\\") reader.fail("a bad escape in a string");
      value += next;
      reader.at++;
    } else {
      const code = char.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) reader.fail("a character a string cannot hold");
      value += char;
    }
  }
}

function parseBareItem(reader: Reader): BareItem {
  const char = reader.peek();
  if (char === '"') return parseString(reader);
  if (char === ":") {
    const found = reader.match(BYTES);
    const bytes = found ? base64Decode(found[1] as string) : undefined;
    if (!bytes) reader.fail("a bad byte sequence");
    return bytes;
  }
  if (char === "?") {
    const next = reader.text[reader.at + 1];
    if (next !== "0" && next !== "1") reader.fail("a bad boolean");
    reader.at += 2;
    return next === "1";
  }
  const integer = reader.match(INTEGER);
  if (integer) return Number(integer[0]);
  const token = reader.match(TOKEN);
  if (token) return { token: token[0] };
  return reader.fail("an unreadable value");
}

function parseParameters(reader: Reader): Parameters {
  const params: Parameters = new Map();
  while (reader.peek() === ";") {
    reader.at++;
    reader.skip(" ");
    const key = reader.match(KEY)?.[0] ?? reader.fail("a bad parameter name");
    let value: BareItem = true;
    if (reader.peek() === "=") {
      reader.at++;
      value = parseBareItem(reader);
    }
    params.set(key, value);
  }
  return params;
}

function parseMember(reader: Reader): SfMember {
  if (reader.peek() !== "(") {
    const value = parseBareItem(reader);
    return { value, params: parseParameters(reader) };
  }
  reader.at++;
  const items: SfItem[] = [];
  for (;;) {
    reader.skip(" ");
    if (reader.peek() === ")") {
      reader.at++;
      return { items, params: parseParameters(reader) };
    }
    const value = parseBareItem(reader);
    items.push({ value, params: parseParameters(reader) });
    const next = reader.peek();
    if (next !== " " && next !== ")") reader.fail("an inner list without its closing parenthesis");
  }
}

/** RFC 8941 §4.2.2. The last of duplicate keys wins (§3.2). Throws StructuredFieldError. */
export function parseDictionary(text: string): Map<string, SfMember> {
  const reader = new Reader(text);
  const members = new Map<string, SfMember>();
  reader.skip(" ");
  while (reader.at < text.length) {
    const key = reader.match(KEY)?.[0] ?? reader.fail("a bad member name");
    if (reader.peek() === "=") {
      reader.at++;
      members.set(key, parseMember(reader));
    } else {
      members.set(key, { value: true, params: parseParameters(reader) });
    }
    reader.skip(" \t");
    if (reader.at >= text.length) break;
    if (reader.peek() !== ",") reader.fail("a member not followed by a comma");
    reader.at++;
    reader.skip(" \t");
    if (reader.at >= text.length) reader.fail("a trailing comma");
  }
  return members;
}

export function isInnerList(member: SfMember): member is SfInnerList {
  return "items" in member;
}

/** RFC 8941 §4.1.3.1 and its neighbours: the one way a bare item is written. */
export function serializeBareItem(value: BareItem): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "?1" : "?0";
  if (typeof value === "string") return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (value instanceof Uint8Array) return `:${base64Encode(value)}:`;
  return value.token;
}

export function serializeParameters(params: Parameters): string {
  let text = "";
  for (const [key, value] of params) text += value === true ? `;${key}` : `;${key}=${serializeBareItem(value)}`;
  return text;
}

/** RFC 8941 §4.1.1.1: an inner list with its parameters. */
export function serializeInnerList(list: SfInnerList): string {
  const items = list.items.map((item) => serializeBareItem(item.value) + serializeParameters(item.params));
  return `(${items.join(" ")})${serializeParameters(list.params)}`;
}
