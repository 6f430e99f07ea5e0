/**
 * npm run new -- "Your post text" [--language fr]
 * npm run new -- --reply-to <their item> "Your reply"
 * npm run new -- --repost <their item> ["Your comment"]
 * Creates posts/<date>-<slug>.md with today's date (UTC) and the next free id, checked like the build
 * checks every post. A reply or a repost names their item (lib/cli/their-item.ts) and gets its
 * reply_to / repost front matter filled from the timeline store or their feed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { resolveTarget } from "../lib/cli/local-server.ts";
import { OwnerApi } from "../lib/cli/owner-api.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { type ItemName, parseItemName, resolveItem } from "../lib/cli/their-item.ts";
import { assignGuids, nextGuid } from "../lib/publish/guids.ts";
import { type ParsedPost, parsePost } from "../lib/publish/posts.ts";
import { type PostDraft, postDraft, postFile } from "../lib/shared/post-file.ts";
import { describeIssues, languageTag } from "../lib/shared/schemas.ts";
import { SOURCE_PATHS } from "../lib/site-build/site-source.ts";

export const USAGE = `Usage: npm run new -- "Your post text" [--language fr]
       npm run new -- --reply-to <their item> "Your reply"
       npm run new -- --repost <their item> ["Your comment"]

  Creates posts/<today>-<slug>.md with the date (UTC) and the next free id, checked as the build
  checks every post. Edit it like any markdown file; npm start publishes it at once.

  --language TAG     the post's language when it differs from your profile's (fr, pt-BR, ...)
  --reply-to ITEM    a reply: fills reply_to from their item
  --repost ITEM      a repost (their words quoted, their date), with your comment if you write one

  <their item> is one of:
    42                                  a timeline id (npm run timeline -- --json), read from the
                                        running site (npm start, or --url and --token)
    https://them.example/posts/7/       their post's permalink, looked up in your timeline
    https://them.example/feed.xml#7     their feed URL, "#", their item's guid: read from their feed

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

interface Answering {
  kind: "reply" | "repost";
  name: ItemName;
}

function answering(values: { "reply-to"?: string | undefined; repost?: string | undefined }): Answering | undefined {
  if (values["reply-to"] !== undefined && values.repost !== undefined) throw new UsageError("a post can be a reply or a repost, not both");
  if (values["reply-to"] !== undefined) return { kind: "reply", name: parseItemName(unmarkText(values["reply-to"]), "--reply-to") };
  if (values.repost !== undefined) return { kind: "repost", name: parseItemName(unmarkText(values.repost), "--repost") };
  return undefined;
}

/** The draft's reply_to or repost, from their item (the timeline store or their feed). */
async function answerRef(answer: Answering, target: { url?: string | undefined; token?: string | undefined }): Promise<Partial<PostDraft>> {
  const item = await resolveItem(answer.name, () => new OwnerApi(resolveTarget(process.cwd(), target)));
  const { pubdate, text, ...ref } = item;
  if (answer.kind === "reply") return { reply_to: ref };
  if (pubdate === undefined) throw new CliError(`their item ${ref.status_id} has no date to quote (spec "Reposts" needs reposted_status_pubdate)`);
  if (!text.trim()) throw new CliError(`their item ${ref.status_id} has no text to quote`);
  return { repost: { ...ref, pubdate, text } };
}

/** Writes the draft as the next post; returns its file name and id. */
function writePost(draft: PostDraft): { name: string; id: number; unreadable: number } {
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
  const checked = postDraft.safeParse(draft);
  if (!checked.success) throw new CliError(`not created: ${describeIssues(checked.error.issues).join("; ")}`);
  const file = postFile(draft, { now: Date.now(), id }, (name) => existsSync(path.join(postsDir, name)));
  const check = parsePost({ file: `${SOURCE_PATHS.posts}/${file.name}`, bytes: new TextEncoder().encode(file.content) });
  if (!check.ok) throw new CliError(`not created, the post would not build: ${check.error.map((e) => e.message).join("; ")}`);
  writeFileSync(path.join(postsDir, file.name), file.content);
  return { name: file.name, id, unreadable };
}

export async function main(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(argv.map(markText), {
    language: { type: "string" },
    lang: { type: "string" },
    "reply-to": { type: "string" },
    repost: { type: "string" },
    url: { type: "string" },
    token: { type: "string" },
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
  const answer = answering(values);
  const text = positionals.join(" ").trim();
  if (!text && answer?.kind !== "repost") throw new UsageError(answer ? "write the reply text in quotes" : "write the post text in quotes");

  const draft: PostDraft = { text, ...(language ? { language } : {}) };
  if (answer) Object.assign(draft, await answerRef(answer, { url: values.url, token: values.token }));
  const written = writePost(draft);
  console.log(`Created ${SOURCE_PATHS.posts}/${written.name} (id ${written.id}).`);
  if (written.unreadable) console.log(`Note: ${written.unreadable} existing post(s) have errors; \`npm run build\` lists them.`);
  console.log("Run `npm run build` (or keep `npm start` running) to publish it.");
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run new", USAGE, main);
