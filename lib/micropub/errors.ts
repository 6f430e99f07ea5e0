/**
 * Micropub's error answers (§3.8): a JSON object with `error` and `error_description` (meant for the
 * app's developer), and the status the spec gives each code:
 *
 *   400 invalid_request       a missing or bad parameter (also: 413 too large, 415 a media type we do not read)
 *   401 unauthorized          no access token; or one that is unknown, expired or revoked (RFC 6750
 *                             §3.1 invalid_token, which §3.8 points to: `error="invalid_token"` in the header)
 *   401 insufficient_scope    the token lacks the scope (the answer names it, §3.8; RFC 6750 §3.1 says 403,
 *                             Micropub says 401, and Micropub is what its clients follow)
 *   403 forbidden             a good token, but not for this site (issued for another `me`)
 *
 * 401s carry `WWW-Authenticate: Bearer` (RFC 6750 §3). Answers of our own beyond the spec's list
 * (429, 502, 503) keep the same JSON shape with an error code a client treats as generic (§3.8).
 */
export type MicropubErrorCode =
  | "invalid_request"
  | "unauthorized"
  | "insufficient_scope"
  | "forbidden"
  | "too_many_requests"
  | "server_error"
  | "temporarily_unavailable";

export function micropubError(
  status: 400 | 401 | 403 | 413 | 415 | 429 | 502 | 503,
  error: MicropubErrorCode,
  description: string,
  extra: { scope?: string; bearerError?: "invalid_token" | "insufficient_scope"; headers?: Record<string, string> } = {},
): Response {
  const headers: Record<string, string> = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...extra.headers };
  if (status === 401) {
    const scope = extra.scope ? `, scope="${extra.scope}"` : "";
    const code = extra.bearerError ? `, error="${extra.bearerError}"` : "";
    headers["WWW-Authenticate"] = `Bearer realm="micropub"${code}${scope}`;
  }
  const body: Record<string, string> = { error, error_description: description };
  if (extra.scope) body.scope = extra.scope;
  return new Response(JSON.stringify(body), { status, headers });
}

export const invalidRequest = (description: string) => micropubError(400, "invalid_request", description.slice(0, 1000));
