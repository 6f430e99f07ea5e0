/**
 * npm run new -- "Your post text" [--language fr]
 * Creates posts/<date>-<slug>.md with today's date (UTC) and the next free id, checked like the build
 * checks every post.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { assignGuids, nextGuid } from "../lib/publish/guids.ts";
import { type ParsedPost, parsePost } from "../lib/publish/posts.ts";
import { type PostDraft, postDraft, postFile } from "../lib/shared/post-file.ts";
import { describeIssues, languageTag } from "../lib/shared/schemas.ts";
import { SOURCE_PATHS } from "../lib/site-build/site-source.ts";

export const USAGE = `Usage: npm run new -- "Your post text" [--language fr]

  Creates posts/<today>-<slug>.md with the date (UTC) and the next free id, checked as the build
  checks every post. Edit it like any markdown file; npm start publishes it at once.

  --language TAG   the post's language when it differs from your profile's (fr, pt-BR, ...)

  A text that starts like an option ("--"): npm run new -- -- "--verbose is my new nickname"`;

/**
 * Post text may start with "-" ("-5 degrees this morning", "- a list"): only what looks like an
 * option name (-h, --language, --lang=fr, --bogus) is read as an option. Anything else that starts
 * with "-" is marked with a NUL (no command-line argument can hold one) so that parseArgs reads it
 * as text, and unmarked after.
 */
const TEXT_MARK = "\u0000";
const OPTION_LIKE = /^--?[A-Za-z]/;
const markText = (arg: string) => (arg !== "--" && arg.startsWith("-") && !OPTION_LIKE.test(arg) ? TEXT_MARK + arg : arg);
const unmarkText = (arg: string) => (arg.startsWith(TEXT_MARK) ? arg.slice(TEXT_MARK.length) : arg);

export async function main(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(argv.map(markText), {
    language: { type: "string" },
    lang: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  const values = { ...parsed.values, language: parsed.values.language ?? parsed.values.lang };
  const positionals = parsed.positionals.map(unmarkText);
  if (values.help) return void console.log(USAGE);
  const language = values.language === undefined ? undefined : unmarkText(values.language);
  if (language !== undefined) {
    const checked = languageTag.safeParse(language);
    if (!checked.success) throw new UsageError(`--language ${describeIssues(checked.error.issues).join("; ")}`);
  }
  const text = positionals.join(" ").trim();
  if (!text) throw new UsageError("write the post text in quotes");

  const root = process.cwd();
  const postsDir = path.join(root, SOURCE_PATHS.posts);
  mkdirSync(postsDir, { recursive: true });
  const existing = readdirSync(postsDir).filter((name) => name.endsWith(".md"));
  const readable: ParsedPost[] = [];
  let unreadable = 0;
  for (const name of existing) {
    const result = parsePost({ file: `${SOURCE_PATHS.posts}/${name}`, bytes: readFileSync(path.join(postsDir, name)) });
    if (result.ok) readable.push(result.value);
    else unreadable++;
  }
  const { posts } = assignGuids(readable);
  const id = nextGuid(posts);

  const draft: PostDraft = { text, ...(language ? { language } : {}) };
  const checked = postDraft.safeParse(draft);
  if (!checked.success) throw new UsageError(describeIssues(checked.error.issues).join("; "));
  const file = postFile(draft, { now: Date.now(), id }, (name) => existsSync(path.join(postsDir, name)));
  const check = parsePost({ file: `${SOURCE_PATHS.posts}/${file.name}`, bytes: new TextEncoder().encode(file.content) });
  if (!check.ok) throw new CliError(`not created, the post would not build: ${check.error.map((e) => e.message).join("; ")}`);
  writeFileSync(path.join(postsDir, file.name), file.content);
  console.log(`Created ${SOURCE_PATHS.posts}/${file.name} (id ${id}).`);
  if (unreadable) console.log(`Note: ${unreadable} existing post(s) have errors; \`npm run build\` lists them.`);
  console.log("Run `npm run build` (or keep `npm start` running) to publish it.");
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run new", USAGE, main);
