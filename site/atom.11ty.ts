// The Atom alternate feed's pages, cut where the RSS chain is cut (rendered by lib/publish/feed/atom-feed.ts).
import type { XmlFile } from "../lib/publish/site.ts";
import type { TemplateData } from "./_includes/eleventy.ts";

type Data = TemplateData & { file: XmlFile };

export const data = {
  pagination: {
    data: "skein.atomFiles",
    size: 1,
    alias: "file",
  },
  permalink: (d: Data) => d.file.permalink,
  eleventyExcludeFromCollections: true,
};

export function render(d: Data): string {
  return d.file.render();
}
