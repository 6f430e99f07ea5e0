/**
 * The Worker's view of the site (lib/shared/site-config.ts) as the JSON file wrangler bundles into
 * it. Written by every build (and by `npm run build -- --worker-config` alone, which is what
 * `npm run typecheck` and the tests run in a fresh checkout, where nothing has been built yet).
 * Kept apart from scripts/build.ts so reading this path does not load Eleventy.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SiteModel } from "../publish/site.ts";
import { siteConfigFromModel } from "../publish/site-config.ts";
import { loadSiteModel } from "./site-source.ts";

export const SITE_CONFIG_PATH = "functions/_generated/site-config.json";

export function writeSiteConfig(root: string, model: SiteModel): void {
  const file = path.join(root, SITE_CONFIG_PATH);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(siteConfigFromModel(model), null, 1)}\n`);
}

/** Write it from the project's sources unless a build already did. */
export function ensureSiteConfig(root: string): void {
  if (!existsSync(path.join(root, SITE_CONFIG_PATH))) writeSiteConfig(root, loadSiteModel(root));
}
