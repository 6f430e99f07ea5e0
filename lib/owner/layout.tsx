/**
 * The frame of every owner page, through hono/jsx-renderer: the same look as the public site (its
 * stylesheet, served again at /owner/style.css), no JavaScript, a skip link, a navigation that marks
 * the current page, and a sign-out button. Everything interpolated is escaped by Hono's JSX;
 * strangers' HTML only enters through sanitizeHtml() and `raw` in the page that shows it.
 *
 * A route renders its page with `c.render(<Page />, { title, section })` (after `c.status(...)`
 * when it is not a 200).
 */
import type { MiddlewareHandler } from "hono";
import { jsxRenderer } from "hono/jsx-renderer";

export type OwnerSection = "overview" | "inbox" | "timeline" | "outbox" | "write" | "apps" | "sign-in";

/** The navigation; a new section adds its line here and its one `route()` line in app.tsx. */
export const NAV: readonly { section: OwnerSection; path: string; label: string }[] = [
  { section: "overview", path: "/owner/", label: "Overview" },
  { section: "inbox", path: "/owner/inbox", label: "Inbox" },
  { section: "timeline", path: "/owner/timeline", label: "Timeline" },
  { section: "outbox", path: "/owner/outbox", label: "Outbox" },
  { section: "write", path: "/owner/write", label: "Write" },
  { section: "apps", path: "/owner/apps", label: "Apps" },
];

export interface PageProps {
  title: string;
  section: OwnerSection;
  /** Pages shown without a session (sign-in, a refusal) have no navigation. */
  signedIn?: false;
}

declare module "hono" {
  interface ContextRenderer {
    // biome-ignore lint/style/useShorthandFunctionType: Hono's ContextRenderer is an interface to augment.
    (content: string | Promise<string>, props: PageProps): Response | Promise<Response>;
  }
}

const Nav = ({ current }: { current: OwnerSection }) => (
  <nav class="owner-nav" aria-label="Owner">
    <ul>
      {NAV.map((item) => (
        <li>
          <a href={item.path} aria-current={item.section === current ? "page" : undefined}>
            {item.label}
          </a>
        </li>
      ))}
      <li>
        <form method="post" action="/owner/sign-out">
          <button type="submit">Sign out</button>
        </form>
      </li>
    </ul>
  </nav>
);

/** The renderer for the owner's pages; `username` is the owner's, shown in the header and title. */
export function ownerLayout(username: string): MiddlewareHandler {
  return jsxRenderer(
    ({ children, title, section, signedIn }) => (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex, nofollow" />
          <title>{`${title} · @${username}'s Skein`}</title>
          <link rel="stylesheet" href="/owner/style.css" />
        </head>
        <body>
          <a class="skip-link" href="#main">
            Skip to content
          </a>
          <header class="site-header">
            <span class="site-name">
              @{username} <span class="handle">owner</span>
            </span>
            {signedIn === false ? null : <Nav current={section} />}
          </header>
          <main id="main" class="owner-main">
            {children}
          </main>
        </body>
      </html>
    ),
    { docType: "<!doctype html>\n" },
  );
}
