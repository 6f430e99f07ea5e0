/**
 * The frame of every owner page: the same look as the public site (its stylesheet, served again at
 * /owner/style.css), no JavaScript, a skip link, a navigation that marks the current page, and a
 * sign-out button. Everything interpolated is escaped by Hono's JSX; strangers' HTML only enters
 * through sanitizeHtml() and `raw` in the page that shows it.
 */
import type { Child, FC } from "hono/jsx";

export type OwnerSection = "overview" | "inbox" | "timeline" | "outbox" | "sign-in";

export interface LayoutProps {
  title: string;
  section: OwnerSection;
  /** @username of the owner, shown in the header. */
  username: string;
  signedIn: boolean;
  /** Sections that exist in this Worker (later capabilities add theirs). */
  sections: readonly { section: OwnerSection; path: string; label: string }[];
  children?: Child;
}

export const Layout: FC<LayoutProps> = (props) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex, nofollow" />
      <title>{`${props.title} · @${props.username}'s Skein`}</title>
      <link rel="stylesheet" href="/owner/style.css" />
    </head>
    <body>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <span class="site-name">
          @{props.username} <span class="handle">owner</span>
        </span>
        {props.signedIn ? (
          <nav class="owner-nav" aria-label="Owner">
            <ul>
              {props.sections.map((item) => (
                <li>
                  <a href={item.path} aria-current={item.section === props.section ? "page" : undefined}>
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
        ) : null}
      </header>
      <main id="main" class="owner-main">
        {props.children}
      </main>
    </body>
  </html>
);
