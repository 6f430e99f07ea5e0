// Older posts, pages of a fixed size counted from the oldest, so a full page never changes.
import { displayName } from "../lib/publish/feed/main-feed.ts";
import { chromeOf, renderArchiveMain } from "../lib/publish/html/site-pages.ts";
import type { HtmlArchivePage } from "../lib/publish/site.ts";
import type { TemplateData } from "./_includes/eleventy.ts";
import { framePage } from "./_includes/page.ts";

type Data = TemplateData & { archive: HtmlArchivePage };

export const data = {
  pagination: { data: "skein.htmlPages", size: 1, alias: "archive" },
  permalink: (d: Data) => d.archive.permalink,
  eleventyExcludeFromCollections: true,
};

export function render(d: Data): string {
  return framePage(d, {
    title: `Older posts, page ${d.archive.number} · ${displayName(d.skein.profile)}`,
    content: renderArchiveMain(chromeOf(d.skein), d.archive),
  });
}
