/**
 * The Worker's bundle guard: `wrangler deploy --dry-run --minify` must stay under this (the e2e test
 * test/e2e/deploy-paths.test.ts enforces it; `npm run bench:inbox` reports against it). It guards
 * against growth, not against the platform: Cloudflare allows a free-plan Worker 3 MB gzipped. The
 * Worker serves the inbox, the timeline, the outbox, the owner's pages and the scheduled jobs; the
 * README ("Benchmarks") has the measured size and what it is made of. Raise it on purpose, with a
 * reason, never to make a failing build pass unexamined.
 */
// 224 -> 256 KiB (issue 10): the owner's timeline, follows and outbox pages, the answer and write
// forms add 21 KiB minified (212.5 KiB before them, 233.3 KiB after, measured by wrangler's dry run).
export const BUNDLE_LIMIT_BYTES = 256 * 1024;
