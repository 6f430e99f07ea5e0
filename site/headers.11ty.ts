// _headers: site/_headers as the owner wrote it, plus `Link: <...>; rel="webmention", <...>; rel="micropub"`
// and IndieAuth's three discovery links on every page (lib/publish/headers-file.ts). Read at deploy by Workers Static Assets, never served.
import { readFileSync } from "node:fs";
import path from "node:path";
import { headersFile } from "../lib/publish/headers-file.ts";
import type { TemplateData } from "./_includes/eleventy.ts";

export const data = { permalink: "/_headers" };

export function render(d: TemplateData): string {
  const own = readFileSync(path.join(process.cwd(), "site", "_headers"), "utf8");
  const { webmention, micropub, indieauthMetadata, authorizationEndpoint, tokenEndpoint } = d.skein.urls;
  return headersFile(own, [
    { href: webmention, rel: "webmention" },
    { href: micropub, rel: "micropub" },
    { href: indieauthMetadata, rel: "indieauth-metadata" },
    { href: authorizationEndpoint, rel: "authorization_endpoint" },
    { href: tokenEndpoint, rel: "token_endpoint" },
  ]);
}
