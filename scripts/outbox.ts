/**
 * npm run outbox -- [command] [options]: what Skein sent and sends -- reply and mention notifications
 * of your posts and your private messages -- with each one's state, attempts and last error, through
 * the owner API of the local (`npm start`) or a deployed site.
 *
 *   list [--state S] [--limit N] [--cursor C]   newest first (the default command)
 *   retry <id>                                  put a refused or failed one back in the queue
 *   webmentions [--post ID] [--limit N] [--cursor C]   the webmentions your posts send (W3C Webmention)
 *   retry-webmention <id>                       a failed one, or one whose target had no endpoint, queued again
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
import { type ListPage, OUTBOX_STATES, type OutboxItem, type OutboxState, type WebmentionSendItem } from "../lib/shared/api-types.ts";
import { parseInteger } from "../lib/shared/integers.ts";

export const USAGE = `Usage: npm run outbox -- [command] [options]

  list          every notification and message Skein sent or sends, newest first (default);
                --state ${OUTBOX_STATES.join("|")}, --limit N (1-100), --cursor C
  retry <id>    put a refused or failed one back in the queue (the Worker sends it within a minute;
                now: npm run tick)
  webmentions   the webmentions your posts send to the pages they link to, newest first;
                --post ID, --limit N (1-100), --cursor C
  retry-webmention <id>
                a failed webmention, or one whose target had no endpoint, queued again

  --url URL      the site's Worker (default: the server npm start is running, or $SKEIN_API_URL)
  --token TOKEN  owner token (default: $SKEIN_OWNER_TOKEN, then OWNER_TOKEN in .dev.vars)
  --json         print the API's JSON instead of a table`;

export type Command =
  | { name: "list"; state?: OutboxState; limit?: number; cursor?: string }
  | { name: "retry"; id: number }
  | { name: "webmentions"; post?: number; limit?: number; cursor?: string }
  | { name: "retry-webmention"; id: number }
  | { name: "help" };

function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = parseInteger(text, { min: 1, max: 100 });
  if (limit === undefined) throw new UsageError(`--limit must be a number from 1 to 100, got ${text}`);
  return limit;
}

function idOf(name: string, rest: readonly string[]): number {
  if (rest.length !== 1) throw new UsageError(`${name} needs one id, e.g. npm run outbox -- ${name} 12`);
  const id = parseInteger(rest[0], { min: 1 });
  if (id === undefined) throw new UsageError(`not an id: ${rest[0]}`);
  return id;
}

export interface Options {
  command: Command;
  url?: string;
  token?: string;
  json: boolean;
}

export function parseArgs(argv: readonly string[]): Options {
  const { values, positionals } = parseCommandLine(argv, {
    ...OWNER_COMMAND_OPTIONS,
    state: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    post: { type: "string" },
  });
  const [name = "list", ...rest] = values.help ? ["help"] : positionals;
  let command: Command;
  if (name === "help") command = { name };
  else if (name === "list") {
    if (rest.length) throw new UsageError(`list takes no ${JSON.stringify(rest[0])}; filter with --state`);
    command = { name };
    if (values.state !== undefined) {
      if (!(OUTBOX_STATES as readonly string[]).includes(values.state))
        throw new UsageError(`--state must be one of ${OUTBOX_STATES.join(", ")}, got ${values.state}`);
      command.state = values.state as OutboxState;
    }
    const limit = limitOf(values.limit);
    if (limit !== undefined) command.limit = limit;
    if (values.cursor !== undefined) command.cursor = values.cursor;
  } else if (name === "webmentions") {
    if (rest.length) throw new UsageError(`webmentions takes no ${JSON.stringify(rest[0])}; filter with --post`);
    command = { name };
    if (values.post !== undefined) {
      const post = parseInteger(values.post, { min: 0 });
      if (post === undefined) throw new UsageError(`--post must be a post's id, got ${values.post}`);
      command.post = post;
    }
    const limit = limitOf(values.limit);
    if (limit !== undefined) command.limit = limit;
    if (values.cursor !== undefined) command.cursor = values.cursor;
  } else if (name === "retry") {
    if (rest.length !== 1) throw new UsageError("retry needs the id of one outbox item, e.g. npm run outbox -- retry 12");
    command = { name, id: idOf(name, rest) };
  } else if (name === "retry-webmention") {
    command = { name, id: idOf(name, rest) };
  } else {
    throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  }
  const options: Options = { command, json: values.json ?? false };
  if (values.url !== undefined) options.url = values.url;
  if (values.token !== undefined) options.token = values.token;
  return options;
}

/** What an item is about: the post and their item, or the message's words. */
function about(item: OutboxItem): string {
  if (item.kind === "message") return `"${oneLine(item.message ?? "")}"`;
  if (item.kind === "reply") return `post ${item.post_id} -> their ${item.status_id}`;
  return `post ${item.post_id}`;
}

/** One line per item, newest first; under any item not sent, why (and when it is tried next). */
export function outboxTable(items: readonly OutboxItem[], state?: OutboxState): string[] {
  if (!items.length) return [state ? `  (nothing ${state})` : "  (nothing sent yet)"];
  const table = renderTable(
    items,
    [
      { header: "ID", width: 5, align: "right", value: (item) => String(item.id) },
      { header: "KIND", width: 7, value: (item) => item.kind },
      { header: "TO", width: 18, value: (item) => (item.username ? `@${item.username}` : item.user_link) },
      { header: "STATE", width: 9, value: (item) => item.state },
      { header: "TRIES", width: 5, align: "right", value: (item) => String(item.attempts) },
      { header: "UPDATED (UTC)", width: 16, value: (item) => shortTime(item.updated_at) },
      { header: "ABOUT", value: (item) => about(item) },
    ],
    100,
  );
  const lines = [table[0]!];
  items.forEach((item, index) => {
    lines.push(table[index + 1]!);
    if (item.state !== "sent" && item.last_error) lines.push(fitWidth(`       ${oneLine(item.last_error)}`, 100).trimEnd());
    if (item.state === "queued" && item.next_attempt_at) lines.push(`       next try: ${shortTime(item.next_attempt_at)} UTC`);
  });
  return lines;
}

/** One line per webmention, newest first; under any not sent, why (and when it is tried next). */
export function webmentionsTable(items: readonly WebmentionSendItem[]): string[] {
  if (!items.length) return ["  (no webmention sent yet: a post that links to a page sends one once it is live)"];
  const table = renderTable(
    items,
    [
      { header: "ID", width: 5, align: "right", value: (item) => String(item.id) },
      { header: "POST", width: 6, align: "right", value: (item) => String(item.post_id) },
      { header: "WHY", width: 7, value: (item) => item.reason },
      { header: "STATE", width: 11, value: (item) => item.state },
      { header: "TRIES", width: 5, align: "right", value: (item) => String(item.attempts) },
      { header: "UPDATED (UTC)", width: 16, value: (item) => shortTime(item.updated_at) },
      { header: "TARGET", value: (item) => oneLine(item.target) },
    ],
    100,
  );
  const lines = [table[0]!];
  items.forEach((item, index) => {
    lines.push(table[index + 1]!);
    if (item.state !== "sent" && item.detail) lines.push(fitWidth(`       ${oneLine(item.detail)}`, 100).trimEnd());
    if (item.state === "queued" && item.next_attempt_at) lines.push(`       next try: ${shortTime(item.next_attempt_at)} UTC`);
  });
  return lines;
}

async function webmentions(api: OwnerApi, command: Extract<Command, { name: "webmentions" }>, options: Options, out: (line: string) => void) {
  const params = new URLSearchParams();
  if (command.post !== undefined) params.set("post", String(command.post));
  if (command.limit !== undefined) params.set("limit", String(command.limit));
  if (command.cursor !== undefined) params.set("cursor", command.cursor);
  const query = params.toString();
  const page = (await api.call<ListPage<WebmentionSendItem>>("GET", `/api/outbox/webmentions${query ? `?${query}` : ""}`)).body!;
  if (options.json) return out(terminalSafeJson(page));
  out(`Webmentions your posts send${command.post !== undefined ? ` (post ${command.post})` : ""}: newest first`);
  for (const line of webmentionsTable(page.items)) out(line);
  if (page.next_cursor) out(`  more: npm run outbox -- webmentions${command.limit ? ` --limit ${command.limit}` : ""} --cursor ${page.next_cursor}`);
  out("");
  out("Send a failed one again: npm run outbox -- retry-webmention <id>");
}

async function retryWebmention(api: OwnerApi, id: number, options: Options, out: (line: string) => void) {
  const answer = await api.call<{ detail?: string }>("POST", `/api/outbox/webmentions/${id}/retry`, undefined, [204, 404, 409]);
  if (answer.status !== 204) throw new CliError(oneLine(answer.body?.detail ?? `there is no webmention ${id}`));
  out(
    options.json
      ? terminalSafeJson({ id, state: "queued" })
      : `queued webmention ${id} again; the Worker sends it within a minute (or now: npm run tick), then npm run outbox -- webmentions shows how it went`,
  );
}

export async function run(options: Options, out: (line: string) => void, root = process.cwd()): Promise<void> {
  const { command } = options;
  if (command.name === "help") return out(USAGE);
  const api = new OwnerApi(resolveTarget(root, options));
  if (command.name === "webmentions") return webmentions(api, command, options, out);
  if (command.name === "retry-webmention") return retryWebmention(api, command.id, options, out);
  if (command.name === "retry") {
    const answer = await api.call<OutboxItem | { detail?: string }>("POST", `/api/outbox/${command.id}/retry`, undefined, [200, 404, 409]);
    const detail = (answer.body as { detail?: string } | undefined)?.detail;
    if (answer.status !== 200) throw new CliError(oneLine(detail ?? `there is no outbox item ${command.id}`));
    out(
      options.json
        ? terminalSafeJson(answer.body)
        : `queued outbox item ${command.id} again; the Worker sends it within a minute (or now: npm run tick), then npm run outbox shows how it went`,
    );
    return;
  }
  const params = new URLSearchParams();
  if (command.state) params.set("state", command.state);
  if (command.limit !== undefined) params.set("limit", String(command.limit));
  if (command.cursor !== undefined) params.set("cursor", command.cursor);
  const query = params.toString();
  const page = (await api.call<ListPage<OutboxItem>>("GET", `/api/outbox${query ? `?${query}` : ""}`)).body!;
  if (options.json) return out(terminalSafeJson(page));
  out(`Outbox${command.state ? ` (${command.state})` : ""}: newest first`);
  for (const line of outboxTable(page.items, command.state)) out(line);
  if (page.next_cursor) {
    out(
      `  more: npm run outbox -- list${command.state ? ` --state ${command.state}` : ""}${command.limit ? ` --limit ${command.limit}` : ""} --cursor ${page.next_cursor}`,
    );
  }
  out("");
  out("Retry a refused or failed one: npm run outbox -- retry <id>");
  out("Webmentions your posts send: npm run outbox -- webmentions");
}

export async function main(argv: string[]): Promise<void> {
  await run(parseArgs(argv), (line) => console.log(line));
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run outbox", USAGE, main);
