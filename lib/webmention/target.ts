/**
 * Which of our pages a webmention's target names (Webmention §3.2.1: "a valid resource for which
 * it can accept Webmentions"): a post page (/posts/<guid>/, a published guid) or the profile page.
 * Anything else of ours, or anyone else's URL, is not a target.
 */
import { hasPostId, type SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink, parseHttpUrl } from "../shared/urls.ts";

export type OurTarget = { page: "post"; postId: number } | { page: "profile" };

/** The URL as compared: scheme, host and path; fragment dropped, a missing trailing slash added. */
export function comparableUrl(text: string): string | undefined {
  const url = parseHttpUrl(text);
  if (!url) return undefined;
  url.hash = "";
  if (!url.pathname.endsWith("/") && !/\.[a-z0-9]+$/i.test(url.pathname)) url.pathname += "/";
  return url.toString();
}

export function ourTarget(config: SiteConfig, target: string): OurTarget | undefined {
  const url = comparableUrl(target);
  if (!url || parseHttpUrl(target)?.search) return undefined;
  if (url === comparableUrl(config.owner.profile_url)) return { page: "profile" };
  const prefix = comparableUrl(config.owner.post_url_prefix);
  if (!prefix || !url.startsWith(prefix)) return undefined;
  const match = /^(\d{1,15})\/$/.exec(url.slice(prefix.length));
  if (!match) return undefined;
  const postId = Number(match[1]);
  return hasPostId(config.post_ids, postId) ? { page: "post", postId } : undefined;
}

/** Blocks by domain: a blocks.yaml entry whose user_link is a bare site (https://spam.example/) blocks every source there. */
export function blockedHost(config: SiteConfig, source: string): boolean {
  const url = parseHttpUrl(source);
  const site = url ? normalizeUserLink(url.origin) : undefined;
  return site !== undefined && config.blocks.some((block) => block.link === site);
}

/** Blocks by author: the source's author URL (or the source itself) equal to, or under, a blocked user_link. */
export function blockedAuthor(config: SiteConfig, urls: readonly (string | undefined)[]): boolean {
  const links = config.blocks.map((block) => block.link).filter((link): link is string => link !== undefined);
  return urls.some((url) => {
    const text = url ? normalizeUserLink(url) : undefined;
    return !!text && links.some((link) => text === link || text.startsWith(`${link}/`));
  });
}
