/**
 * The bulk of a site's files -- one page per post, the older-post pages, every page of the RSS, Atom
 * and list feed chains -- as (permalink, render) pairs, for the build to write straight to disk
 * (lib/site-build/bulk-writer.ts, run from Eleventy's `eleventy.after` event). Eleventy's own templates
 * render the few pages that are not per post or per page of posts (site/index, people, 404).
 *
 * Why not one Eleventy template per kind, paginated with size 1: Eleventy's per-page pipeline (data
 * cascade, permalink, transforms, its own bookkeeping of every page until the end) costs about 1 ms a
 * page, several times what rendering the page costs, and holds every page in memory; at 10,000 posts
 * that would be most of the build (docs/benchmarks.md). The bytes are the same:
 * the same renderers frame the same parts.
 */

import { paths } from "../shared/urls.ts";
import { displayName } from "./feed/main-feed.ts";
import { chromeOf, postTitle, renderArchiveMain, renderDocument, renderPostMain } from "./html/site-pages.ts";
import type { SiteModel, XmlFile } from "./site.ts";

/** A file of the site: its site-root-relative permalink and how to render it. */
export type SiteFile = XmlFile;

/** Post pages, oldest post first. */
export function postPageFiles(model: SiteModel): SiteFile[] {
  const chrome = chromeOf(model);
  return model.posts.map((post) => {
    const permalink = paths.post(post.guid);
    return {
      permalink,
      render: () =>
        renderDocument(chrome, {
          title: postTitle(chrome, post),
          description: post.summary,
          ...(post.language ? { language: post.language } : {}),
          content: renderPostMain(chrome, post, model.replies.get(post.guid)),
          permalink,
        }),
      inputs: () => [chrome, post, model.replies.get(post.guid) ?? null],
    };
  });
}

/** Older-post pages, page 1 (the oldest posts) first. */
export function olderPageFiles(model: SiteModel): SiteFile[] {
  const chrome = chromeOf(model);
  return model.htmlPages.map((page) => ({
    permalink: page.permalink,
    render: () =>
      renderDocument(chrome, {
        title: `Older posts, page ${page.number} · ${displayName(model.profile)}`,
        content: renderArchiveMain(chrome, page),
        permalink: page.permalink,
      }),
    inputs: () => [chrome, page],
  }));
}

/** Every file the build writes without an Eleventy template. */
export function bulkFiles(model: SiteModel): SiteFile[] {
  return [...model.feedFiles, ...model.atomFiles, ...model.listFiles, ...olderPageFiles(model), ...postPageFiles(model)];
}

/** Where a permalink lives under the output folder: "/posts/5/" -> "posts/5/index.html", "/feed.xml" -> "feed.xml". */
export function outputPath(permalink: string): string {
  const relative = permalink.replace(/^\/+/, "");
  return relative === "" || relative.endsWith("/") ? `${relative}index.html` : relative;
}
