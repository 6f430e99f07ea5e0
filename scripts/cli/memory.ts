/**
 * Eleventy keeps every rendered page until the build ends, and V8 lets the heap grow to about twice
 * what is live before it collects: a 50,000-post build then peaked over 1 GB. A full collection every
 * few thousand written pages keeps the peak near what is live. It needs `node --expose-gc` (as
 * `npm run build` runs); without it this does nothing, and sites with fewer pages never reach it.
 */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

/**
 * An Eleventy transform that passes every page through unchanged and, every `pages` pages, queues a
 * full collection. Queued (not run inside the transform) so it happens between page writes and
 * Eleventy's per-transform timing does not count it.
 */
export function collectGarbageEvery(pages: number): (content: string) => string {
  let seen = 0;
  return (content) => {
    if (collectGarbage && ++seen % pages === 0) queueMicrotask(collectGarbage);
    return content;
  };
}
