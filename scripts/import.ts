/**
 * npm run import -- <feed URL or file> [--profile] [--dry-run] [--max-pages N] [--quiet]
 *
 * Moving in (spec "Obligation of the new Service": "prompt the user for a link to their old feed and
 * copy it over"): reads the whole chain of an Open Microblog feed (next_node), or a plain RSS 2.0 /
 * Atom feed (RFC 5005 prev-archive where present), in any encoding XML allows, and writes one post
 * file per item (lib/move/import-plan.ts says how), appends the follows and blocks lists to
 * site/_data/{follows,blocks}.yaml, and prints the profile it found; --profile writes that into
 * profile.yaml, comments kept.
 *
 * What could be read, and only that: the site must build before (every post with its id), the chain
 * is read page by page (bounded: IMPORT_LIMITS, plain counts and byte caps), what was read is
 * converted in memory, the site must build with the result, and only then are the files written --
 * into a staging folder first, then moved into posts/ one rename each. When the head page cannot be
 * read (no such feed, not a feed, a page over the size cap) nothing is imported: one line on stderr,
 * posts/ exactly as it was. When a later page cannot be read (unreachable, a loop, --max-pages, a
 * cap), the pages before it are imported and the command says exactly what was not read and the
 * command that continues from there. Running it again imports only what is new (a file's name
 * carries a hash of the item's identity); no file is overwritten. Fetching goes through the same
 * guard and caps as everything that reads strangers' feeds.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isMap, isSeq, parseDocument, stringify } from "yaml";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { oneLine } from "../lib/cli/output.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { readTargetFeeds, resolveAtomTargets } from "../lib/move/atom-targets.ts";
import { quotedPart } from "../lib/move/html-to-markdown.ts";
import { type ImportPlan, type ImportSource, planImport, verifyPlan } from "../lib/move/import-plan.ts";
import { chainFailure, IMPORT_LIMITS, missingPart, readFeedChain, readList } from "../lib/move/read-chain.ts";
import { buildSite, type FileSource, SiteBuildError, type SiteModel } from "../lib/publish/site.ts";
import { type ListEntry, profile as profileSchema } from "../lib/publish/site-schemas.ts";
import { Budget } from "../lib/shared/budget.ts";
import { err } from "../lib/shared/result.ts";
import { describeIssues } from "../lib/shared/schemas.ts";
import { optionsFromEnv, readSiteSources, SOURCE_PATHS } from "../lib/site-build/site-source.ts";
import { createPageLoader } from "../lib/validate/page-loader.ts";
import { isLoopbackUrl, readLocalFile, relativeLabel, startUrl } from "./validate.ts";

export const USAGE = `Usage: npm run import -- <feed URL or file> [--profile] [--dry-run] [--max-pages N] [--max-items N] [--quiet]

  Imports your old feed: every post of an Open Microblog feed (all its pages), or of a plain RSS 2.0
  or Atom feed, into ${SOURCE_PATHS.posts}/, and the follows and blocks lists into site/_data/. Prints the
  profile found in the feed.

  --profile       also write the profile found (username, user_id, name, bio, pictures, language)
                  into ${SOURCE_PATHS.profile}, comments kept
  --dry-run       read and check everything, write nothing
  --max-pages N   pages read per chain at most (default 20000); the rest is left for another run
  --max-items N   items read at most (default and most ${IMPORT_LIMITS.maxItems}); the rest is left for another run
  --quiet         no progress lines on stderr

  Run it again at any time: only what is new is imported, and no file is ever overwritten. When a
  page cannot be read, the pages before it are imported and the command names the page to continue
  from. One run reads at most ${IMPORT_LIMITS.maxItems.toLocaleString("en-US")} items (${IMPORT_LIMITS.maxItemBytes / 1024 / 1024} MiB of text, ${IMPORT_LIMITS.maxBytesRead / 1024 / 1024 / 1024} GiB fetched).`;

const FORMAT_NAMES = { "open-microblog": "an Open Microblog feed", rss: "an RSS 2.0 feed", atom: "an Atom feed" } as const;

/** site/_data/<list>.yaml with entries appended after everything that is there (comments and all). */
export function appendListEntries(text: string | undefined, entries: readonly ListEntry[], header: string): string {
  const block = stringify(
    entries.map((entry) => ({ user_id: entry.user_id, username: entry.username, user_link: entry.user_link })),
    { lineWidth: 0 },
  );
  if (text === undefined || text.trim() === "") return `${header}${block}`;
  const doc = parseDocument(text);
  if (doc.contents === null || (isSeq(doc.contents) && !doc.contents.flow)) {
    return `${text}${text.endsWith("\n") ? "" : "\n"}${block}`;
  }
  if (isSeq(doc.contents)) {
    // A flow list ("[]" or "[{...}]"): through the document model, which keeps the comments around it.
    const list = doc.toJS() as unknown[];
    (doc as { contents: unknown }).contents = doc.createNode([
      ...list,
      ...entries.map((entry) => ({ user_id: entry.user_id, username: entry.username, user_link: entry.user_link })),
    ]);
    return doc.toString({ lineWidth: 0 });
  }
  throw new CliError(`cannot add to a list file that is not a YAML list`);
}

function profileWithFields(text: string, plan: ImportPlan): { text: string; written: string[] } {
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) throw new CliError(`${SOURCE_PATHS.profile} is not a YAML mapping; nothing was imported`);
  const written: string[] = [];
  for (const field of plan.profile) {
    if (field.problem) continue;
    doc.set(field.field, field.value);
    written.push(field.field);
  }
  const result = doc.toString({ lineWidth: 0 });
  const checked = profileSchema.safeParse(parseDocument(result).toJS());
  if (!checked.success) throw new CliError(`the profile found would not be valid (${describeIssues(checked.error.issues).join("; ")}); nothing was imported`);
  return { text: result, written };
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.import-${process.pid}`);
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

const count = (n: number, word: string, plural = `${word}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? word : plural}`;

function listed(lines: string[], title: string, entries: readonly { where: string; reason: string }[], max = 40): void {
  if (!entries.length) return;
  lines.push(title);
  for (const entry of entries.slice(0, max)) lines.push(`  ${oneLine(entry.where)}: ${oneLine(entry.reason)}`);
  if (entries.length > max) lines.push(`  ... and ${entries.length - max} more`);
}

export function summaryLines(input: {
  start: string;
  source: ImportSource;
  pages: number;
  plan: ImportPlan;
  dryRun: boolean;
  profileWritten?: string[];
  /** The chain was not read to its end. */
  missing?: { reason: string; resumeAt?: string };
}): string[] {
  const { plan, source } = input;
  const verb = input.dryRun ? "would be" : "";
  const kept = plan.posts.filter((post) => post.keptGuid).length;
  const lines = [`Read ${count(input.pages, "page")} of ${input.start} (${FORMAT_NAMES[source.format]}, ${count(source.items.length, "item")}).`];
  lines.push(
    `Posts: ${count(plan.posts.length, "post")} ${verb ? `${verb} ` : ""}imported into ${SOURCE_PATHS.posts}/ (${kept} kept the old guid as id, ${plan.posts.length - kept} got the next free id), ${plan.already} already imported, ${plan.skipped.length} skipped.`,
  );
  for (const kind of ["follows", "blocks"] as const) {
    const list = plan[kind];
    if (!list) continue;
    const file = SOURCE_PATHS[kind];
    if (list.failed) lines.push(`${kind === "follows" ? "Follows" : "Blocks"}: not imported: ${oneLine(list.failed)}`);
    else
      lines.push(
        `${kind === "follows" ? "Follows" : "Blocks"}: ${count(list.add.length, "account")} ${verb ? `${verb} ` : ""}added to ${file}, ${list.already} already there, ${list.skipped.length} skipped.`,
      );
  }
  listed(lines, "Skipped:", [...plan.skipped, ...(plan.follows?.skipped ?? []), ...(plan.blocks?.skipped ?? [])]);
  listed(lines, "Imported with something left out:", plan.notes);
  if (plan.profile.length) {
    lines.push("", input.profileWritten ? `Profile written into ${SOURCE_PATHS.profile}:` : "Profile found in the old feed:");
    for (const field of plan.profile)
      lines.push(`  ${field.field.padEnd(10)} ${oneLine(field.value)}${field.problem ? `  (not usable here: ${oneLine(field.problem)})` : ""}`);
    if (plan.profile.some((f) => f.field === "portrait" || f.field === "header")) {
      lines.push("  (pictures stay on the old service: copy them into site/assets/ and point portrait/header at /assets/... before it goes)");
    }
    if (!input.profileWritten) lines.push(`To adopt it: npm run import -- ${input.start} --profile`);
  }
  if (source.profile.relocate) lines.push(`Note: the old feed already says it moved to ${oneLine(source.profile.relocate)}.`);
  if (input.missing) {
    lines.push("", `Not read: ${oneLine(input.missing.reason)}. The ${count(input.pages, "page")} before it ${input.dryRun ? "would be" : "are"} imported.`);
    if (input.missing.resumeAt)
      lines.push(`To import the rest: npm run import -- ${input.missing.resumeAt}   (or run the same command again; what is imported is skipped)`);
  }
  if (!input.dryRun) lines.push("", "Next: npm run build, then npm run validate -- _site");
  return lines;
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    profile: { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    "max-pages": { type: "string" },
    "max-items": { type: "string" },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1)
    throw new UsageError(positionals.length ? `unexpected ${JSON.stringify(positionals[1])}` : "give the URL or file of your old feed");
  const maxPages = values["max-pages"] === undefined ? IMPORT_LIMITS.maxPages : Number(values["max-pages"]);
  if (!Number.isInteger(maxPages) || maxPages < 1) throw new UsageError(`--max-pages must be a positive integer, got ${values["max-pages"]}`);
  const maxItems = values["max-items"] === undefined ? IMPORT_LIMITS.maxItems : Number(values["max-items"]);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > IMPORT_LIMITS.maxItems)
    throw new UsageError(`--max-items must be an integer from 1 to ${IMPORT_LIMITS.maxItems}, got ${values["max-items"]}`);
  const root = process.cwd();
  const start = startUrl(positionals[0]!, root);
  const progress = values.quiet ? undefined : (line: string) => process.stderr.write(`import: ${oneLine(line)}\n`);

  // The site as it is must build: ids are given against the ids in use, and the result is checked by the build.
  const sources = readSiteSources(root);
  const options = optionsFromEnv(process.env);
  let model: SiteModel;
  try {
    model = buildSite(sources, options);
  } catch (error) {
    if (error instanceof SiteBuildError) {
      throw new CliError(
        `nothing was imported: the site does not build as it is (fix this first; \`npm run ids\` gives old posts their ids):\n${error.errors.map((e) => `  ${e.file}: ${e.message}`).join("\n")}`,
      );
    }
    throw error;
  }

  const loader = createPageLoader({
    fetch,
    readFile: start.local ? readLocalFile : undefined,
    allowLoopback: start.local || isLoopbackUrl(start.url),
    // The feed's chain is held to maxBytesRead below, with its own message; the lists read after it get as much again.
    budget: new Budget({ subrequests: maxPages * 3 * 5, bytes: 2 * IMPORT_LIMITS.maxBytesRead, durationMs: 4 * 60 * 60_000 }, Date.now),
    maxPageBytes: IMPORT_LIMITS.maxPageBytes,
    timeoutMs: IMPORT_LIMITS.timeoutMs,
    maxRedirects: IMPORT_LIMITS.maxRedirects,
    fileLabel: relativeLabel(root),
  });
  const walked = await readFeedChain(start.url, { loader, maxPages, maxItems, ...(progress ? { progress } : {}) });
  if (walked.steps.length === 0 && walked.end.kind !== "end")
    throw new CliError(`nothing was imported: ${chainFailure(walked.end, "the feed", walked.steps.length)}`);
  const missing = walked.end.kind === "end" ? undefined : missingPart({ steps: walked.steps, end: walked.end }, "the feed");
  const head = walked.steps[0]!;
  const source: ImportSource = { format: head.value.format, profile: head.value.profile, items: walked.steps.flatMap((step) => step.value.items) };
  // Atom names what an entry answers or quotes by its feed: read those feeds' head pages to identify the items.
  if (source.format === "atom") source.items = resolveAtomTargets(source.items, await readTargetFeeds(source.items, loader, progress), quotedPart);
  for (const kind of ["follows", "blocks"] as const) {
    const link = head.value[kind];
    if (!link) continue;
    let url: string;
    try {
      url = new URL(link, head.page.url).href;
    } catch {
      source[kind] = err(`its URL "${link}" cannot be read`);
      continue;
    }
    source[kind] = await readList(url, loader, maxPages, progress);
  }

  const names = new Set(existsSync(path.join(root, SOURCE_PATHS.posts)) ? readdirSync(path.join(root, SOURCE_PATHS.posts)) : []);
  let plan = planImport(source, { posts: model.posts, names, language: model.profile.language, follows: model.follows, blocks: model.blocks });

  // The files as they will be after the import, checked with the posts by the build before anything is written.
  const changed: { follows?: FileSource; blocks?: FileSource; profile?: FileSource } = {};
  const encoder = new TextEncoder();
  const texts: { file: string; text: string }[] = [];
  for (const kind of ["follows", "blocks"] as const) {
    const list = plan[kind];
    if (!list?.add.length) continue;
    const file = SOURCE_PATHS[kind];
    const current = sources[kind] ? new TextDecoder().decode(sources[kind]!.bytes) : undefined;
    const header = `# Accounts you ${kind === "follows" ? "follow" : "block"}; entries below were imported by npm run import. Add new ones at the END.\n`;
    const text = appendListEntries(current, list.add, header);
    changed[kind] = { file, bytes: encoder.encode(text) };
    texts.push({ file, text });
  }
  let profileWritten: string[] | undefined;
  if (values.profile && plan.profile.some((field) => !field.problem)) {
    const updated = profileWithFields(new TextDecoder().decode(sources.profile.bytes), plan);
    changed.profile = { file: SOURCE_PATHS.profile, bytes: encoder.encode(updated.text) };
    texts.push({ file: SOURCE_PATHS.profile, text: updated.text });
    profileWritten = updated.written;
  }
  try {
    plan = verifyPlan(plan, sources, changed, options);
  } catch (error) {
    if (error instanceof SiteBuildError)
      throw new CliError(`nothing was imported: the site would not build with it: ${oneLine(error.errors.map((e) => `${e.file}: ${e.message}`).join("; "))}`);
    throw error;
  }

  const lines = summaryLines({
    start: positionals[0]!,
    source,
    pages: walked.steps.length,
    plan,
    dryRun: values["dry-run"],
    ...(profileWritten ? { profileWritten } : {}),
    ...(missing ? { missing } : {}),
  });
  if (values["dry-run"]) console.log(["Dry run: nothing was written.", ...lines].join("\n"));
  else {
    applyPlan(root, plan, texts);
    console.log(lines.join("\n"));
  }
  // Reading fewer pages was asked for (--max-pages): done. Anything else left unread is a failure to say.
  const asked = walked.end.kind === "too-many-pages" && values["max-pages"] !== undefined;
  if (missing && !asked)
    throw new CliError(`not everything was imported: ${missing.reason}${missing.resumeAt ? ` (the rest: npm run import -- ${missing.resumeAt})` : ""}`);
}

/** Write the planned posts into a staging folder, then move each into posts/ (undone if one move fails), then the YAML files. */
function applyPlan(root: string, plan: ImportPlan, texts: readonly { file: string; text: string }[]): void {
  const postsDir = path.join(root, SOURCE_PATHS.posts);
  mkdirSync(postsDir, { recursive: true });
  const staging = path.join(postsDir, `.import-staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  const moved: string[] = [];
  try {
    for (const post of plan.posts) writeFileSync(path.join(staging, post.name), post.text);
    for (const post of plan.posts) {
      const target = path.join(postsDir, post.name);
      if (existsSync(target)) throw new CliError(`posts/${post.name} appeared while importing; nothing was imported`);
      renameSync(path.join(staging, post.name), target);
      moved.push(target);
    }
    for (const { file, text } of texts) writeAtomically(path.join(root, file), text);
  } catch (error) {
    for (const file of moved) rmSync(file, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(`nothing was imported: writing the files failed (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run import", USAGE, main);
