import path from "node:path";
import { bulkFiles } from "./lib/publish/site-files.ts";
import { activeBuildCache } from "./lib/site-build/build-cache.ts";
import { writeSiteFiles } from "./lib/site-build/bulk-writer.ts";
import { loadSiteModel } from "./lib/site-build/site-source.ts";
import type { EleventyAfter, EleventyConfig, TemplateModule } from "./site/_includes/eleventy.ts";

export default function (eleventyConfig: EleventyConfig) {
  configureSkein(eleventyConfig);
}

/**
 * The configuration. `templates` (site/ path -> module) comes from the build's precompiled entry
 * (scripts/build.mjs), which has the templates compiled in: Eleventy then takes them from there
 * instead of importing the TypeScript files (which needs tsx), and renders them as it renders an
 * `11ty.js` template (data from the `data` export, the page from `render(data)`).
 */
export function configureSkein(eleventyConfig: EleventyConfig, templates?: Record<string, TemplateModule>) {
  // Posts live in posts/, outside the Eleventy input: lib/ validates them all (and fails the build
  // naming every bad file) before a single page is rendered, then templates read this one model.
  eleventyConfig.addGlobalData("skein", () => loadSiteModel(process.cwd()));

  // Templates are TypeScript functions over that model; tsx (in the npm scripts) loads them.
  eleventyConfig.addExtension(["11ty.ts"], templates ? precompiledTemplates(templates) : { key: "11ty.js" });
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

/** The `11ty.js` alias with the template modules given: read no file, import none. */
function precompiledTemplates(templates: Record<string, TemplateModule>) {
  const moduleFor = (inputPath: string): TemplateModule => {
    const module = templates[path.relative(process.cwd(), path.resolve(inputPath)).split(path.sep).join("/")];
    if (!module) throw new Error(`${inputPath} is not in the build's precompiled entry: run the build again to recompile it`);
    return module;
  };
  return {
    key: "11ty.js",
    read: false,
    // Eleventy reads the `data` export, as it does for an 11ty.js module.
    getData: true,
    getInstanceFromInputPath: async (inputPath: string) => moduleFor(inputPath),
    compile(this: { defaultRenderer?: unknown }, text: string | undefined, inputPath: string) {
      // Eleventy compiles a string only for data it renders (11ty.js permalinks); ours are plain.
      if (text) return this.defaultRenderer;
      const module = moduleFor(inputPath);
      return (data: unknown) => module.render(data as never);
    },
  };
}

export const config = {
  // Output is Eleventy's default _site/; scripts/build.ts writes to a staging folder and swaps it in.
  dir: { input: "site", includes: "_includes", data: "_data" },
  // Only our .11ty.ts templates are pages; markdown posts are read by lib/, not by Eleventy.
  templateFormats: ["11ty.ts"],
};
