/**
 * npm run unfollow -- <URL | @username | user_id>: stop following someone. Removes their entry from
 * site/_data/follows.yaml (every other line of the file stays as it is); `git push` publishes the
 * list, and the Worker's timeline poller stops polling them at its next run after the build. Posts of
 * theirs already in your timeline stay there (blocking them in blocks.yaml removes those too).
 */
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { removeFollow } from "../lib/cli/follows-file.ts";
import { oneLine, terminalSafeJson } from "../lib/cli/output.ts";
import { parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { SOURCE_PATHS } from "../lib/site-build/site-source.ts";

export const USAGE = `Usage: npm run unfollow -- <URL | @username | user_id> [--json]

  Removes the account from ${SOURCE_PATHS.follows}; publish it with git push.`;

export async function main(argv: string[], root = process.cwd(), out: (line: string) => void = (line) => console.log(line)): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return out(USAGE);
  if (positionals.length !== 1) throw new UsageError("give one feed URL, @username or user_id");
  const removed = removeFollow(root, positionals[0]!);
  if (values.json) {
    out(terminalSafeJson({ action: "removed", entry: removed.index + 1, user_id: removed.user_id, username: removed.username, user_link: removed.user_link }));
    return;
  }
  out(
    `Unfollowed @${oneLine(removed.username)} (${oneLine(removed.user_link)}): removed from ${SOURCE_PATHS.follows}. Publish it: commit and git push. Their posts already in your timeline stay.`,
  );
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run unfollow", USAGE, (argv) => main(argv));
