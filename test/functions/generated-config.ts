/**
 * Vitest globalSetup (Node): make sure functions/_generated/inbox-config.json exists, so the test
 * of the real Pages entry (functions/[[path]].ts) can import it in a fresh checkout, where nothing
 * has been built yet (the file is build output and git-ignored). When missing, it is written from
 * this project's sources exactly as `npm run build` writes it; an existing file is left alone.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inboxConfigFromSite } from "../../lib/inbox-config.ts";
import { loadSiteModel } from "../../scripts/site-source.ts";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  // Same path as INBOX_CONFIG_PATH in scripts/build.ts (not imported: that module loads Eleventy).
  const file = path.join(root, "functions/_generated/inbox-config.json");
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(inboxConfigFromSite(loadSiteModel(root)), null, 1)}\n`);
}
