// One page per post: its permalink.

import { chromeOf, postTitle, renderPostMain } from "../lib/publish/html/site-pages.ts";
import type { Post } from "../lib/publish/posts.ts";
import { paths } from "../lib/shared/urls.ts";
import type { TemplateData } from "./_includes/eleventy.ts";
import { framePage } from "./_includes/page.ts";

type Data = TemplateData & { post: Post };

export const data = {
  pagination: { data: "skein.posts", size: 1, alias: "post" },
  permalink: (d: Data) => paths.post(d.post.guid),
  eleventyExcludeFromCollections: true,
};

export function render(d: Data): string {
  const chrome = chromeOf(d.skein);
  return framePage(d, {
    title: postTitle(chrome, d.post),
    description: d.post.summary,
    ...(d.post.language ? { language: d.post.language } : {}),
    content: renderPostMain(chrome, d.post, d.skein.replies.get(d.post.guid)),
  });
}
