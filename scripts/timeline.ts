/**
 * npm run timeline -- [status] [options]: read the posts of the accounts you follow, newest first,
 * through the owner API of the local (`npm start`) or a deployed site; `status` shows each followed
 * feed as the poller sees it (last and next poll, errors, moves).
 *
 *   --user NAME      only this account (@username, username or user_id)
 *   --mentions       only posts that mention you
 *   --limit N        posts per page, 1-100 (default 20)
 *   --cursor C       the next page (printed under the list)
 *   --url, --token, --json   as for every command
 *
 * Other people's text is shown as plain text with every control and direction-override character
 * made harmless (lib/cli/output.ts); --json is the API's answer, as terminal-safe.
 */

import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { resolveTarget } from "../lib/cli/local-server.ts";
import { fitWidth, oneLine, renderTable, shortTime, terminalSafeJson } from "../lib/cli/output.ts";
import { OWNER_COMMAND_OPTIONS, OwnerApi } from "../lib/cli/owner-api.ts";
import { parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import type { FollowStatus, ListPage, TimelineFollows, TimelineItem } from "../lib/shared/api-types.ts";
import { parseInteger } from "../lib/shared/integers.ts";

export const USAGE = `Usage: npm run timeline -- [status] [options]

  (no command)     posts of the accounts you follow, newest first
  status           each followed feed: state, last and next poll, last error, moves

  --user NAME      only this account (@username, username or user_id)
  --mentions       only posts that mention you
  --limit N        posts per page, 1-100 (default 20)
  --cursor C       the next page (printed under the list)
  --url URL        the site's Worker (default: the server npm start is running, or $SKEIN_API_URL)
  --token TOKEN    owner token (default: $SKEIN_OWNER_TOKEN, then OWNER_TOKEN in .dev.vars)
  --json           print the API's JSON instead of a table`;

export const DEFAULT_LIMIT = 20;
const WIDTH = 110;

export interface Options {
  command: "list" | "status" | "help";
  user?: string;
  mentions: boolean;
  limit: number;
  cursor?: string;
  url?: string;
  token?: string;
  json: boolean;
}

export function parseArgs(argv: readonly string[]): Options {
  const { values, positionals } = parseCommandLine(argv, {
    ...OWNER_COMMAND_OPTIONS,
    user: { type: "string" },
    mentions: { type: "boolean", default: false },
    limit: { type: "string" },
    cursor: { type: "string" },
  });
  const [name = "list", ...rest] = values.help ? ["help"] : positionals;
  if (rest.length) throw new UsageError(`unexpected ${JSON.stringify(rest[0])}`);
  if (name !== "list" && name !== "status" && name !== "help") throw new UsageError(`unknown command ${JSON.stringify(name)} (commands: status)`);
  let limit = DEFAULT_LIMIT;
  if (values.limit !== undefined) {
    const parsed = parseInteger(values.limit, { min: 1, max: 100 });
    if (parsed === undefined) throw new UsageError(`--limit must be a number from 1 to 100, got ${values.limit}`);
    limit = parsed;
  }
  if (name === "status" && (values.user !== undefined || values.mentions || values.cursor !== undefined || values.limit !== undefined)) {
    throw new UsageError("status takes no --user, --mentions, --limit or --cursor");
  }
  const options: Options = { command: name, mentions: values.mentions ?? false, limit, json: values.json ?? false };
  if (values.user !== undefined) options.user = values.user;
  if (values.cursor !== undefined) options.cursor = values.cursor;
  if (values.url !== undefined) options.url = values.url;
  if (values.token !== undefined) options.token = values.token;
  return options;
}

function postText(item: TimelineItem): string {
  const kind = item.repost ? "[repost] " : item.in_reply_to ? "[reply] " : "";
  return `${item.mention ? "* " : ""}${kind}${item.text || "(no text)"}`;
}

/** One line per post (time, name, @username, text), then its link, indented. */
export function timelineLines(items: readonly TimelineItem[], filter: { user?: string; mentions?: boolean } = {}): string[] {
  if (!items.length) {
    // Say what was asked for: an empty page after a filter is not an empty timeline.
    if (filter.user !== undefined) {
      const who = filter.user.startsWith("@") || /^[0-9a-f-]{36}$/i.test(filter.user) ? filter.user : `@${filter.user}`;
      return [`  (no posts from ${oneLine(who)}${filter.mentions ? " that mention you" : ""}: npm run timeline -- status lists the accounts you follow)`];
    }
    return [filter.mentions ? "  (no posts that mention you)" : "  (no posts)"];
  }
  const table = renderTable(
    items,
    [
      { header: "TIME (UTC)", width: 16, value: (item) => shortTime(item.date) },
      { header: "NAME", width: 18, value: (item) => item.name ?? item.username },
      { header: "@USERNAME", width: 16, value: (item) => `@${item.username}` },
      { header: "POST", value: postText },
    ],
    WIDTH,
  );
  const lines = [table[0]!];
  items.forEach((item, index) => {
    lines.push(table[index + 1]!);
    if (item.link) lines.push(fitWidth(`${" ".repeat(18)}${oneLine(item.link)}`, WIDTH).trimEnd());
  });
  return lines;
}

function when(iso: string | null, none: string): string {
  return iso ? shortTime(iso) : none;
}

/** One line per followed feed, then what needs the owner's attention (errors, moves). */
export function statusLines(answer: TimelineFollows): string[] {
  const lines = [
    `Followed feeds: ${answer.follows.length}${answer.last_run_at ? ` (last poller run ${shortTime(answer.last_run_at)} UTC)` : " (the poller has not run yet)"}`,
  ];
  if (!answer.follows.length) return [...lines, "  (none: npm run follow -- <URL> adds one)"];
  const table = renderTable(
    answer.follows,
    [
      { header: "@USERNAME", width: 18, value: (follow) => `@${follow.username}` },
      { header: "STATE", width: 11, value: (follow) => follow.state },
      { header: "LAST POLL", width: 16, value: (follow) => when(follow.last_poll_at, "-") },
      { header: "NEXT POLL", width: 16, value: (follow) => when(follow.next_poll_at, "next run") },
      { header: "EVERY", width: 7, align: "right", value: (follow) => `${follow.poll_every_minutes} min` },
      { header: "POSTS", value: (follow) => String(follow.items) },
    ],
    WIDTH,
  );
  lines.push(table[0]!);
  answer.follows.forEach((follow: FollowStatus, index) => {
    lines.push(table[index + 1]!);
    // Not cut to the table's width: these lines hold URLs and commands to copy.
    const detail = (text: string) => lines.push(fitWidth(`    ${oneLine(text)}`, 600).trimEnd());
    if (follow.last_error) detail(follow.failures > 0 ? `error (${follow.failures} in a row): ${follow.last_error}` : follow.last_error);
    if (follow.moved_to) detail(`moved to ${follow.moved_to}: update follows.yaml with npm run follow -- ${follow.moved_to}`);
  });
  return lines;
}

function timelinePath(options: Options): string {
  const params = new URLSearchParams();
  if (options.user !== undefined) params.set("user", options.user);
  if (options.mentions) params.set("mentions", "1");
  params.set("limit", String(options.limit));
  if (options.cursor !== undefined) params.set("cursor", options.cursor);
  return `/api/timeline?${params.toString()}`;
}

function moreCommand(options: Options, cursor: string): string {
  const parts = ["npm run timeline --"];
  if (options.user !== undefined) parts.push(`--user ${JSON.stringify(oneLine(options.user))}`);
  if (options.mentions) parts.push("--mentions");
  if (options.limit !== DEFAULT_LIMIT) parts.push(`--limit ${options.limit}`);
  parts.push(`--cursor ${cursor}`);
  return parts.join(" ");
}

export async function run(options: Options, out: (line: string) => void, root = process.cwd()): Promise<void> {
  if (options.command === "help") return out(USAGE);
  const api = new OwnerApi(resolveTarget(root, options));
  if (options.command === "status") {
    const answer = (await api.call<TimelineFollows>("GET", "/api/timeline/follows")).body!;
    if (options.json) return out(terminalSafeJson(answer));
    for (const line of statusLines(answer)) out(line);
    return;
  }
  const page = (await api.call<ListPage<TimelineItem>>("GET", timelinePath(options))).body!;
  if (options.json) return out(terminalSafeJson(page));
  for (const line of timelineLines(page.items, options)) out(line);
  if (page.next_cursor) out(`  more: ${moreCommand(options, oneLine(page.next_cursor))}`);
  if (page.items.some((item) => item.mention)) out("* = mentions you.");
}

export async function main(argv: string[]): Promise<void> {
  await run(parseArgs(argv), (line) => console.log(line));
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run timeline", USAGE, main);
