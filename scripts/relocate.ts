/**
 * npm run relocate -- <new feed URL> | --undo   (spec "Relocation, What happens if the user changes services?")
 *
 * Sets (or removes) `relocate` in site/_data/profile.yaml, keeping its comments. The next build puts
 * <microblog:relocate> on the head feed page only (the spec: "only ... in the most recently updated
 * page") and a notice on the profile page, and keeps publishing everything else as before. Before
 * pointing every follower at it, the new URL is read once: it must answer with an RSS / Open
 * Microblog feed (--force skips the check, e.g. when the new service is not up yet). The spec's
 * "Obligation of the old Service": keep this site published for at least 24 hours after the build
 * that carries the tag, so the new service can import it and followers' clients can see the tag.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { oneLine } from "../lib/cli/output.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { profile as profileSchema } from "../lib/publish/site-schemas.ts";
import { Budget } from "../lib/shared/budget.ts";
import { fetchFeedPage } from "../lib/shared/remote-feed-page.ts";
import { err, ok, type Result } from "../lib/shared/result.ts";
import { describeIssues } from "../lib/shared/schemas.ts";
import { normalizeUserLink, paths, siteUrls } from "../lib/shared/urls.ts";
import { SOURCE_PATHS } from "../lib/site-build/site-source.ts";

export const USAGE = `Usage: npm run relocate -- <new feed URL> [--force]
       npm run relocate -- --undo
       npm run relocate

  Points your followers at your new feed: sets \`relocate\` in ${SOURCE_PATHS.profile} (comments kept).
  After \`npm run build\` and publishing, the head feed (/feed.xml) carries <microblog:relocate> and the
  profile page says where you went. Keep this site published for at least 24 hours after that (the
  spec's "Obligation of the old Service"), so the new service can import it.

  --force   set it even though the new URL does not answer with a feed (yet)
  --undo    remove \`relocate\` (so does \`relocate: null\` in the file)
  (no argument: say whether relocate is set)`;

/** Is `url` an address on this machine (then reading it needs the loopback exception of the address guard)? */
function isLoopback(url: URL): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i.test(url.hostname);
}

/** Read the new feed once: what looks odd about it (if anything), or why it is not a readable feed. */
export async function checkNewFeed(url: string, ownUserId: string): Promise<Result<string | undefined, string>> {
  const budget = new Budget({ subrequests: 5, bytes: 4 * 1024 * 1024, durationMs: 20_000 }, Date.now);
  const page = await fetchFeedPage(url, {
    fetch,
    allowLoopback: isLoopback(new URL(url)),
    budget,
    limits: { timeoutMs: 15_000, maxBytes: 4 * 1024 * 1024 },
    stopAfter: () => true,
  });
  if (!page.ok) return err(page.error.detail);
  const channel = page.value.feed?.channel;
  if (channel?.user_id && channel.user_id !== ownUserId) {
    return ok(`the new feed says user_id ${oneLine(channel.user_id)}, not yours (${ownUserId}); followers will see a new account`);
  }
  return ok(undefined);
}

/**
 * profile.yaml with `relocate` set to `url` (or removed when undefined), edited as text so every other
 * byte -- comments, blank lines, quoting -- stays as the owner wrote it: a one-line top-level
 * `relocate:` is replaced or removed, otherwise a line is appended. Anything else (a value over
 * several lines) goes through the YAML document model, which keeps comments but may re-space them.
 * The caller checks the result by parsing it.
 */
export function withRelocate(text: string, url: string | undefined): string {
  const lines = text.split(/(?<=\n)/);
  const at = lines.findIndex((line) => /^relocate[ \t]*:/.test(line));
  const oneLine = at >= 0 && !/^[ \t]/.test(lines[at + 1] ?? "") && !/^relocate[ \t]*:[ \t]*[|>]/.test(lines[at]!);
  const eol = /\r\n$/.test(lines[0] ?? "") ? "\r\n" : "\n";
  if (at >= 0 && oneLine) {
    if (url === undefined) lines.splice(at, 1);
    else lines[at] = `relocate: ${url}${/\r?\n$/.exec(lines[at]!)?.[0] ?? ""}`;
    return lines.join("");
  }
  if (at < 0) {
    if (url === undefined) return text;
    return `${text}${text === "" || text.endsWith("\n") ? "" : eol}relocate: ${url}${eol}`;
  }
  const doc = parseDocument(text);
  if (url === undefined) doc.delete("relocate");
  else doc.set("relocate", url);
  return doc.toString();
}

function writeAtomically(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.relocate-${process.pid}`);
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** Write the edited profile only if it reads back valid with exactly the intended `relocate`. */
function writeChecked(file: string, text: string, relocate: string | undefined): void {
  const checked = profileSchema.safeParse(parseDocument(text).toJS());
  if (!checked.success || checked.data.relocate !== relocate) throw new CliError(`could not edit relocate in ${SOURCE_PATHS.profile}; edit it by hand`);
  writeAtomically(file, text);
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    undo: { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length > 1) throw new UsageError(`unexpected ${JSON.stringify(positionals[1])}`);
  if (values.undo && positionals.length) throw new UsageError("give a new feed URL or --undo, not both");
  const file = path.join(process.cwd(), SOURCE_PATHS.profile);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new CliError(`${SOURCE_PATHS.profile} is missing: run this in your Skein folder`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) throw new CliError(`${SOURCE_PATHS.profile} is not valid YAML (${doc.errors[0]!.message.split("\n")[0]}); fix it first`);
  const current = profileSchema.safeParse(doc.toJS());
  if (!current.success) {
    throw new CliError(`${SOURCE_PATHS.profile} is not valid, nothing changed: ${describeIssues(current.error.issues).join("; ")}`);
  }
  const profile = current.data;

  if (!values.undo && positionals.length === 0) {
    console.log(
      profile.relocate
        ? `relocate is set: followers are sent to ${profile.relocate}. \`npm run relocate -- --undo\` removes it.`
        : "relocate is not set: this site is your home. `npm run relocate -- <new feed URL>` points followers elsewhere.",
    );
    return;
  }

  if (values.undo) {
    if (!doc.has("relocate")) {
      console.log(`relocate is not set in ${SOURCE_PATHS.profile}: nothing to undo.`);
      return;
    }
    writeChecked(file, withRelocate(text, undefined), undefined);
    console.log(
      `Removed relocate${profile.relocate ? ` (was ${profile.relocate})` : ""} from ${SOURCE_PATHS.profile}. Run \`npm run build\` and publish: the feed no longer sends followers away.`,
    );
    return;
  }

  const target = positionals[0]!;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`the new feed must be an absolute URL such as https://new.example/feed.xml, got ${target}`);
  }
  const checked = profileSchema.safeParse({ ...(doc.toJS() as object), relocate: url.href });
  if (!checked.success) throw new UsageError(`relocate ${describeIssues(checked.error.issues).join("; ")}`);
  const own = siteUrls(profile.url);
  if (normalizeUserLink(url.href) === normalizeUserLink(`${own.base}${paths.feed}`) || normalizeUserLink(url.href) === normalizeUserLink(own.profile)) {
    throw new CliError(`${url.href} is this site itself; relocate names the feed of your NEW service`);
  }
  if (!values.force) {
    const checked = await checkNewFeed(url.href, profile.user_id);
    if (!checked.ok) throw new CliError(`nothing changed: ${oneLine(checked.error)}. Check the URL, or pass --force if the new feed is not up yet`);
    if (checked.value) console.log(`Note: ${checked.value}.`);
  }
  writeChecked(file, withRelocate(text, url.href), url.href);
  console.log(
    [
      `Set relocate: ${url.href} in ${SOURCE_PATHS.profile}.`,
      "Next: `npm run build` and publish. The head feed (/feed.xml) then carries <microblog:relocate> and the profile page a notice;",
      "archives and post pages stay as they are. Keep this site published for at least 24 hours after that (the spec's",
      '"Obligation of the old Service"): the new service imports from it, and clients move only when they see the tag.',
      "Changed your mind? `npm run relocate -- --undo`.",
    ].join("\n"),
  );
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run relocate", USAGE, main);
