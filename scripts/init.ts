/**
 * npm run init [-- --username ada --name "Ada L." --url https://ada.example] [--new-id]
 * Makes the example site yours: a fresh user_id (a UUID that identifies you for good), optional
 * username / full name / URL, and a local owner token in .dev.vars. Comments in profile.yaml are kept.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ensureOwnerToken } from "../lib/cli/dev-vars.ts";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { CliError, parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { ensureSigningKey, readProfile } from "../lib/cli/signing-keys.ts";
import { profile as profileSchema } from "../lib/publish/site-schemas.ts";
import { describeIssues } from "../lib/shared/schemas.ts";
import { SOURCE_PATHS } from "../lib/site-build/site-source.ts";

const EXAMPLE_USER_ID = "8d3c6f0e-2b1a-4e57-9c4d-1f6a2e9b7c30";

export const USAGE = `Usage: npm run init [-- --username NAME] [--name "Full Name"] [--url https://you.example] [--new-id]

  Makes the example site yours: writes a fresh user_id into site/_data/profile.yaml (only while it
  is still the example's, or with --new-id), the fields given below, a local OWNER_TOKEN into
  .dev.vars, and a signing key pair (SIGNING_KEY in .dev.vars, the public key in the profile). Comments in profile.yaml are kept; nothing is written if the profile would not build.

  --username NAME   1-25 letters, digits or underscores
  --name TEXT       your full name (full_name)
  --url URL         where the site is served from
  --new-id          replace the user_id even if it is already yours (never once people follow you)`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    username: { type: "string" },
    name: { type: "string" },
    url: { type: "string" },
    "new-id": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return void console.log(USAGE);
  if (positionals.length) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}`);

  const root = process.cwd();
  const file = SOURCE_PATHS.profile;
  const doc = readProfile(root);
  const changes: string[] = [];
  const currentId = String(doc.get("user_id") ?? "");
  if (currentId === EXAMPLE_USER_ID || !currentId || values["new-id"]) {
    const id = randomUUID();
    doc.set("user_id", id);
    changes.push(`user_id: ${id}`);
  }
  for (const [flag, field] of [
    ["username", "username"],
    ["name", "full_name"],
    ["url", "url"],
  ] as const) {
    const value = values[flag];
    if (value !== undefined) {
      doc.set(field, value);
      changes.push(`${field}: ${value}`);
    }
  }
  const checked = profileSchema.safeParse(doc.toJS());
  if (!checked.success) {
    throw new CliError(`${file} would not be valid, nothing changed: ${describeIssues(checked.error.issues).join("; ")}`);
  }
  if (changes.length) {
    writeFileSync(path.join(root, file), doc.toString());
    console.log(`Updated ${file}:\n${changes.map((c) => `  ${c}`).join("\n")}`);
  } else {
    console.log(`${file} already has your own user_id (use --new-id to replace it).`);
  }
  const { created } = ensureOwnerToken(root);
  console.log(created ? "Created .dev.vars with a local OWNER_TOKEN for the inbox owner API." : ".dev.vars already has an OWNER_TOKEN.");
  const signing = ensureSigningKey(root);
  console.log(
    signing.created
      ? `Created a signing key: SIGNING_KEY in .dev.vars (secret), its public half in ${file} (published on the head feed; docs/signing.md).`
      : "The signing key is already set up (npm run keys -- show).",
  );
  console.log('Next: edit the rest of site/_data/profile.yaml, write a post with `npm run new -- "Hello"`, then `npm start`.');
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run init", USAGE, main);
