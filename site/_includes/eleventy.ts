/** The few Eleventy shapes Skein's templates use (Eleventy 3 ships no TypeScript types). */
import type { SiteModel } from "../../lib/publish/site.ts";

export interface EleventyPage {
  url: string;
  inputPath: string;
  outputPath: string | false;
}

/** Data every template sees: the `skein` global (lib/publish/site.ts) plus Eleventy's own. */
export interface TemplateData {
  skein: SiteModel;
  page: EleventyPage;
  content?: string;
  title?: string;
  description?: string;
  language?: string;
}

export interface EleventyConfig {
  addGlobalData(name: string, value: unknown): void;
  addExtension(extensions: string[], options: { key: string } & Record<string, unknown>): void;
  addTemplateFormats(formats: string): void;
  addPassthroughCopy(copy: Record<string, string>): void;
  setQuietMode(quiet: boolean): void;
  addWatchTarget(target: string): void;
  addTransform(name: string, transform: (content: string) => string): void;
  on(event: "eleventy.after", listener: (args: EleventyAfter) => void | Promise<void>): void;
  setDataFileBaseName?(name: string): void;
  setIncludesDirectory(dir: string): void;
  setDataDirectory(dir: string): void;
  setTemplateFormats(formats: string[]): void;
}

/** A site/*.11ty.ts module: what Eleventy reads from an 11ty.js template. */
export interface TemplateModule {
  data?: unknown;
  render(data: never): string;
}

/** What Eleventy passes to `eleventy.after` listeners (the parts Skein reads). */
export interface EleventyAfter {
  directories: { output: string };
  outputMode: "fs" | "json" | "ndjson";
}
