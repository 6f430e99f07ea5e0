// Served by static hosts (Cloudflare Pages, Netlify, GitHub Pages) for unknown paths.
import { chromeOf, renderNotFoundMain } from "../lib/publish/html/site-pages.ts";
import type { TemplateData } from "./_includes/eleventy.ts";
import { framePage } from "./_includes/page.ts";

export const data = { permalink: "/404.html" };

export function render(d: TemplateData): string {
  return framePage(d, { title: "Page not found", content: renderNotFoundMain(chromeOf(d.skein)) });
}
