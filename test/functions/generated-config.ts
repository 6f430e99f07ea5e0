/**
 * Vitest globalSetup (Node): make sure functions/_generated/inbox-config.json exists, so the test
 * of the real Pages entry (functions/[[path]].ts) can import it in a fresh checkout, where nothing
 * has been built yet (the file is build output and git-ignored).
 */
import { fileURLToPath } from "node:url";
import { ensureInboxConfig } from "../../scripts/inbox-config-file.ts";

export default function setup(): void {
  ensureInboxConfig(fileURLToPath(new URL("../..", import.meta.url)));
}
