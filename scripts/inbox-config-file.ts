/**
 * The functions' view of the site (lib/shared/site-config.ts), as the JSON file they bundle. Written by every
 * build; tests and type checks of a fresh checkout create it from the sources when it is missing.
 * Kept apart from scripts/build.ts so reading this path does not load Eleventy.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { inboxConfigFromSite, type SiteFacts } from "../lib/shared/site-config.ts";
import { loadSiteModel } from "./site-source.ts";

export const INBOX_CONFIG_PATH = "functions/_generated/inbox-config.json";

export function writeInboxConfig(root: string, site: SiteFacts): void {
  const file = path.join(root, INBOX_CONFIG_PATH);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(inboxConfigFromSite(site), null, 1)}\n`);
}

/** Write it from the project's sources unless a build already did. */
export function ensureInboxConfig(root: string): void {
  if (!existsSync(path.join(root, INBOX_CONFIG_PATH))) writeInboxConfig(root, loadSiteModel(root));
}
