/**
 * npm run keys [-- show | rotate | prune] [--json]
 * The site's signing keys (docs/signing.md): which are published, rotate to a new pair with a grace
 * period for the old one, drop keys whose grace period is over.
 */

import { readDevVar } from "../lib/cli/dev-vars.ts";
import { isEntryPoint } from "../lib/cli/entry-point.ts";
import { parseCommandLine, runCommand, UsageError } from "../lib/cli/run.ts";
import { ensureSigningKey, pruneSigningKeys, publicKeyOf, publishedKeys, rotateSigningKey, SIGNING_KEY_VAR } from "../lib/cli/signing-keys.ts";
import { ROTATION_GRACE_DAYS } from "../lib/shared/signing-keys.ts";

export const USAGE = `Usage: npm run keys [-- show | rotate | prune] [--json]

  show     the signing keys site/_data/profile.yaml publishes on the head feed, and which one the
           local secret (SIGNING_KEY in .dev.vars) signs with (the default)
  rotate   a new key pair: the new public key is published, the current one stays published for
           ${ROTATION_GRACE_DAYS} days (receivers that cached it still verify), SIGNING_KEY in .dev.vars is
           replaced. Then build and deploy, and give the deployed Worker the new secret:
             npx wrangler secret put ${SIGNING_KEY_VAR} < <(grep ^${SIGNING_KEY_VAR}= .dev.vars | cut -d= -f2)
  prune    drop published keys whose grace period is over
  --json   print JSON instead of a table`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) return void console.log(USAGE);
  const [action = "show", ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected ${JSON.stringify(rest[0])}`);
  const root = process.cwd();
  const now = Date.now();
  if (action === "rotate") {
    if (!readDevVar(root, SIGNING_KEY_VAR)) ensureSigningKey(root);
    const { publicKey, retiring } = rotateSigningKey(root, now);
    if (values.json) return void console.log(JSON.stringify({ key: publicKey, retiring }, null, 2));
    console.log(`New signing key ${publicKey} published in site/_data/profile.yaml; ${SIGNING_KEY_VAR} in .dev.vars replaced.`);
    for (const entry of retiring) console.log(`Still published until ${entry.until}: ${entry.key}`);
    console.log(`Next: build and deploy, then: npx wrangler secret put ${SIGNING_KEY_VAR}  (paste the value from .dev.vars)`);
    return;
  }
  if (action === "prune") {
    const dropped = pruneSigningKeys(root, now);
    if (values.json) return void console.log(JSON.stringify({ dropped }, null, 2));
    console.log(dropped.length ? `Dropped ${dropped.length} expired key(s); build and deploy to unpublish them.` : "No key's grace period is over.");
    return;
  }
  if (action !== "show") throw new UsageError(`unknown action ${JSON.stringify(action)}`);
  const secret = readDevVar(root, SIGNING_KEY_VAR);
  const signing = secret ? publicKeyOf(secret) : undefined;
  const keys = publishedKeys(root).map((entry) => ({ ...entry, signs: entry.key === signing }));
  if (values.json) return void console.log(JSON.stringify({ keys, local_secret: signing ?? null }, null, 2));
  if (!keys.length) return void console.log("No signing key yet: run `npm run init` (or `npm run keys -- rotate`).");
  for (const entry of keys) console.log(`${entry.key}  ${entry.until ? `until ${entry.until}` : "current"}${entry.signs ? "  (SIGNING_KEY)" : ""}`);
  if (!signing) console.log(`No ${SIGNING_KEY_VAR} in .dev.vars: this machine does not sign.`);
}

if (isEntryPoint(import.meta.url)) await runCommand("npm run keys", USAGE, main);
