/**
 * npm run init [-- --username ada --name "Ada L." --url https://ada.example]
 * Makes the example site yours: a fresh user_id (a UUID that identifies you for good), optional
 * username / full name / URL, and a local owner token in .dev.vars. Comments in profile.yaml are kept.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { profile as profileSchema } from "../lib/publish/site-schemas.ts";
import { describeIssues } from "../lib/shared/schemas.ts";
import { ensureOwnerToken } from "./cli/dev-vars.ts";
import { SOURCE_PATHS } from "./cli/site-source.ts";

const EXAMPLE_USER_ID = "8d3c6f0e-2b1a-4e57-9c4d-1f6a2e9b7c30";

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = args.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (!value || value.startsWith("--")) {
    console.error(`npm run init: --${name} needs a value`);
    process.exit(2);
  }
  return value;
};

const file = SOURCE_PATHS.profile;
const doc = parseDocument(readFileSync(file, "utf8"));
const changes: string[] = [];
const currentId = String(doc.get("user_id") ?? "");
if (currentId === EXAMPLE_USER_ID || !currentId || args.includes("--new-id")) {
  const id = randomUUID();
  doc.set("user_id", id);
  changes.push(`user_id: ${id}`);
}
for (const [flag, field] of [
  ["username", "username"],
  ["name", "full_name"],
  ["url", "url"],
] as const) {
  const value = option(flag);
  if (value !== undefined) {
    doc.set(field, value);
    changes.push(`${field}: ${value}`);
  }
}
const checked = profileSchema.safeParse(doc.toJS());
if (!checked.success) {
  console.error(
    `npm run init: ${file} would not be valid, nothing changed:\n${describeIssues(checked.error.issues)
      .map((m) => `  ${m}`)
      .join("\n")}`,
  );
  process.exit(1);
}
if (changes.length) {
  writeFileSync(file, doc.toString());
  console.log(`Updated ${file}:\n${changes.map((c) => `  ${c}`).join("\n")}`);
} else {
  console.log(`${file} already has your own user_id (use --new-id to replace it).`);
}
const { created } = ensureOwnerToken(process.cwd());
console.log(created ? "Created .dev.vars with a local OWNER_TOKEN for the inbox owner API." : ".dev.vars already has an OWNER_TOKEN.");
console.log('Next: edit the rest of site/_data/profile.yaml, write a post with `npm run new -- "Hello"`, then `npm start`.');
