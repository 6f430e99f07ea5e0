/**
 * npm run inbox -- [command] [options]: read the inbox (private messages and reply notifications)
 * through the owner API of the local (`npm start`) or a deployed site.
 *
 *   list [messages|replies] [--unread] [--limit N] [--cursor C]   (default: list both)
 *   list webmentions [--state S]                                   webmentions received (W3C Webmention)
 *   read <messages|replies> <id>                                   mark one as read
 *   delete <messages|replies|webmentions> <id>
 *   reply messages <id> "text"                                     answer a received message (scripts/message.ts)
 *
 *   --url URL       the Worker (default: the server `npm start` is running; else SKEIN_API_URL)
 *   --token TOKEN   the owner token (default: SKEIN_OWNER_TOKEN, then OWNER_TOKEN in .dev.vars)
 *   --json          the API's JSON, for scripts (terminal-safe)
 */

import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { resolveTarget } from "../lib/cli/local-server.ts";
import { fitWidth, oneLine, renderTable, shortTime, terminalSafeJson } from "../lib/cli/output.ts";
import { OWNER_COMMAND_OPTIONS, OwnerApi } from "../lib/cli/owner-api.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import type { InboxCounts, InboxMessage, InboxReply, ListPage, ReceivedWebmention } from "../lib/shared/api-types.ts";
import { parseInteger } from "../lib/shared/integers.ts";
import { sendMessage } from "./message.ts";

/** What `list` shows by default; webmentions when asked for (list webmentions). */
export const KINDS = ["messages", "replies"] as const;
export type Kind = (typeof KINDS)[number] | "webmentions";
export const WEBMENTION_STATES = ["pending", "verified", "rejected", "gone", "unreachable"] as const;

const WEBMENTION_STATES_TEXT = "pending|verified|rejected|gone|unreachable";

export const USAGE = `Usage: npm run inbox -- [command] [options]

  list [messages|replies]   newest first (default: both); --unread, --limit N (1-100), --cursor C
  list webmentions          webmentions received, newest first, with their kind (reply, like,
                            repost, mention) and check; --state ${WEBMENTION_STATES_TEXT}, --cursor C;
                            approve one for the site with npm run replies -- approve w<id>
  read <kind> <id>          mark a message or reply as read
  delete <kind> <id>        delete a message, reply or webmention
  reply messages <id> "text"  answer a received message, to its sender (npm run outbox shows it)

  --url URL      the site's Worker (default: the server npm start is running, or $SKEIN_API_URL)
  --token TOKEN  owner token (default: $SKEIN_OWNER_TOKEN, then OWNER_TOKEN in .dev.vars)
  --json         print the API's JSON instead of a table`;

export type Command =
  | { name: "list"; kinds: Kind[]; unread: boolean; limit?: number; cursor?: string; state?: string }
  | { name: "read" | "delete"; kind: Kind; id: number }
  | { name: "reply"; id: number; text: string }
  | { name: "help" };

export interface Options {
  command: Command;
  url?: string;
  token?: string;
  json: boolean;
}

function kindOf(text: string | undefined): Kind {
  if (text === "messages" || text === "message") return "messages";
  if (text === "replies" || text === "reply") return "replies";
  if (text === "webmentions" || text === "webmention") return "webmentions";
  throw new UsageError(`expected "messages", "replies" or "webmentions", got ${text === undefined ? "nothing" : JSON.stringify(text)}`);
}

export function parseArgs(argv: readonly string[]): Options {
  const { values, positionals } = parseCommandLine(argv, {
    ...OWNER_COMMAND_OPTIONS,
    unread: { type: "boolean", default: false },
    limit: { type: "string" },
    cursor: { type: "string" },
    state: { type: "string" },
  });
  const [name = "list", ...rest] = values.help ? ["help"] : positionals;
  let command: Command;
  if (name === "help") command = { name: "help" };
  else if (name === "list") {
    if (rest.length > 1) throw new UsageError("list takes at most one kind: messages or replies");
    const kinds = rest.length ? [kindOf(rest[0])] : [...KINDS];
    if (values.cursor !== undefined && kinds.length !== 1)
      throw new UsageError("--cursor needs a kind: list messages --cursor ... or list replies --cursor ...");
    command = { name, kinds, unread: values.unread ?? false };
    if (values.state !== undefined) {
      if (kinds[0] !== "webmentions" || kinds.length !== 1) throw new UsageError("--state is for list webmentions");
      if (!(WEBMENTION_STATES as readonly string[]).includes(values.state))
        throw new UsageError(`--state must be one of ${WEBMENTION_STATES.join(", ")}, got ${values.state}`);
      command.state = values.state;
    }
    if (values.limit !== undefined) {
      const limit = parseInteger(values.limit, { min: 1, max: 100 });
      if (limit === undefined) throw new UsageError(`--limit must be a number from 1 to 100, got ${values.limit}`);
      command.limit = limit;
    }
    if (values.cursor !== undefined) command.cursor = values.cursor;
  } else if (name === "read" || name === "delete") {
    if (rest.length !== 2) throw new UsageError(`${name} needs a kind and an id, e.g. npm run inbox -- ${name} messages 12`);
    const id = parseInteger(rest[1], { min: 1 });
    if (id === undefined) throw new UsageError(`not an id: ${rest[1]}`);
    command = { name, kind: kindOf(rest[0]), id };
  } else if (name === "reply") {
    const [kind, idText, ...words] = rest;
    if (kindOf(kind) !== "messages") {
      throw new UsageError("a reply notification is answered with a post: write one with reply_to in its front matter (npm run new)");
    }
    const id = parseInteger(idText, { min: 1 });
    if (id === undefined)
      throw new UsageError(`reply needs the id of a received message, e.g. npm run inbox -- reply messages 12 "text"; got ${idText ?? "nothing"}`);
    const text = words.join(" ");
    if (!text.trim()) throw new UsageError(`say what to answer: npm run inbox -- reply messages ${id} "your answer"`);
    command = { name, id, text };
  } else {
    throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  }
  const options: Options = { command, json: values.json ?? false };
  if (values.url !== undefined) options.url = values.url;
  if (values.token !== undefined) options.token = values.token;
  return options;
}

// ---------------------------------------------------------------------------------------------
// Tables: one line per item, newest first; a star marks unread items.

const idText = <T extends { id: number; read_at: string | null }>(item: T): string => `${item.id}${item.read_at ? " " : "*"}`;

/** docs/signing.md: signed by the feed it names, or the sender is only claimed. */
export const proofText = (item: { proof?: string | null }): string => (item.proof === "signed" ? "signed" : item.proof === "not_proven" ? "unproven" : "");

/** The name, and the known name it imitates in another script (lib/inbox/lookalike.ts). */
const whoText = (item: { username: string; lookalike?: string | null }): string => `@${item.username}${item.lookalike ? ` (NOT @${item.lookalike})` : ""}`;

export function messagesTable(items: InboxMessage[]): string[] {
  if (!items.length) return ["  (none)"];
  return renderTable(
    items,
    [
      { header: "ID", width: 6, align: "right", value: idText },
      { header: "RECEIVED (UTC)", width: 16, value: (item) => shortTime(item.received_at) },
      { header: "WHO", width: 20, value: (item) => `${item.direction === "sent" ? "to " : ""}${whoText(item)}` },
      { header: "PROOF", width: 8, value: proofText },
      { header: "MESSAGE", value: (item) => item.message },
    ],
    80,
  );
}

export function repliesTable(items: InboxReply[]): string[] {
  if (!items.length) return ["  (none)"];
  const lines: string[] = [];
  const table = renderTable(
    items,
    [
      { header: "ID", width: 6, align: "right", value: idText },
      { header: "RECEIVED (UTC)", width: 16, value: (item) => shortTime(item.received_at) },
      { header: "FROM", width: 18, value: whoText },
      { header: "PROOF", width: 8, value: proofText },
      { header: "POST", width: 5, value: (item) => `#${item.post_id}` },
      { header: "STATUS", width: 10, value: (item) => item.status_id },
      { header: "CHECK", value: (item) => item.verification },
    ],
    80,
  );
  lines.push(table[0]!);
  items.forEach((item, index) => {
    lines.push(table[index + 1]!);
    if (item.verification_detail && item.verification !== "verified") lines.push(fitWidth(`        ${oneLine(item.verification_detail)}`, 80).trimEnd());
  });
  return lines;
}

/** Webmentions received: who, about which post, what kind, and how its check went. */
export function webmentionsTable(items: ReceivedWebmention[]): string[] {
  if (!items.length) return ["  (none)"];
  const lines: string[] = [];
  const table = renderTable(
    items,
    [
      { header: "ID", width: 6, align: "right", value: (item) => `w${item.id}${item.read ? " " : "*"}` },
      { header: "RECEIVED (UTC)", width: 16, value: (item) => shortTime(item.received_at) },
      { header: "FROM", width: 18, value: (item) => item.author_name ?? new URL(item.source).host },
      { header: "KIND", width: 8, value: (item) => item.kind ?? "" },
      { header: "POST", width: 5, value: (item) => (item.post_id === null ? "home" : `#${item.post_id}`) },
      { header: "CHECK", width: 11, value: (item) => item.state },
      { header: "SAYS", value: (item) => oneLine(item.content ?? "") },
    ],
    100,
  );
  lines.push(table[0]!);
  items.forEach((item, index) => {
    lines.push(table[index + 1]!);
    lines.push(fitWidth(`        ${oneLine(item.source)}${item.moderation ? ` (${item.moderation})` : ""}`, 100).trimEnd());
    if (item.state !== "verified" && item.detail) lines.push(fitWidth(`        ${oneLine(item.detail)}`, 100).trimEnd());
  });
  return lines;
}

async function listWebmentions(api: OwnerApi, options: Options, command: Extract<Command, { name: "list" }>, out: (line: string) => void): Promise<void> {
  const params = new URLSearchParams();
  if (command.state) params.set("state", command.state);
  if (command.cursor) params.set("before", command.cursor);
  const text = params.toString();
  const page = (await api.call<{ items: ReceivedWebmention[]; next: string | null }>("GET", `/api/webmentions${text ? `?${text}` : ""}`)).body!;
  if (options.json) return out(terminalSafeJson(page));
  out(`Webmentions${command.state ? ` (${command.state})` : ""}: newest first`);
  for (const line of webmentionsTable(page.items)) out(line);
  if (page.next) out(`  more: npm run inbox -- list webmentions${command.state ? ` --state ${command.state}` : ""} --cursor ${page.next}`);
  out("");
  out("* = not decided.  Show one under its post: npm run replies -- approve w<id>   Delete: npm run inbox -- delete webmentions <id>");
}

// ---------------------------------------------------------------------------------------------

async function list(api: OwnerApi, options: Options, command: Extract<Command, { name: "list" }>, out: (line: string) => void): Promise<void> {
  const query = (kind: Kind) => {
    const params = new URLSearchParams();
    if (command.unread) params.set("unread", "1");
    if (command.limit !== undefined) params.set("limit", String(command.limit));
    if (command.cursor !== undefined) params.set("cursor", command.cursor);
    const text = params.toString();
    return `/api/inbox/${kind}${text ? `?${text}` : ""}`;
  };
  if (command.kinds[0] === "webmentions") return listWebmentions(api, options, command, out);
  const pages = new Map<Kind, ListPage<InboxMessage | InboxReply>>();
  for (const kind of command.kinds) pages.set(kind, (await api.call<ListPage<InboxMessage | InboxReply>>("GET", query(kind))).body!);
  if (options.json) {
    out(terminalSafeJson(command.kinds.length === 1 ? pages.get(command.kinds[0]!) : Object.fromEntries(pages)));
    return;
  }
  const counts = (await api.call<InboxCounts>("GET", "/api/inbox")).body!;
  command.kinds.forEach((kind, index) => {
    const page = pages.get(kind)!;
    if (index > 0) out("");
    out(
      `${kind === "messages" ? "Messages" : "Replies"}: ${counts[kind as "messages" | "replies"].total} (${counts[kind as "messages" | "replies"].unread} unread)${command.unread ? ", showing unread" : ""}`,
    );
    for (const line of kind === "messages" ? messagesTable(page.items as InboxMessage[]) : repliesTable(page.items as InboxReply[])) out(line);
    if (page.next_cursor)
      out(
        `  more: npm run inbox -- list ${kind}${command.unread ? " --unread" : ""}${command.limit ? ` --limit ${command.limit}` : ""} --cursor ${page.next_cursor}`,
      );
  });
  out("");
  out("* = unread.  Mark read: npm run inbox -- read <kind> <id>   Delete: npm run inbox -- delete <kind> <id>");
}

export async function run(options: Options, out: (line: string) => void, root = process.cwd()): Promise<void> {
  const { command } = options;
  if (command.name === "help") return out(USAGE);
  const api = new OwnerApi(resolveTarget(root, options));
  if (command.name === "list") return list(api, options, command, out);
  if (command.name === "reply") return sendMessage(api, { reply_to: command.id, text: command.text }, options.json, out);
  const singular = command.kind === "messages" ? "message" : command.kind === "replies" ? "reply" : "webmention";
  if (command.kind === "webmentions" && command.name === "read")
    throw new UsageError("a webmention is marked read when you approve or hide it (npm run replies)");
  const answer = await api.call(
    command.name === "read" ? "POST" : "DELETE",
    command.kind === "webmentions" ? `/api/webmentions/${command.id}` : `/api/inbox/${command.kind}/${command.id}${command.name === "read" ? "/read" : ""}`,
    undefined,
    [204, 404],
  );
  if (answer.status === 404) throw new CliError(`there is no ${singular} ${command.id}`);
  out(
    options.json
      ? terminalSafeJson({ ok: true, kind: command.kind, id: command.id, action: command.name })
      : `${command.name === "read" ? "marked" : "deleted"} ${singular} ${command.id}${command.name === "read" ? " as read" : ""}`,
  );
}

export async function main(argv: string[]): Promise<void> {
  await run(parseArgs(argv), (line) => console.log(line));
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run inbox", USAGE, main);
