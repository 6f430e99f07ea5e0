import path from "node:path";
import { bulkFiles } from "./lib/publish/site-files.ts";
import { activeBuildCache } from "./lib/site-build/build-cache.ts";
import { writeSiteFiles } from "./lib/site-build/bulk-writer.ts";
import { loadSiteModel } from "./lib/site-build/site-source.ts";
import type { EleventyAfter, EleventyConfig } from "./site/_includes/eleventy.ts";

export default function (eleventyConfig: EleventyConfig) {
  // Posts live in posts/, outside the Eleventy input: lib/ validates them all (and fails the build
  // naming every bad file) before a single page is rendered, then templates read this one model.
  eleventyConfig.addGlobalData("skein", () => loadSiteModel(process.cwd()));

  // Templates are TypeScript functions over that model; tsx (in the npm scripts) loads them.
  eleventyConfig.addExtension(["11ty.ts"], { key: "11ty.js" });
  eleventyConfig.addTemplateFormats("11ty.ts");

  // Pictures and styles are copied as they are. _headers (read by Workers Static Assets, never served
  // itself: CORS for the feeds, the pages' security headers, the Webmention Link header) is
  // site/_headers plus that Link header, written by site/headers.11ty.ts.
  eleventyConfig.addPassthroughCopy({ "site/assets": "assets" });

  // Rebuild in watch mode when posts change, too.
  eleventyConfig.addWatchTarget("posts/");

  // The bulk of the site -- a page per post, the older-post pages, every feed page -- is written by
  // the project's own renderers once Eleventy has written its templates (home, lists, 404): the same
  // bytes, without Eleventy's per-page pipeline, which cost most of a big build (lib/publish/site-files.ts).
  // `npm run build` passes its cache: files whose inputs did not change are the previous build's bytes.
  eleventyConfig.on("eleventy.after", ({ directories, outputMode }: EleventyAfter) => {
    if (outputMode !== "fs") return;
    const root = process.cwd();
    writeSiteFiles(path.resolve(directories.output), bulkFiles(loadSiteModel(root)), activeBuildCache(root));
  });
}

export const config = {
  // Output is Eleventy's default _site/; scripts/build.ts writes to a staging folder and swaps it in.
  dir: { input: "site", includes: "_includes", data: "_data" },
  // Only our .11ty.ts templates are pages; markdown posts are read by lib/, not by Eleventy.
  templateFormats: ["11ty.ts"],
};
