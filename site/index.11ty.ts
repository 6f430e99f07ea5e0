// The profile page: the spec's `profile` URL.
import { displayName } from "../lib/publish/feed/main-feed.ts";
import { renderHomeMain } from "../lib/publish/html/site-pages.ts";
import type { TemplateData } from "./_includes/eleventy.ts";
import { framePage } from "./_includes/page.ts";

export const data = { permalink: "/" };

export function render(d: TemplateData): string {
  const { profile } = d.skein;
  return framePage(d, {
    title: `${displayName(profile)} (@${profile.username})`,
    description: profile.bio ?? `Posts by @${profile.username}`,
    content: renderHomeMain(d.skein),
  });
}
