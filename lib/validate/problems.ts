/**
 * What the validator reports: a problem on a page (URL or path), at a line where one is known, with
 * the section of the Open Microblog 0.5 spec (or of RSS 2.0 / XML 1.0) it comes from.
 *
 * - error: the spec (or RSS 2.0 / XML) says otherwise; `npm run validate` exits 1.
 * - warning: allowed, but readers will likely get it wrong, or a recommendation is not followed.
 * - note: what the spec's own samples do differently from its lists or from RSS 2.0 (<pubdate>,
 *   isPermalink, a <channel count> attribute...): readers should accept it, writers should not copy it.
 */
export type Severity = "error" | "warning" | "note";

export interface Problem {
  severity: Severity;
  /** The page's URL, or its path for a local file. */
  page: string;
  line?: number;
  column?: number;
  /** Where the rule comes from, e.g. "Main Feed Layout › Required Item Elements". */
  section: string;
  message: string;
}

/** Section names as the spec titles them (Open Microblog 0.5, 2015-05-23), plus the standards it builds on. */
export const SECTION = {
  overview: "How does it work?",
  paging: "Feed Paging",
  relocation: "Relocation",
  messaging: "Private Messaging",
  mainChannel: "Main Feed Layout › Required Channel Elements",
  mainChannelOptional: "Main Feed Layout › Optional Channel Elements",
  mainItem: "Main Feed Layout › Required Item Elements",
  mainItemOptional: "Main Feed Layout › Optional Item Elements",
  mainNotes: "Main Feed Layout › Notes",
  mainSample: "Main Feed Layout › Sample Feed",
  listChannel: "Alternate Feed Layout › Required Channel Elements",
  listItem: "Alternate Feed Layout › Required Item Elements",
  listSample: "Alternate Feed Layout › Sample Feed",
  rss: "RSS 2.0",
  xml: "XML 1.0",
  namespaces: "Namespaces in XML 1.0",
  feedHistory: "RFC 5005 (Feed Paging and Archiving)",
} as const;

export function countBySeverity(problems: readonly Problem[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  for (const problem of problems) counts[problem.severity]++;
  return counts;
}

/** In the order the pages were read, then by line; at one place, errors before warnings before notes. */
export function sortProblems(problems: readonly Problem[], pageOrder: readonly string[]): Problem[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, note: 2 };
  const pageRank = (page: string) => {
    const index = pageOrder.indexOf(page);
    return index < 0 ? pageOrder.length : index;
  };
  return [...problems].sort(
    (a, b) => pageRank(a.page) - pageRank(b.page) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || rank[a.severity] - rank[b.severity],
  );
}
