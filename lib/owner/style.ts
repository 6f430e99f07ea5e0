/**
 * The owner pages' stylesheet, served at /owner/style.css by the Worker itself (so the pages look the
 * same whether the public site is on this origin or elsewhere, and CSP can say style-src 'self'): the
 * public site's stylesheet when this Worker serves it, then these few rules of the owner's own.
 */
export const OWNER_CSS = `
.owner-nav ul { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; padding: 0; margin: 0; }
.owner-main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
.owner-counts { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.75rem; padding: 0; list-style: none; }
.owner-counts li { border: 1px solid var(--line, #ccc); border-radius: 8px; padding: 0.75rem; }
.owner-counts strong { display: block; font-size: 1.6rem; }
.owner-list { list-style: none; padding: 0; margin: 0; }
.owner-list > li { border-bottom: 1px solid var(--line, #ccc); padding: 0.75rem 0; }
.owner-meta { color: var(--muted, #555); font-size: 0.9rem; }
.owner-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.owner-actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.5rem; }
.owner-actions form { margin: 0; }
.owner-form label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
.owner-form input, .owner-form textarea { width: 100%; font: inherit; padding: 0.5rem; border: 1px solid var(--muted, #555); border-radius: 6px; background: var(--card, #fff); color: inherit; }
.owner-form textarea { min-height: 6rem; }
button { font: inherit; padding: 0.4rem 0.9rem; border-radius: 6px; border: 1px solid var(--accent, #1a5fb4); background: var(--card, #fff); color: var(--text, #111); cursor: pointer; min-height: 2.5rem; }
button.primary { background: var(--accent, #1a5fb4); color: var(--accent-text, #fff); }
.owner-error { border-left: 4px solid #b3261e; padding: 0.5rem 0.75rem; background: var(--card, #fff); }
.owner-notice { border-left: 4px solid var(--accent, #1a5fb4); padding: 0.5rem 0.75rem; background: var(--card, #fff); }
.badge { display: inline-block; border-radius: 999px; padding: 0 0.5rem; font-size: 0.85rem; border: 1px solid currentColor; }
.from-me { border-left: 3px solid var(--accent, #1a5fb4); padding-left: 0.75rem; }
.owner-post { border-left: 3px solid var(--line, #ccc); padding-left: 0.75rem; margin: 0.5rem 0; overflow-wrap: anywhere; }
.owner-form select { font: inherit; min-height: 2.5rem; max-width: 100%; padding: 0.4rem 0.5rem; border: 1px solid var(--muted, #555); border-radius: 6px; background: var(--card, #fff); color: inherit; }
.owner-filter { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.5rem 1rem; margin: 0.5rem 0 1rem; }
.owner-filter label { margin-top: 0; }
.owner-check { display: flex; align-items: center; gap: 0.5rem; min-height: 2.5rem; }
.owner-check input { width: 1.25rem; height: 1.25rem; margin: 0; accent-color: var(--accent, #1a5fb4); }
.owner-form .owner-check label { display: inline; margin: 0; }
.owner-byline { font-size: 1.05rem; margin: 0 0 0.25rem; overflow-wrap: anywhere; }
.owner-post a:not([href]) { color: inherit; text-decoration: none; }
.owner-context { color: var(--muted, #555); font-size: 0.95rem; margin: 0.25rem 0; overflow-wrap: anywhere; }
.owner-reason { border-left: 4px solid var(--muted, #555); padding: 0.25rem 0.75rem; overflow-wrap: anywhere; }
.owner-form h2 { margin-top: 2rem; }
.owner-pager { margin: 1.25rem 0; font-weight: 600; }
.owner-list > li:target { outline: 3px solid var(--accent, #1a5fb4); outline-offset: 4px; border-radius: 4px; }
h3 { overflow-wrap: anywhere; }
`;
