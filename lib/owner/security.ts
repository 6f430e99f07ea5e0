/**
 * The owner pages' walls (issue "The owner's pages", Security), all Hono's own middleware:
 * - every response under /owner/ carries a strict Content-Security-Policy (no script at all, styles
 *   only from this origin, nothing framed, forms only to this origin), Referrer-Policy: no-referrer
 *   (private URLs never leak to the sites the owner follows links to), nosniff and frame denial
 *   (hono/secure-headers), and Cache-Control: no-store (never cached by the CDN or the browser);
 * - every state-changing request must come from a page of this origin (hono/csrf): Sec-Fetch-Site,
 *   which only the browser sets, is "same-origin", or the Origin header is this origin. Our own pages
 *   send `Origin: null` (with Referrer-Policy: no-referrer the Fetch standard serializes a form POST's
 *   origin as "null"), so for them Sec-Fetch-Site decides. A cross-site form post is refused even with
 *   a valid session cookie (SameSite=Strict already keeps the cookie off it; this is the second lock).
 */
import type { Context, MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { consentRedirectOrigin } from "../indieauth/request.ts";
import { CONSENT_ROUTE } from "../shared/urls.ts";

/**
 * The IndieAuth consent page's Approve and Deny post to this origin, which answers with a redirect to
 * the app's redirect_uri; CSP's form-action also governs where a form submission is redirected (CSP
 * Level 3, "form-action"), so that page alone also allows the app's own origin -- taken from the
 * validated request, never any other text.
 */
function consentFormTarget(c: Context): string {
  if (c.req.method !== "GET" || new URL(c.req.url).pathname !== CONSENT_ROUTE) return "";
  return consentRedirectOrigin(c.req.query("client_id"), c.req.query("redirect_uri")) ?? "";
}

export const ownerSecureHeaders: MiddlewareHandler = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    formAction: ["'self'", consentFormTarget],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  // HSTS is the deployment's choice (Cloudflare's edge setting), not one page's: it would bind every subdomain.
  strictTransportSecurity: false,
});

export const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
};

/** Same origin by Sec-Fetch-Site or Origin (hono/csrf's default rules); a refusal throws csrfRefusal's kind. */
export const ownerCsrf: MiddlewareHandler = csrf();

/** Is this error hono/csrf's refusal (the only 403 the owner pages throw)? */
export function isCsrfRefusal(error: unknown): boolean {
  return error instanceof HTTPException && error.status === 403;
}

/** Where to go back to after an action: only a path of the owner's pages (never another site), with a notice key. */
export function returnTarget(requested: string | undefined, fallback: string, notice: string): string {
  const path = requested && /^\/owner\/[A-Za-z0-9/_.~%-]*(#[a-z-]+)?$/.test(requested) ? requested : fallback;
  const [beforeHash, hash] = path.split("#");
  return `${beforeHash}?notice=${notice}${hash ? `#${hash}` : ""}`;
}
