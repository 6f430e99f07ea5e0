/**
 * .dev.vars holds local secrets for wrangler (never committed). Skein keeps the owner token there:
 * OWNER_TOKEN guards the owner API of the inbox locally; deployed sites use `wrangler pages secret put`.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const DEV_VARS = ".dev.vars";

export function readDevVar(root: string, name: string): string | undefined {
  const file = path.join(root, DEV_VARS);
  if (!existsSync(file)) return undefined;
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (match && match[1] === name) return (match[2] as string).replace(/^"(.*)"$/, "$1");
  }
  return undefined;
}

/** Make sure .dev.vars has `name` (a random token if not); returns it and whether it was just created. */
export function ensureDevToken(root: string, name: string): { token: string; created: boolean } {
  const existing = readDevVar(root, name);
  if (existing) return { token: existing, created: false };
  const token = randomBytes(24).toString("base64url");
  const file = path.join(root, DEV_VARS);
  const line = `${name}=${token}\n`;
  if (existsSync(file)) {
    const current = readFileSync(file, "utf8");
    appendFileSync(file, current.endsWith("\n") || current === "" ? line : `\n${line}`);
  } else {
    writeFileSync(file, `# Local secrets for wrangler (not committed). OWNER_TOKEN unlocks the inbox owner API.\n${line}`, { mode: 0o600 });
  }
  return { token, created: true };
}

/** Make sure .dev.vars has an OWNER_TOKEN; returns it and whether it was just created. */
export function ensureOwnerToken(root: string): { token: string; created: boolean } {
  return ensureDevToken(root, "OWNER_TOKEN");
}

/** Set NAME=value in .dev.vars, replacing an existing line (a rotated secret) or adding one. */
export function setDevVar(root: string, name: string, value: string): void {
  const file = path.join(root, DEV_VARS);
  const line = `${name}=${value}`;
  if (!existsSync(file)) {
    writeFileSync(file, `# Local secrets for wrangler (not committed).\n${line}\n`, { mode: 0o600 });
    return;
  }
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  const at = lines.findIndex((text) => new RegExp(`^\\s*${name}\\s*=`).test(text));
  if (at >= 0) lines[at] = line;
  else {
    if (lines.at(-1) === "") lines.pop();
    lines.push(line, "");
  }
  writeFileSync(file, lines.join("\n"), { mode: 0o600 });
}
