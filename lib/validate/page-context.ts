/**
 * What every rule of one page's check (page-rules.ts) reads and reports through: the problems found
 * so far, the spec's fields looked up leniently (the microblog namespace as someone who meant it
 * wrote it, camelCase and case variants, each noted once), and the checks many rules share (a
 * required field, an absolute URL, an RFC 822 date, an element that should not be empty, elements
 * neither RSS 2.0 nor the spec knows).
 */
import { parseIsoDateTime, parseRfc822 } from "../shared/dates.ts";
import { ATOM_NS, MICROBLOG_NS } from "../shared/spec.ts";
import { parseHttpUrl } from "../shared/urls.ts";
import { type Problem, SECTION, type Severity } from "./problems.ts";
import { childElements, ownText, type Position, type XmlElement } from "./xml-tree.ts";

export interface Located extends Position {
  value: string;
}

/** Where a spec field lives: the microblog namespace, or no namespace (RSS 2.0's own). */
export type FieldSpace = "microblog" | "rss";

/** Local-name key that equals for snake_case and camelCase spellings ("user_id", "userId", "userid"). */
export const looseKey = (local: string): string => local.replace(/_/g, "").toLowerCase();

/** The microblog namespace as written by someone who meant it, e.g. without the trailing slash or over https. */
const LOOKS_LIKE_MICROBLOG = /^https?:\/\/(www\.)?openmicroblog\.com\/?$/i;

const RFC822_STRICT =
  /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+(\d{2}|\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+([+-]\d{4}|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])$/;

/** A date as RSS 2.0 wants it (RFC 822 section 5): its time, and what is wrong with how it is written. */
export function checkRfc822(text: string): { epoch?: number; severity?: Severity; message?: string } {
  const value = text.trim();
  const match = RFC822_STRICT.exec(value);
  if (match) {
    const epoch = parseRfc822(value);
    if (epoch === undefined) return { severity: "error", message: `"${value}" is not a real date` };
    const day = match[1];
    if (day && new Date(epoch).toUTCString().slice(0, 3) !== day) {
      return { epoch, severity: "warning", message: `"${value}": that day is a ${new Date(epoch).toUTCString().slice(0, 3)}, not a ${day}` };
    }
    if (match[4]!.length === 2) return { epoch, severity: "note", message: `"${value}" has a 2-digit year; RSS 2.0 recommends 4 digits` };
    return { epoch };
  }
  const lenient = parseRfc822(value);
  if (lenient !== undefined && /\sUTC$/i.test(value)) {
    return { epoch: lenient, severity: "note", message: `"${value}": RFC 822 says UT or GMT (or +0000); the spec's own example writes UTC` };
  }
  if (lenient !== undefined)
    return { epoch: lenient, severity: "warning", message: `"${value}" is not quite RFC 822 (e.g. "Sat, 16 May 2015 21:32:15 +0000")` };
  const iso = parseIsoDateTime(value);
  if (iso !== undefined) {
    return { epoch: iso, severity: "error", message: `"${value}" is ISO 8601; RSS 2.0 dates are RFC 822, e.g. "Sat, 16 May 2015 21:32:15 +0000"` };
  }
  return { severity: "error", message: `"${value}" is not an RFC 822 date such as "Sat, 16 May 2015 21:32:15 +0000"` };
}

/** An element's own text, trimmed; undefined for no element. */
export const textOf = (element: XmlElement | undefined): string | undefined => (element ? ownText(element).trim() : undefined);

export const located = (element: XmlElement): Located => ({ value: ownText(element).trim(), line: element.line, column: element.column });

const shownName = (local: string, where: FieldSpace) => (where === "microblog" ? `microblog:${local}` : local);

export class PageContext {
  readonly problems: Problem[] = [];
  /** The first lenient spelling of the microblog namespace met (warned about once). */
  private oddNamespace: string | undefined;
  /** Fields looked up once per element and name, so a duplicate or a spelling is reported once. */
  private readonly seen = new WeakMap<XmlElement, Map<string, XmlElement | undefined>>();

  constructor(private readonly page: string) {}

  report(severity: Severity, section: string, message: string, at?: Position): void {
    const problem: Problem = { severity, page: this.page, section, message };
    if (at) {
      problem.line = at.line;
      problem.column = at.column;
    }
    this.problems.push(problem);
  }

  /** In the microblog namespace: exactly http://openmicroblog.com/, or leniently something that means it (Namespaces in XML 1.0). */
  readonly isMicroblog = (element: XmlElement): boolean => {
    if (element.ns === MICROBLOG_NS) return true;
    if (!element.ns || !LOOKS_LIKE_MICROBLOG.test(element.ns)) return false;
    if (this.oddNamespace === undefined) {
      this.oddNamespace = element.ns;
      this.report(
        "warning",
        SECTION.overview,
        `the microblog namespace is written "${element.ns}"; the spec's is "${MICROBLOG_NS}", and readers that match it exactly miss these elements`,
        element,
      );
    }
    return true;
  };

  /**
   * A spec field of `parent`: the element in the microblog namespace ("microblog" fields) or in no
   * namespace (RSS fields), by exact name; otherwise a differently spelled one (camelCase, case), noted.
   */
  field(parent: XmlElement, local: string, where: FieldSpace, section: string): XmlElement | undefined {
    const cache = this.seen.get(parent) ?? new Map<string, XmlElement | undefined>();
    this.seen.set(parent, cache);
    const key = `${where}:${local}`;
    if (!cache.has(key)) cache.set(key, this.lookupField(parent, local, where, section));
    return cache.get(key);
  }

  private lookupField(parent: XmlElement, local: string, where: FieldSpace, section: string): XmlElement | undefined {
    const inSpace = parent.children.filter((c): c is XmlElement => c.kind === "element" && (where === "microblog" ? this.isMicroblog(c) : c.ns === undefined));
    const exact = inSpace.filter((c) => c.local === local);
    const shown = shownName(local, where);
    if (exact.length > 1) this.report("warning", section, `<${shown}> appears ${exact.length} times; readers take the first`, exact[1]);
    if (exact[0]) return exact[0];
    const variant = inSpace.find((c) => looseKey(c.local) === looseKey(local));
    if (!variant) return undefined;
    const why =
      looseKey(local) === "pubdate"
        ? "the spec's lists and sample write pubdate, but RSS 2.0 and its readers (the spec's reference validator too) read pubDate"
        : /[A-Z]/.test(variant.local) && !/[A-Z]/.test(local)
          ? `camelCase is the spelling the spec announces for 0.6/0.7; 0.5 writes ${local}`
          : "XML names are case-sensitive: readers looking for the exact name miss it";
    this.report("note", looseKey(local) === "pubdate" ? SECTION.mainSample : section, `<${variant.name}> is read as <${shown}>: ${why}`, variant);
    return variant;
  }

  /** A field the spec requires: missing, outside its namespace or empty is an error. */
  required(parent: XmlElement, local: string, where: FieldSpace, section: string, what: string): XmlElement | undefined {
    const element = this.field(parent, local, where, section);
    const shown = shownName(local, where);
    if (!element) {
      // Named like the field but outside its namespace: say that rather than "missing".
      const stray =
        where === "microblog"
          ? childElements(parent).find((c) => !this.isMicroblog(c) && looseKey(c.local) === looseKey(local) && c.ns !== ATOM_NS)
          : undefined;
      if (stray) this.report("error", section, `<${stray.name}> must be <${shown}>, in the namespace ${MICROBLOG_NS}`, stray);
      else this.report("error", section, `<${parent.local}> has no <${shown}> (${what})`, parent);
      return undefined;
    }
    if (!textOf(element) && element.children.every((c) => c.kind !== "element")) {
      this.report("error", section, `<${shown}> is empty (${what})`, element);
      return undefined;
    }
    return element;
  }

  checkUrl(element: XmlElement | undefined, shown: string, section: string, severity: Severity = "error", relativeOk = false): void {
    const value = textOf(element);
    if (!element || !value || parseHttpUrl(value)) return;
    if (relativeOk && !/^[a-z][a-z0-9+.-]*:/i.test(value)) {
      this.report("warning", section, `<${shown}> "${value}" is a relative URL; readers resolve it against the page's URL, some will not`, element);
      return;
    }
    this.report(severity, section, `<${shown}> "${value}" is not an absolute http(s) URL`, element);
  }

  checkDate(element: XmlElement | undefined, shown: string, section: string): number | undefined {
    const value = textOf(element);
    if (!element || !value) return undefined;
    const checked = checkRfc822(value);
    if (checked.severity) this.report(checked.severity, checked.severity === "note" ? section : SECTION.rss, `<${shown}> ${checked.message}`, element);
    return checked.epoch;
  }

  emptyOptional(element: XmlElement | undefined, shown: string, section: string): void {
    if (element && !textOf(element) && element.children.length === 0)
      this.report("warning", section, `<${shown}> is empty: leave an element out rather than empty`, element);
  }

  /** Children neither the spec (this layout's fields) nor RSS 2.0 knows: extensions need a namespace. */
  unknownElements(parent: XmlElement, knownMicroblog: readonly string[], knownRss: ReadonlySet<string>, section: string): void {
    const keys = new Set(knownMicroblog.map(looseKey));
    const rssKeys = new Set([...knownRss].map(looseKey));
    for (const child of childElements(parent)) {
      if (this.isMicroblog(child)) {
        if (!keys.has(looseKey(child.local))) this.report("warning", section, `<${child.name}> is not an Open Microblog 0.5 element`, child);
      } else if (child.ns === undefined && !knownRss.has(child.local)) {
        if (rssKeys.has(looseKey(child.local))) continue; // a differently spelled RSS field, noted where it is read
        if (keys.has(looseKey(child.local))) continue; // a microblog field without its namespace, reported where it is read
        this.report("warning", SECTION.rss, `<${child.name}> is not an RSS 2.0 element (extensions need a namespace)`, child);
      }
    }
  }
}
