/**
 * npm run new -- "Your post text" [--language fr]
 * Creates posts/<date>-<slug>.md with today's date (UTC) and the next free id, checked like the build
 * checks every post.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { assignGuids, nextGuid } from "../lib/publish/guids.ts";
import { newPostFile } from "../lib/publish/new-post.ts";
import { type ParsedPost, parsePost } from "../lib/publish/posts.ts";
import { languageTag } from "../lib/publish/site-schemas.ts";
import { describeIssues } from "../lib/shared/schemas.ts";
import { SOURCE_PATHS } from "./cli/site-source.ts";

function usage(message?: string): never {
  if (message) console.error(`npm run new: ${message}`);
  console.error('Usage: npm run new -- "Your post text" [--language fr]');
  process.exit(2);
}

const args = process.argv.slice(2);
let language: string | undefined;
const words: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string;
  if (arg === "--language" || arg === "--lang") {
    language = args[++i];
    if (!language) usage("--language needs a language tag, e.g. fr");
    const checked = languageTag.safeParse(language);
    if (!checked.success) usage(`--language ${describeIssues(checked.error.issues).join("; ")}`);
  } else if (arg === "--help" || arg === "-h") usage();
  else words.push(arg);
}
const text = words.join(" ").trim();
if (!text) usage("write the post text in quotes");

const postsDir = path.resolve(SOURCE_PATHS.posts);
mkdirSync(postsDir, { recursive: true });
const existing = readdirSync(postsDir).filter((name) => name.endsWith(".md"));
const parsed: ParsedPost[] = [];
let unreadable = 0;
for (const name of existing) {
  const result = parsePost({ file: `${SOURCE_PATHS.posts}/${name}`, bytes: readFileSync(path.join(postsDir, name)) });
  if (result.ok) parsed.push(result.value);
  else unreadable++;
}
const { posts } = assignGuids(parsed);
const id = nextGuid(posts);

const file = newPostFile({ text, now: Date.now(), id, ...(language ? { language } : {}) }, (name) => existsSync(path.join(postsDir, name)));
const check = parsePost({ file: `${SOURCE_PATHS.posts}/${file.name}`, bytes: new TextEncoder().encode(file.content) });
if (!check.ok) {
  console.error(`npm run new: not created, the post would not build:\n${check.error.map((e) => `  ${e.message}`).join("\n")}`);
  process.exit(1);
}
writeFileSync(path.join(postsDir, file.name), file.content);
console.log(`Created ${SOURCE_PATHS.posts}/${file.name} (id ${id}).`);
if (unreadable) console.log(`Note: ${unreadable} existing post(s) have errors; \`npm run build\` lists them.`);
console.log("Run `npm run build` (or keep `npm start` running) to publish it.");
