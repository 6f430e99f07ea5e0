/**
 * npm run message -- <feed URL | profile URL | @username> "text": send a private message (spec
 * "Private Messaging") through the site's Worker (POST /api/outbox/messages), which reads the
 * recipient's feed, honours their accept policy and blocks, sends it, and stores it with the
 * received messages (npm run inbox -- list messages shows both sides).
 *
 *   --url URL       the Worker (default: the server `npm start` is running; else SKEIN_API_URL)
 *   --token TOKEN   the owner token (default: SKEIN_OWNER_TOKEN, then OWNER_TOKEN in .dev.vars)
 *   --json          the API's JSON, for scripts (terminal-safe)
 *
 * Exits 0 when the message was sent, or taken for a retry (their server failed for now: the Worker
 * tries again, npm run outbox shows it); 1 with one line saying why when it was not sent.
 */

import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { resolveTarget } from "../lib/cli/local-server.ts";
import { oneLine, terminalSafeJson } from "../lib/cli/output.ts";
import { OWNER_COMMAND_OPTIONS, OwnerApi } from "../lib/cli/owner-api.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import type { OutboxSendAnswer } from "../lib/shared/api-types.ts";

export const USAGE = `Usage: npm run message -- <recipient> "text" [--json] [--url URL] [--token TOKEN]

  recipient   their feed URL, their profile URL, or @username of an account in follows.yaml
  text        the message (quote it; at most 5000 characters)

  Sent by the site's Worker: it reads their feed, honours their accept policy and blocks list, and
  answers in one line. See what was sent and retry a failed one: npm run outbox`;

/** The statuses POST /api/outbox/messages answers with a body worth reading (a problem's detail). */
const ANSWERS = [201, 202, 400, 403, 404, 409, 413, 415, 422, 502, 503] as const;

interface Problem {
  detail?: string;
}

/** POST the message and print the outcome; shared with `npm run inbox -- reply messages <id>`. */
export async function sendMessage(api: OwnerApi, body: Record<string, unknown>, json: boolean, out: (line: string) => void): Promise<void> {
  const answer = await api.call<OutboxSendAnswer | Problem>("POST", "/api/outbox/messages", body, ANSWERS);
  if (answer.status === 201 || answer.status === 202) {
    const sent = answer.body as OutboxSendAnswer;
    out(json ? terminalSafeJson(sent) : oneLine(sent.detail));
    return;
  }
  const detail = (answer.body as Problem | undefined)?.detail;
  throw new CliError(`not sent: ${oneLine(detail ?? `the Worker answered ${answer.status}`)}`);
}

export function parseArgs(argv: readonly string[]) {
  const { values, positionals } = parseCommandLine(argv, {
    ...OWNER_COMMAND_OPTIONS,
  });
  if (values.help) return { help: true as const };
  const [recipient, ...words] = positionals;
  if (!recipient) throw new UsageError("say who to write to: a feed URL, a profile URL or @username");
  const text = words.join(" ");
  if (!text.trim()) throw new UsageError(`say what to write: npm run message -- ${recipient} "your message"`);
  return { help: false as const, recipient, text, json: values.json ?? false, url: values.url, token: values.token };
}

export async function main(argv: string[], out: (line: string) => void = (line) => console.log(line)): Promise<void> {
  const options = parseArgs(argv);
  if (options.help) return out(USAGE);
  const api = new OwnerApi(resolveTarget(process.cwd(), { url: options.url, token: options.token }));
  await sendMessage(api, { recipient: options.recipient, text: options.text }, options.json, out);
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run message", USAGE, main);
