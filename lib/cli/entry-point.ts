import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Is the module at `moduleUrl` the program being run (not imported by a test)? Compared as real paths:
 * a file URL percent-encodes spaces, so comparing it with process.argv[1] fails in such folders.
 */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === fileURLToPath(moduleUrl);
  } catch {
    return false;
  }
}
