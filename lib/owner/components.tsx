/**
 * What every section of the owner's pages shows the same way: dates, links to strangers (only
 * absolute http(s) URLs), action buttons (each a POST form carrying where to come back to), the
 * fixed notices and error alerts, and the conversation key in a URL.
 */
import type { FC } from "hono/jsx";
import { parseHttpUrl } from "../shared/urls.ts";
import { fromBase64Url, toBase64Url } from "../worker-kit/cursor.ts";
import { invalidPage } from "./forms.ts";
import type { OwnerSection } from "./layout.tsx";

/** "2026-03-01T12:00:30Z" -> "2026-03-01 12:00 UTC" in a <time> element. */
export const When: FC<{ iso: string | null }> = ({ iso }) => (iso ? <time datetime={iso}>{`${iso.replace("T", " ").slice(0, 16)} UTC`}</time> : <span>-</span>);

/** A link to a stranger's URL only when it is an absolute http(s) URL; otherwise its text. */
export const SafeLink: FC<{ href: string | null | undefined; children?: unknown }> = ({ href, children }) =>
  href && parseHttpUrl(href) ? (
    <a href={href} rel="nofollow ugc noopener noreferrer">
      {children as string}
    </a>
  ) : (
    <span>{children as string}</span>
  );

/** The conversation key in a URL: the normalized link, base64url (it contains slashes). */
export function peerParam(peer: string): string {
  return toBase64Url(peer);
}

export function peerFromParam(param: string): string | undefined {
  return /^[A-Za-z0-9_-]{1,3000}$/.test(param) ? fromBase64Url(param) : undefined;
}

/** A POST button for one action, carrying where to come back to. */
export const ActionButton: FC<{ action: string; label: string; returnTo: string; primary?: boolean }> = (props) => (
  <form method="post" action={props.action}>
    <input type="hidden" name="return_to" value={props.returnTo} />
    <button type="submit" class={props.primary ? "primary" : undefined}>
      {props.label}
    </button>
  </form>
);

const NOTICES: Record<string, string> = {
  read: "Marked as read.",
  deleted: "Deleted.",
  "conversation-read": "The conversation is marked as read.",
  sent: "Your message was sent.",
  queued: "Your message could not be sent yet; it waits in the outbox and is retried.",
  retried: "It is queued again.",
  approved: "Approved. Run npm run replies -- pull on your machine to write it into the repository, then push.",
  rejected: "It will not be listed again.",
  revoked: "Revoked: the app can no longer use its token.",
  committed: "Committed. The deploy it starts publishes the post; the list below says when it is live.",
};

/** A fixed notice chosen by a key from the query string (never text from the URL). */
export const Notice: FC<{ notice: string | undefined }> = ({ notice }) => {
  const text = notice ? NOTICES[notice] : undefined;
  return text ? (
    <p class="owner-notice" role="status">
      {text}
    </p>
  ) : null;
};

/** Why what the owner asked for did not happen, announced to screen readers; nothing when there is no error. */
export const ErrorAlert: FC<{ error: string | undefined }> = ({ error }) =>
  error ? (
    <p class="owner-error" role="alert">
      {error}
    </p>
  ) : null;

/** A zValidator hook for the hidden fields of an action button: a form none of these pages sends. */
export const foreignForm = (section: OwnerSection) =>
  invalidPage((c) => c.render(<p class="owner-error">That form was not one of these pages'.</p>, { title: "Bad request", section }));
