/**
 * npm run ids [-- --dry-run]: write `id: N` into every post that has none, once, so that no guid can
 * ever move (lib/publish/guids.ts says why every post needs its id in its file). Each post gets the
 * guid it is published with today (its place in date order under Skein's earlier automatic
 * numbering), or the next free id when that number is another post's explicit id. The build names
 * the same id for each such post.
 *
 * Every post is read and checked first; nothing is written unless every post file builds and every
 * edited file reads back with the same date and text plus the new id. Each file is replaced
 * atomically (a temporary file renamed over it).
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { oneLine } from "../lib/cli/output.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { idsForPostsWithoutId, type MissingId, withIdInFrontMatter } from "../lib/publish/guids.ts";
import { type ParsedPost, parsePost } from "../lib/publish/posts.ts";
import { SOURCE_PATHS } from "../lib/site-build/site-source.ts";

export const USAGE = `Usage: npm run ids [-- --dry-run]

  Writes \`id: N\` into every post in ${SOURCE_PATHS.posts}/ that has none: the guid the post is
  published with today, so nothing that is already published moves. Run it once; \`npm run new\`
  and \`npm run import\` write ids themselves.

  --dry-run   only print which id each post would get`;

export interface IdsPlan {
  /** The posts that get an id, with their new file text. */
  edits: (MissingId & { text: string })[];
  posts: number;
}

/** Read every post of `root` and work out each new file text; throws CliError when any post does not build. */
export function planIds(root: string): IdsPlan {
  const dir = path.join(root, SOURCE_PATHS.posts);
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith(".md"))
        .sort()
    : [];
  const texts = new Map<string, string>();
  const parsed: ParsedPost[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const file = `${SOURCE_PATHS.posts}/${name}`;
    const bytes = readFileSync(path.join(dir, name));
    const result = parsePost({ file, bytes });
    if (!result.ok) {
      problems.push(...result.error.map((e) => `  ${e.file}: ${e.message}`));
      continue;
    }
    parsed.push(result.value);
    // ignoreBOM: keep a byte order mark in the text, so the file is written back with it.
    texts.set(file, new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes));
  }
  if (problems.length) {
    // Which number a post gets depends on every other post's date and id: a post that cannot be read changes them.
    throw new CliError(`nothing was written: the ids depend on every post, and these do not build:\n${problems.join("\n")}`);
  }
  const byFile = new Map(parsed.map((post) => [post.file, post]));
  const edits = idsForPostsWithoutId(parsed).map((missing) => {
    const before = byFile.get(missing.file)!;
    const text = withIdInFrontMatter(texts.get(missing.file)!, missing.id);
    const after = text === undefined ? undefined : parsePost({ file: missing.file, bytes: new TextEncoder().encode(text) });
    if (!after?.ok || after.value.id !== missing.id || after.value.date !== before.date || after.value.html !== before.html) {
      throw new CliError(`nothing was written: could not add \`id: ${missing.id}\` to the front matter of ${missing.file}; add it by hand`);
    }
    return { ...missing, text: text! };
  });
  return { edits, posts: parsed.length };
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    "dry-run": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}`);
  const root = process.cwd();
  const plan = planIds(root);
  if (plan.edits.length === 0) {
    console.log(`Every post in ${SOURCE_PATHS.posts}/ has an id (${plan.posts} post${plan.posts === 1 ? "" : "s"}): nothing to write.`);
    return;
  }
  const dryRun = values["dry-run"];
  console.log(`${dryRun ? "Would write" : "Writing"} ids into ${plan.edits.length} of ${plan.posts} posts:`);
  for (const edit of plan.edits) {
    console.log(`  ${oneLine(edit.file)}: id: ${edit.id}${edit.kind === "current" ? "" : " (the next free id: its old number is another post's id)"}`);
  }
  if (dryRun) return;
  for (const edit of plan.edits) {
    const target = path.join(root, edit.file);
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.ids-${process.pid}`);
    writeFileSync(temporary, edit.text);
    renameSync(temporary, target);
  }
  console.log("Done. Commit these files: every post now keeps its guid, whatever you add later.");
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run ids", USAGE, main);
