/**
 * The URL layout of a Skein site, in one place: the build writes files at these paths and the
 * functions answer at these routes, so the feed can never advertise an endpoint that does not exist.
 *
 *   /feed.xml                 head feed: the spec's "Feed URL" (one URL to follow a user)
 *   /feed/<k>.xml             archive page k, k = 1 is the oldest (stable once written)
 *   /follows.xml, /follows/<k>.xml, /blocks.xml, /blocks/<k>.xml   list feeds (spec "Alternate Feed Layout")
 *   /                         profile page (the spec's `profile`), newest posts
 *   /page/<k>/                older posts, page 1 is the oldest (stable once full)
 *   /posts/<guid>/            one page per post
 *   /follows/, /blocks/       the lists as HTML
 *   /atom.xml, /atom/<k>.xml  the same posts as an Atom feed, cut where the RSS chain is cut
 *   <functions>/api/message                 POST private messages (spec "Private Messaging")
 *   <functions>/api/posts/<guid>/reply      POST reply/mention notifications (spec "Replies/Mentions")
 *   <functions>/api/inbox/...               owner API (bearer token)
 *   <functions>/api/websub/hub              WebSub hub (profile `hubs: [self]`)
 *   <functions>/api/websub/callback/<token> WebSub callbacks of the timeline's subscriptions
 *   <functions>/api/webmention              W3C Webmention receiver (rel="webmention" on every page)
 *   <functions>/.well-known/oauth-authorization-server, /api/indieauth/...   IndieAuth (consent: /owner/auth)
 *   <functions>/api/micropub                W3C Micropub endpoint (rel="micropub" on every page)
 */

export const API_PREFIX = "/api";
export const MESSAGE_ROUTE = `${API_PREFIX}/message`;
export const REPLY_ROUTE = `${API_PREFIX}/posts/:id/reply`;
export const INBOX_ROUTE = `${API_PREFIX}/inbox`;
export const WEBSUB_HUB_ROUTE = `${API_PREFIX}/websub/hub`;
export const WEBSUB_CALLBACK_ROUTE = `${API_PREFIX}/websub/callback`;
export const WEBMENTION_ROUTE = `${API_PREFIX}/webmention`;
/** IndieAuth (lib/indieauth, docs/indieauth.md): server metadata (§4.1.1, RFC 8414's well-known path) and the endpoints. */
export const INDIEAUTH_METADATA_ROUTE = "/.well-known/oauth-authorization-server";
/** The authorization endpoint: a browser's GET goes on to the owner's consent page (CONSENT_ROUTE); a POST redeems a code. */
export const AUTHORIZATION_ROUTE = `${API_PREFIX}/indieauth/auth`;
/** The consent page behind the owner's session; the public site never names it (only the Worker redirects there). */
export const CONSENT_ROUTE = "/owner/auth";
export const TOKEN_ROUTE = `${API_PREFIX}/indieauth/token`;
export const INTROSPECTION_ROUTE = `${API_PREFIX}/indieauth/introspect`;
export const REVOCATION_ROUTE = `${API_PREFIX}/indieauth/revoke`;
export const MICROPUB_ROUTE = `${API_PREFIX}/micropub`;

/** An absolute http(s) URL without credentials, or undefined. */
export function parseHttpUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username || url.password) return undefined;
  if (!url.hostname) return undefined;
  return url;
}

/** A base URL without a trailing slash ("https://ada.example" or "https://host/sub"). */
export function normalizeBaseUrl(text: string): string {
  const url = parseHttpUrl(text);
  if (!url) throw new Error(`not an absolute http(s) URL: ${text}`);
  url.search = "";
  url.hash = "";
  return url.toString().replace(/\/+$/, "");
}

/**
 * A user_link reduced to what identifies a feed, for matching follows/blocks/selected entries
 * against senders: scheme (http and https treated alike), host case, default ports, a trailing
 * slash and the fragment do not matter; path and query do.
 */
export function normalizeUserLink(text: string): string | undefined {
  const url = parseHttpUrl(text.trim());
  if (!url) return undefined;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const port = url.port && !((url.protocol === "http:" && url.port === "80") || (url.protocol === "https:" && url.port === "443")) ? `:${url.port}` : "";
  const path = url.pathname.replace(/\/+$/, "") || "";
  return `${host}${port}${path}${url.search}`;
}

export interface SiteUrls {
  /** Absolute base of the static site, no trailing slash. */
  base: string;
  /** Root-relative prefix for links inside HTML pages ("" or "/sub"). */
  basePath: string;
  /** Absolute base of the functions (same as base unless hosted apart). */
  functionsBase: string;
  feed: string;
  feedArchive(k: number): string;
  /** The Atom alternate feed's head page and archives. */
  atom: string;
  atomArchive(k: number): string;
  list(kind: "follows" | "blocks"): string;
  listArchive(kind: "follows" | "blocks", k: number): string;
  profile: string;
  message: string;
  reply(guid: number): string;
  post(guid: number): string;
  /** Our own WebSub hub (used when the profile lists `hubs: [self]`). */
  hub: string;
  /** Prefix of the timeline's WebSub callback URLs (a token follows). */
  websubCallback: string;
  /** Our Webmention endpoint (W3C Webmention §3.1.1: advertised by every page). */
  webmention: string;
  /** IndieAuth server metadata and the two endpoints older clients look for (IndieAuth §4.1). */
  indieauthMetadata: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Our Micropub endpoint (W3C Micropub §5.3: discovered from every page). */
  micropub: string;
}

export function siteUrls(baseUrl: string, functionsBaseUrl?: string): SiteUrls {
  const base = normalizeBaseUrl(baseUrl);
  const functionsBase = functionsBaseUrl ? normalizeBaseUrl(functionsBaseUrl) : base;
  const basePath = new URL(base).pathname.replace(/\/+$/, "");
  return {
    base,
    basePath,
    functionsBase,
    feed: `${base}${paths.feed}`,
    feedArchive: (k) => `${base}${paths.feedArchive(k)}`,
    atom: `${base}${paths.atom}`,
    atomArchive: (k) => `${base}${paths.atomArchive(k)}`,
    list: (kind) => `${base}${paths.list(kind)}`,
    listArchive: (kind, k) => `${base}${paths.listArchive(kind, k)}`,
    profile: `${base}/`,
    message: `${functionsBase}${MESSAGE_ROUTE}`,
    reply: (guid) => `${functionsBase}${API_PREFIX}/posts/${guid}/reply`,
    post: (guid) => `${base}${paths.post(guid)}`,
    hub: `${functionsBase}${WEBSUB_HUB_ROUTE}`,
    websubCallback: `${functionsBase}${WEBSUB_CALLBACK_ROUTE}/`,
    webmention: `${functionsBase}${WEBMENTION_ROUTE}`,
    indieauthMetadata: `${functionsBase}${INDIEAUTH_METADATA_ROUTE}`,
    authorizationEndpoint: `${functionsBase}${AUTHORIZATION_ROUTE}`,
    tokenEndpoint: `${functionsBase}${TOKEN_ROUTE}`,
    micropub: `${functionsBase}${MICROPUB_ROUTE}`,
  };
}

/** Site-root-relative paths of the published files and pages (permalinks for the build). */
export const paths = {
  feed: "/feed.xml",
  feedArchive: (k: number) => `/feed/${k}.xml`,
  atom: "/atom.xml",
  atomArchive: (k: number) => `/atom/${k}.xml`,
  list: (kind: "follows" | "blocks") => `/${kind}.xml`,
  listArchive: (kind: "follows" | "blocks", k: number) => `/${kind}/${k}.xml`,
  home: "/",
  htmlPage: (k: number) => `/page/${k}/`,
  post: (guid: number) => `/posts/${guid}/`,
  listPage: (kind: "follows" | "blocks") => `/${kind}/`,
};
