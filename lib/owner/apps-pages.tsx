/**
 * The Apps section's pages: an app's sign-in request to consent to (IndieAuth §5.2: "The prompt MUST
 * indicate which application the user is signing in to"; §10.1: "display the full client_id"), and
 * the apps holding a token, each with Revoke. Everything an app sent is shown as text (Hono's JSX
 * escapes it); nothing of it becomes a link the owner did not ask for.
 */
import type { FC } from "hono/jsx";
import type { AuthorizationQuery } from "../indieauth/request.ts";
import type { TokenRow } from "./apps-queries.ts";
import { ErrorAlert, Notice } from "./components.tsx";

const SCOPE_TEXT: Record<string, string> = {
  create: "create posts on your site (each one a commit, published by the deploy it starts)",
};

const iso = (ms: number | null) => (ms === null ? "-" : `${new Date(ms).toISOString().replace("T", " ").slice(0, 16)} UTC`);

export const ConsentPage: FC<{ request: AuthorizationQuery; offered: string[]; unsupported: string[] }> = ({ request, offered, unsupported }) => (
  <>
    <h1>Sign in to an app</h1>
    <p>An app asks to sign in as you.</p>
    <dl class="owner-consent">
      <dt>App (client_id)</dt>
      <dd>
        <code>{request.client_id}</code>
      </dd>
      <dt>Sends you back to</dt>
      <dd>
        <code>{new URL(request.redirect_uri).host}</code>
      </dd>
    </dl>
    <form class="owner-form" method="post" action="/owner/auth/approve">
      {(["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"] as const).map((name) => (
        <input type="hidden" name={name} value={request[name]} />
      ))}
      {offered.length ? (
        <fieldset>
          <legend>It may</legend>
          {offered.map((scope) => (
            <div class="owner-check">
              <input type="checkbox" id={`scope-${scope}`} name="scope" value={scope} checked />
              <label for={`scope-${scope}`}>
                {scope}: {SCOPE_TEXT[scope] ?? scope}
              </label>
            </div>
          ))}
        </fieldset>
      ) : (
        <p>It asks only to know who you are (your site's address); it gets no access to your site.</p>
      )}
      {unsupported.length ? <p>This site does not offer: {unsupported.join(", ")}. The app will not get them.</p> : null}
      <div class="owner-actions">
        <button type="submit" name="decision" value="approve" class="primary">
          Approve
        </button>
        <button type="submit" name="decision" value="deny">
          Deny
        </button>
      </div>
    </form>
  </>
);

export const RefusedRequest: FC<{ reason: string }> = ({ reason }) => (
  <>
    <h1>This sign-in request cannot be used</h1>
    <ErrorAlert error={reason} />
    <p>
      Nothing was granted. Go back to the app and try again; if it keeps happening, the app does not speak IndieAuth as this site does (PKCE S256, its own
      origin).
    </p>
  </>
);

export const AppsPage: FC<{ tokens: TokenRow[]; notice?: string | undefined }> = ({ tokens, notice }) => (
  <>
    <h1>Apps</h1>
    <Notice notice={notice} />
    <p>Apps you signed in to with your site (IndieAuth). Each holds a token until it expires or you revoke it.</p>
    {tokens.length === 0 ? (
      <p>No app holds a token.</p>
    ) : (
      <ul class="owner-list">
        {tokens.map((token) => (
          <li>
            <p class="owner-byline">
              <code>{token.client_id}</code>
            </p>
            <p class="owner-meta">
              may {token.scope.join(", ")}; created {iso(token.created_at)}, expires {iso(token.expires_at)}, last used {iso(token.last_used_at)}
            </p>
            <div class="owner-actions">
              <form method="post" action={`/owner/apps/${token.id}/revoke`}>
                <button type="submit">Revoke</button>
              </form>
            </div>
          </li>
        ))}
      </ul>
    )}
  </>
);
