/**
 * npm run inbox -- [command] [options]: read the inbox (private messages and reply notifications)
 * through the owner API of a local (`npm start`) or deployed site.
 *
 *   list [messages|replies] [--unread] [--limit N] [--cursor C] [--json]   (default: list both)
 *   read <messages|replies> <id>                                           mark one as read
 *   delete <messages|replies> <id>
 *
 *   --url URL       where the functions run (default http://127.0.0.1:8788)
 *   --token TOKEN   the owner token; else SKEIN_OWNER_TOKEN, else OWNER_TOKEN= in .dev.vars
 *   --json          machine-readable output (the API's JSON) for scripts
 */
import type { MessageItem, ReplyItem } from "../lib/inbox/store.ts";
import { readDevVar } from "./dev-vars.ts";
import { isEntryPoint } from "./entry-point.ts";

export const KINDS = ["messages", "replies"] as const;
export type Kind = (typeof KINDS)[number];

export interface ListPage<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Counts {
  messages: { total: number; unread: number };
  replies: { total: number; unread: number };
}

export type Command =
  | { name: "list"; kinds: Kind[]; unread: boolean; limit?: number; cursor?: string }
  | { name: "read" | "delete"; kind: Kind; id: number }
  | { name: "help" };

export interface Options {
  command: Command;
  url: string;
  token?: string;
  json: boolean;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run inbox -- [command] [options]

  list [messages|replies]   newest first (default: both); --unread, --limit N (1-100), --cursor C
  read <kind> <id>          mark a message or reply as read
  delete <kind> <id>        delete a message or reply

  --url URL      the site's functions (default http://127.0.0.1:8788, i.e. npm start)
  --token TOKEN  owner token (default: $SKEIN_OWNER_TOKEN, then OWNER_TOKEN in .dev.vars)
  --json         print the API's JSON instead of a table`;

function kindOf(text: string | undefined): Kind {
  if (text === "messages" || text === "replies") return text;
  if (text === "message" || text === "reply") return text === "message" ? "messages" : "replies";
  throw new UsageError(`expected "messages" or "replies", got ${text === undefined ? "nothing" : JSON.stringify(text)}`);
}

export function parseArgs(argv: readonly string[], env: Record<string, string | undefined>, devVarsToken: () => string | undefined): Options {
  const positional: string[] = [];
  let url = "http://127.0.0.1:8788";
  let token: string | undefined;
  let json = false;
  let unread = false;
  let limit: number | undefined;
  let cursor: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === "--url") url = value();
    else if (arg === "--token") token = value();
    else if (arg === "--json") json = true;
    else if (arg === "--unread") unread = true;
    else if (arg === "--limit") {
      const text = value();
      limit = /^\d{1,3}$/.test(text) ? Number(text) : 0;
      if (limit < 1 || limit > 100) throw new UsageError(`--limit must be a number from 1 to 100, got ${text}`);
    } else if (arg === "--cursor") cursor = value();
    else if (arg === "--help" || arg === "-h") positional.unshift("help");
    else if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new UsageError(`--url must be an absolute URL such as https://you.example, got ${url}`);
  }
  const [name = "list", ...rest] = positional;
  let command: Command;
  if (name === "help") command = { name: "help" };
  else if (name === "list") {
    if (rest.length > 1) throw new UsageError("list takes at most one kind: messages or replies");
    const kinds = rest.length ? [kindOf(rest[0])] : [...KINDS];
    if (cursor !== undefined && kinds.length !== 1) throw new UsageError("--cursor needs a kind: list messages --cursor ... or list replies --cursor ...");
    command = { name, kinds, unread };
    if (limit !== undefined) command.limit = limit;
    if (cursor !== undefined) command.cursor = cursor;
  } else if (name === "read" || name === "delete") {
    if (rest.length !== 2) throw new UsageError(`${name} needs a kind and an id, e.g. npm run inbox -- ${name} messages 12`);
    const id = /^[1-9]\d{0,14}$/.test(rest[1]!) ? Number(rest[1]) : undefined;
    if (id === undefined) throw new UsageError(`not an id: ${rest[1]}`);
    command = { name, kind: kindOf(rest[0]), id };
  } else {
    throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  }
  const options: Options = { command, url: parsedUrl.href.replace(/\/+$/, ""), json };
  const chosen = token ?? env.SKEIN_OWNER_TOKEN ?? devVarsToken();
  if (chosen) options.token = chosen;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Table output: 80 columns, one line per item, newest first.

export const WIDTH = 80;

/** Terminal-safe text on one line: no control or bidi-override characters, runs of space collapsed. */
export function oneLine(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Cut to `width` code points, marking a cut with "…"; pad with spaces to `width`. */
export function fit(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length > width) return `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
  return text + " ".repeat(width - chars.length);
}

/** "2026-03-01T12:00:30Z" -> "2026-03-01 12:00" (UTC, like the API). */
export function shortTime(iso: string): string {
  return iso.replace("T", " ").slice(0, 16);
}

function idColumn(items: { id: number; read_at: string | null }[]): (item: { id: number; read_at: string | null }) => string {
  const width = Math.max(2, ...items.map((item) => String(item.id).length)) + 1;
  // A star marks unread items.
  return (item) => `${String(item.id).padStart(width - 1)}${item.read_at ? " " : "*"}`;
}

export function messagesTable(items: MessageItem[]): string[] {
  if (!items.length) return ["  (none)"];
  const id = idColumn(items);
  const idWidth = id(items[0]!).length;
  const fromWidth = 18;
  const textWidth = WIDTH - idWidth - 1 - 16 - 2 - fromWidth - 2;
  const lines = [`${fit("ID", idWidth)} ${fit("RECEIVED (UTC)", 16)}  ${fit("FROM", fromWidth)}  MESSAGE`];
  for (const item of items) {
    lines.push(`${id(item)} ${shortTime(item.received_at)}  ${fit(`@${oneLine(item.username)}`, fromWidth)}  ${fit(oneLine(item.message), textWidth).trimEnd()}`);
  }
  return lines;
}

export function repliesTable(items: ReplyItem[]): string[] {
  if (!items.length) return ["  (none)"];
  const id = idColumn(items);
  const idWidth = id(items[0]!).length;
  const fromWidth = 18;
  const lines = [`${fit("ID", idWidth)} ${fit("RECEIVED (UTC)", 16)}  ${fit("FROM", fromWidth)}  ${fit("POST", 6)}${fit("STATUS", 12)} CHECK`];
  for (const item of items) {
    lines.push(
      `${id(item)} ${shortTime(item.received_at)}  ${fit(`@${oneLine(item.username)}`, fromWidth)}  ${fit(`#${item.post_id}`, 6)}${fit(oneLine(item.status_id), 12)} ${item.verification}`,
    );
    if (item.verification_detail && item.verification !== "verified") {
      lines.push(`${" ".repeat(idWidth + 1)}${fit(`  ${oneLine(item.verification_detail)}`, WIDTH - idWidth - 1).trimEnd()}`);
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------

export class ApiError extends Error {}

async function call(options: Options, method: string, path: string): Promise<Response> {
  if (!options.token) {
    throw new ApiError("no owner token: pass --token, set SKEIN_OWNER_TOKEN, or run `npm run init` / `npm start` to create OWNER_TOKEN in .dev.vars");
  }
  let response: Response;
  try {
    response = await fetch(`${options.url}${path}`, { method, headers: { Authorization: `Bearer ${options.token}`, Accept: "application/json" } });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new ApiError(`could not reach ${options.url} (${cause}). Is the site running? Locally: npm start`);
  }
  if (response.ok) return response;
  let detail = "";
  try {
    const body = (await response.json()) as { detail?: string };
    detail = body.detail ?? "";
  } catch {
    // not a problem+json body
  }
  if (response.status === 401) throw new ApiError(`the owner token was refused: ${detail || "401 Unauthorized"}`);
  throw new ApiError(`${method} ${path} answered ${response.status}${detail ? `: ${detail}` : ""}`);
}

async function list(options: Options, command: Extract<Command, { name: "list" }>, out: (line: string) => void): Promise<void> {
  const query = (kind: Kind) => {
    const params = new URLSearchParams();
    if (command.unread) params.set("unread", "1");
    if (command.limit !== undefined) params.set("limit", String(command.limit));
    if (command.cursor !== undefined) params.set("cursor", command.cursor);
    const text = params.toString();
    return `/api/inbox/${kind}${text ? `?${text}` : ""}`;
  };
  const pages = new Map<Kind, ListPage<MessageItem | ReplyItem>>();
  for (const kind of command.kinds) pages.set(kind, (await (await call(options, "GET", query(kind))).json()) as ListPage<MessageItem | ReplyItem>);
  if (options.json) {
    out(JSON.stringify(command.kinds.length === 1 ? pages.get(command.kinds[0]!) : Object.fromEntries(pages), null, 2));
    return;
  }
  const counts = (await (await call(options, "GET", "/api/inbox")).json()) as Counts;
  command.kinds.forEach((kind, index) => {
    const page = pages.get(kind)!;
    if (index > 0) out("");
    out(`${kind === "messages" ? "Messages" : "Replies"}: ${counts[kind].total} (${counts[kind].unread} unread)${command.unread ? ", showing unread" : ""}`);
    for (const line of kind === "messages" ? messagesTable(page.items as MessageItem[]) : repliesTable(page.items as ReplyItem[])) out(line);
    if (page.next_cursor) out(`  more: npm run inbox -- list ${kind}${command.unread ? " --unread" : ""}${command.limit ? ` --limit ${command.limit}` : ""} --cursor ${page.next_cursor}`);
  });
  out("");
  out("* = unread.  Mark read: npm run inbox -- read <kind> <id>   Delete: npm run inbox -- delete <kind> <id>");
}

export async function run(options: Options, out: (line: string) => void): Promise<void> {
  const { command } = options;
  if (command.name === "help") return out(USAGE);
  if (command.name === "list") return list(options, command, out);
  const singular = command.kind === "messages" ? "message" : "reply";
  try {
    await call(options, command.name === "read" ? "POST" : "DELETE", `/api/inbox/${command.kind}/${command.id}${command.name === "read" ? "/read" : ""}`);
  } catch (error) {
    if (error instanceof ApiError && /answered 404/.test(error.message)) throw new ApiError(`there is no ${singular} ${command.id}`);
    throw error;
  }
  out(options.json ? JSON.stringify({ ok: true, kind: command.kind, id: command.id, action: command.name }) : `${command.name === "read" ? "marked" : "deleted"} ${singular} ${command.id}${command.name === "read" ? " as read" : ""}`);
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2), process.env, () => readDevVar(process.cwd(), "OWNER_TOKEN"));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  try {
    await run(options, (line) => console.log(line));
  } catch (error) {
    if (error instanceof ApiError) {
      console.error(`inbox: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

if (isEntryPoint(import.meta.url)) {
  await main();
}
