// The follows list, and the blocks list when the profile makes it public, as HTML.
import type { ListKind } from "../lib/publish/feed/list-feed.ts";
import { chromeOf, listTitle, renderListMain } from "../lib/publish/html/site-pages.ts";
import { paths } from "../lib/shared/urls.ts";
import type { TemplateData } from "./_includes/eleventy.ts";
import { framePage } from "./_includes/page.ts";

type Data = TemplateData & { kind: ListKind };

export const data = {
  pagination: {
    data: "skein",
    size: 1,
    alias: "kind",
    before: (_: unknown, d: TemplateData): ListKind[] => (d.skein.profile.public_blocks ? ["follows", "blocks"] : ["follows"]),
  },
  permalink: (d: Data) => paths.listPage(d.kind),
};

export function render(d: Data): string {
  const chrome = chromeOf(d.skein);
  return framePage(d, {
    title: listTitle(chrome, d.kind),
    content: renderListMain(chrome, d.kind, d.kind === "follows" ? d.skein.follows : d.skein.blocks),
  });
}
