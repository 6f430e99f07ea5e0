/**
 * The authorization request (IndieAuth §5.2) as the owner's consent page receives it, checked before
 * anything is shown: the client identifier (§3.3), the redirect URL (§5.2, §10.1), PKCE S256 only
 * (§5.2: "All IndieAuth clients MUST use PKCE"; RFC 7636 §4.2), the scopes this site offers.
 *
 * A redirect_uri on another scheme, host or port than the client_id would have to be published by the
 * client (§4.2.2); Skein does not fetch client pages (no stranger's page is read on the owner's
 * behalf here), so such a request is refused with a page that says why (docs/indieauth.md).
 */
import * as z from "zod/mini";
import { parseIpv4 } from "../shared/address-guard.ts";
import { scopeList } from "./tokens.ts";

/** The scopes this site grants (Micropub's create). A room that handles another scope adds it here. */
export const SUPPORTED_SCOPES: readonly string[] = ["create"];

const MAX_URL = 2048;

/** Why a client_id is not one (§3.3), or undefined when it is. */
export function clientIdProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "client_id must be an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "client_id must be an https or http URL";
  if (raw.includes("#")) return "client_id must not contain a fragment";
  if (url.username || url.password) return "client_id must not contain a user name or password";
  // The URL parser removes them; the identifier as sent must not have had them.
  if (/\/\.{1,2}(?=[/?]|$)/.test(raw.replace(/[?].*$/, ""))) return "client_id must not contain . or .. path segments";
  const host = url.hostname;
  const isIp = parseIpv4(host) !== undefined || host.startsWith("[");
  if (isIp && host !== "127.0.0.1" && host !== "[::1]") return "client_id must name a domain, not an IP address (only 127.0.0.1 and [::1] are allowed)";
  return undefined;
}

/** Why this redirect_uri is not allowed for this client, or undefined when it is. */
export function redirectProblem(clientId: string, raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "redirect_uri must be an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "redirect_uri must be an https or http URL";
  // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
  if (raw.includes("#")) return "redirect_uri must not contain a fragment";
  if (url.origin !== new URL(clientId).origin) {
    return `redirect_uri is on ${url.origin}, not on the client's own ${new URL(clientId).origin}: this site only sends codes back to the app's own origin`;
  }
  return undefined;
}

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/** The query of the authorization request (§5.2); the URL rules run after it (authorizationProblem). */
export const authorizationQuery = z.object({
  response_type: z.literal("code", "response_type must be code"),
  client_id: text(MAX_URL),
  redirect_uri: text(MAX_URL),
  state: text(1024),
  // RFC 7636 §4.2: S256 gives exactly 43 base64url characters.
  code_challenge: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/, "code_challenge must be a PKCE S256 challenge (43 base64url characters)")),
  code_challenge_method: z.literal("S256", "code_challenge_method must be S256 (plain is not accepted)"),
  scope: z.optional(z.string().check(z.maxLength(1024))),
  me: z.optional(z.string().check(z.maxLength(MAX_URL))),
});
export type AuthorizationQuery = z.infer<typeof authorizationQuery>;

export function authorizationProblem(query: AuthorizationQuery): string | undefined {
  return clientIdProblem(query.client_id) ?? redirectProblem(query.client_id, query.redirect_uri);
}

/** The requested scopes split into what the owner may grant here and what this site does not offer. */
export function requestedScopes(scope: string | undefined): { offered: string[]; unsupported: string[] } {
  const all = scopeList(scope ?? "");
  return { offered: all.filter((s) => SUPPORTED_SCOPES.includes(s)), unsupported: all.filter((s) => !SUPPORTED_SCOPES.includes(s)) };
}

/**
 * The origin the consent page's form may end up at (its redirect after Approve or Deny), when the
 * client_id and redirect_uri are acceptable; otherwise undefined.
 */
export function consentRedirectOrigin(clientId: string | undefined, redirectUri: string | undefined): string | undefined {
  if (!clientId || !redirectUri || clientIdProblem(clientId) || redirectProblem(clientId, redirectUri)) return undefined;
  return new URL(redirectUri).origin;
}
