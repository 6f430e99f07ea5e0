/**
 * The frame of every HTML page (lib/publish/html/site-pages.ts renderDocument), called directly by each template.
 * Not an Eleventy layout on purpose: with a layout Eleventy keeps both the inner content and the
 * framed page of every page in memory until the build ends, which took a 50,000-post build past
 * 1 GB (see README "Benchmarks").
 */
import { chromeOf, type DocumentParts, renderDocument } from "../../lib/publish/html/site-pages.ts";
import type { TemplateData } from "./eleventy.ts";

export function framePage(data: TemplateData, parts: Omit<DocumentParts, "permalink">): string {
  return renderDocument(chromeOf(data.skein), { ...parts, permalink: data.page.url });
}
