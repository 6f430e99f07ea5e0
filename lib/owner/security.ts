/**
 * The owner pages' walls (issue "The owner's pages", Security):
 * - every response under /owner/ carries a strict Content-Security-Policy (no script at all, styles
 *   only from this origin, nothing framed, forms only to this origin), Referrer-Policy: no-referrer
 *   (private URLs never leak to the sites the owner follows links to), Cache-Control: no-store (never
 *   cached by the CDN or the browser), nosniff and frame denial;
 * - every state-changing request is a POST that must come from a page of this origin: the Origin
 *   header (or, without it, Sec-Fetch-Site) must say so, so a cross-site form post is refused even
 *   with a valid session cookie (SameSite=Strict already keeps the cookie off it; this is the second
 *   lock).
 */
import type { MiddlewareHandler } from "hono";
import type { WorkerBindings } from "../worker-kit/env.ts";

export const OWNER_CSP = ["default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"].join(
  "; ",
);

export const ownerPageHeaders: MiddlewareHandler<WorkerBindings> = async (c, next) => {
  await next();
  const headers = c.res.headers;
  headers.set("Content-Security-Policy", OWNER_CSP);
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("Cache-Control", "no-store");
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("X-Frame-Options", "DENY");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
};

/**
 * Did this request come from a page of our own origin? The Origin header says so -- except that our
 * own pages send `Origin: null`: with Referrer-Policy: no-referrer the Fetch standard serializes a
 * form POST's origin as "null". Then Sec-Fetch-Site, which only the browser can set, decides: it must
 * be "same-origin" ("same-site" is a neighbour on another port or subdomain; "cross-site" an attacker).
 */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("Origin");
  if (origin !== null && origin !== "null") return origin === new URL(request.url).origin;
  return request.headers.get("Sec-Fetch-Site") === "same-origin";
}

/** Where to go back to after an action: only a path of the owner's pages (never another site), with a notice key. */
export function returnTarget(requested: string | undefined, fallback: string, notice: string): string {
  const path = requested && /^\/owner\/[A-Za-z0-9/_.~%-]*(#[a-z-]+)?$/.test(requested) ? requested : fallback;
  const [beforeHash, hash] = path.split("#");
  return `${beforeHash}?notice=${notice}${hash ? `#${hash}` : ""}`;
}
