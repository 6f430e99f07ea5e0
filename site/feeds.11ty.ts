// Every XML file: the main feed chain and the list feed chains (rendered by lib/publish/feed/main-feed.ts, lib/publish/feed/list-feed.ts).
import type { XmlFile } from "../lib/publish/site.ts";
import type { TemplateData } from "./_includes/eleventy.ts";

type Data = TemplateData & { file: XmlFile };

export const data = {
  pagination: {
    data: "skein",
    size: 1,
    alias: "file",
    before: (_: unknown, d: TemplateData): XmlFile[] => [...d.skein.feedFiles, ...d.skein.listFiles],
  },
  permalink: (d: Data) => d.file.permalink,
  eleventyExcludeFromCollections: true,
};

export function render(d: Data): string {
  return d.file.render();
}
