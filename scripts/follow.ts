/**
 * npm run follow -- <URL> [--since DATE] [--json]: follow someone. The URL is their feed or their
 * profile page (the feed is found through <link rel="alternate" type="application/rss+xml">). The feed
 * is read from this machine to learn its user_id and username (spec "Required Channel Elements"), and
 * the account is added at the END of site/_data/follows.yaml with `since`. Nothing else changes:
 * `git push` publishes the new list (your follows feed), and the Worker's timeline poller reads it
 * from the build. Following an account you already follow at another URL updates that entry's
 * user_link only when the old feed says it moved there (spec "Relocation": <microblog:relocate>, or a
 * permanent redirect); otherwise it is refused.
 *
 * Refused, with a one-line reason and nothing written: a page or feed that is not Open Microblog, a
 * follows or blocks list feed (spec "Alternate Feed Layout"), an account already followed (at this
 * URL, or at another that did not move), one in blocks.yaml, your own feed.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { checkMove, type DiscoveredFeed, discoverFeed } from "../lib/cli/follows-discover.ts";
import { addFollow, type FollowEdit, followedElsewhere } from "../lib/cli/follows-file.ts";
import { oneLine, terminalSafeJson } from "../lib/cli/output.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { parseIsoDateTime } from "../lib/shared/dates.ts";
import { normalizeUserLink } from "../lib/shared/urls.ts";
import { SOURCE_PATHS } from "../lib/site-build/site-source.ts";

export const USAGE = `Usage: npm run follow -- <URL> [--since DATE] [--json]

  <URL>         their feed (https://bob.example/feed.xml) or profile page (https://bob.example/)
  --since DATE  when you followed them, ISO 8601 with a zone (default: now)
  --json        print what was done as JSON

  Adds them at the end of ${SOURCE_PATHS.follows}; publish it with git push. Following someone
  you already follow at a new URL updates their entry when their old feed says they moved there
  (<microblog:relocate> or a permanent redirect).`;

/** Our own identity, to refuse following ourselves. */
function ownIdentity(root: string): { user_id?: string; link?: string } {
  const file = path.join(root, SOURCE_PATHS.profile);
  if (!existsSync(file)) return {};
  try {
    const profile = parse(readFileSync(file, "utf8")) as { user_id?: unknown; url?: unknown };
    const own: { user_id?: string; link?: string } = {};
    if (typeof profile?.user_id === "string") own.user_id = profile.user_id;
    const link = typeof profile?.url === "string" ? normalizeUserLink(`${profile.url.replace(/\/+$/, "")}/feed.xml`) : undefined;
    if (link) own.link = link;
    return own;
  } catch {
    return {};
  }
}

function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function describeEdit(feed: DiscoveredFeed, edit: FollowEdit): string {
  const who = `@${oneLine(feed.username)}${feed.name ? ` (${oneLine(feed.name)})` : ""}`;
  if (edit.action === "updated") {
    return `Updated ${who} in ${SOURCE_PATHS.follows} (entry ${edit.index + 1}): user_link ${oneLine(edit.previousLink)} -> ${feed.url}. Publish it: commit and git push.`;
  }
  return `Following ${who} at ${feed.url}: added to ${SOURCE_PATHS.follows} (entry ${edit.index + 1}). Publish it: commit and git push (npm start picks it up now).`;
}

/**
 * When this account is followed at another URL: that URL, if its feed says the account moved here
 * (on the way to this feed, or read now); otherwise a refusal saying why. Undefined for a new account.
 */
async function confirmedMove(root: string, feed: DiscoveredFeed): Promise<string | undefined> {
  const elsewhere = followedElsewhere(root, { user_id: feed.user_id, user_link: feed.url });
  if (!elsewhere) return undefined;
  const oldLink = normalizeUserLink(elsewhere.user_link) ?? elsewhere.user_link;
  if (feed.movedFrom.includes(oldLink)) return elsewhere.user_link;
  const checked = await checkMove(elsewhere.user_link, feed.url);
  if (checked.ok) {
    feed.notes.push(checked.value);
    return elsewhere.user_link;
  }
  throw new CliError(
    `you already follow @${oneLine(elsewhere.username)} (user_id ${oneLine(elsewhere.user_id)}) at ${oneLine(elsewhere.user_link)} (${SOURCE_PATHS.follows} entry ${elsewhere.index + 1}), and that feed does not say it moved: ${oneLine(checked.error)}. Nothing changed; if they moved without saying so, unfollow the old feed first (npm run unfollow -- ${oneLine(elsewhere.user_link)})`,
  );
}

export async function main(argv: string[], root = process.cwd(), out: (line: string) => void = (line) => console.log(line)): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    since: { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return out(USAGE);
  if (positionals.length !== 1)
    throw new UsageError(positionals.length ? "give one URL" : "which feed? give its URL, e.g. npm run follow -- https://bob.example/");
  const since = values.since ?? isoNow();
  if (parseIsoDateTime(since) === undefined) throw new UsageError(`--since must be an ISO 8601 date with a zone, e.g. 2026-03-01T09:30:00Z, got ${since}`);

  const feed = await discoverFeed(positionals[0]!);
  const own = ownIdentity(root);
  if ((own.user_id && feed.user_id === own.user_id) || (own.link && normalizeUserLink(feed.url) === own.link)) {
    throw new CliError(`${feed.url} is your own feed`);
  }
  const movedFrom = await confirmedMove(root, feed);
  const edit = addFollow(root, { user_id: feed.user_id, username: feed.username, user_link: feed.url, since }, movedFrom);
  if (values.json) {
    out(
      terminalSafeJson({
        action: edit.action,
        entry: edit.index + 1,
        user_id: feed.user_id,
        username: feed.username,
        name: feed.name ?? null,
        user_link: feed.url,
        notes: feed.notes,
      }),
    );
    return;
  }
  for (const note of feed.notes) out(`  ${oneLine(note)}`);
  out(describeEdit(feed, edit));
  if (edit.action === "updated") out("  The timeline poller takes the new URL over at its next run after the build (the account's posts stay).");
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run follow", USAGE, (argv) => main(argv));
