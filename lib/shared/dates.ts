/**
 * Date handling for feeds. Writers are strict, readers are lenient:
 * - we write RFC 822 dates with a 4-digit year and "+0000" (never "UTC", which RFC 822 lacks);
 * - we read ISO 8601 / RFC 3339 and RFC 822 (including the spec sample's "UTC" zone), because the
 *   spec's "Sending Private Messages" says RFC 822 is preferred but ISO 8601 and RFC 3339 may be sent.
 * Everything here is pure: no clock reads.
 */

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function validParts(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  return y >= 1000 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/** Epoch milliseconds from calendar parts plus a zone offset in minutes east of UTC. */
function fromParts(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMinutes: number): number {
  return Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms) - offsetMinutes * 60_000;
}

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * ISO 8601 / RFC 3339 date-time that names its zone ("2026-01-02T09:30:00Z", "...+02:00").
 * A date without a zone is ambiguous (whose 09:30?), so it is refused rather than guessed.
 */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_WITH_ZONE.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const s = m[6] ? Number(m[6]) : 0;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (!validParts(y, mo, d, h, mi, s)) return undefined;
  const zone = m[8] as string;
  let offset = 0;
  if (zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const zh = Number(digits.slice(0, 2));
    const zm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (zh > 23 || zm > 59) return undefined;
    offset = sign * (zh * 60 + zm);
  }
  return fromParts(y, mo, d, h, mi, s, ms, offset);
}

const RFC822_ZONES: Record<string, number> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
};

const RFC822 = /^(?:([A-Za-z]{3}),?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,3})?$/;

/** RFC 822 / RFC 1123 date, read leniently (2- or 4-digit year, named zones, missing zone = UTC). */
export function parseRfc822(text: string): number | undefined {
  const m = RFC822.exec(text.trim());
  if (!m) return undefined;
  const day = Number(m[2]);
  const monthIndex = MONTH_NAMES.findIndex((name) => name.toLowerCase() === (m[3] as string).toLowerCase());
  if (monthIndex < 0) return undefined;
  let year = Number(m[4]);
  if ((m[4] as string).length === 2) year += year < 50 ? 2000 : 1900; // RFC 2822 §4.3
  const h = Number(m[5]);
  const mi = Number(m[6]);
  const s = m[7] ? Number(m[7]) : 0;
  if (!validParts(year, monthIndex + 1, day, h, mi, s)) return undefined;
  const zone = m[8];
  let offset = 0;
  if (zone) {
    if (/^[+-]\d{4}$/.test(zone)) {
      const sign = zone.startsWith("-") ? -1 : 1;
      const zh = Number(zone.slice(1, 3));
      const zm = Number(zone.slice(3, 5));
      if (zh > 23 || zm > 59) return undefined;
      offset = sign * (zh * 60 + zm);
    } else {
      const named = RFC822_ZONES[zone.toUpperCase()];
      if (named === undefined) return undefined;
      offset = named;
    }
  }
  if (m[1] && !DAY_NAMES.some((name) => name.toLowerCase() === (m[1] as string).toLowerCase())) return undefined;
  return fromParts(year, monthIndex + 1, day, h, mi, s, 0, offset);
}

/** Any date another service may send us: RFC 822 first (the spec's preference), then ISO 8601 / RFC 3339. */
export function parseFlexibleDate(text: string): number | undefined {
  return parseRfc822(text) ?? parseIsoDateTime(text);
}

/** "Sat, 16 May 2015 21:32:15 +0000": RFC 822 with a 4-digit year, always in UTC. */
export function formatRfc822(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${DAY_NAMES[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTH_NAMES[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/** "2015-05-16T21:32:15Z" (milliseconds only when present), for <time datetime> and storage. */
export function formatIsoUtc(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

/** "16 May 2015, 21:32 UTC": for people; fixed format so builds do not depend on the machine's locale. */
export function formatHumanDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCDate()} ${MONTH_NAMES[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/**
 * Whole seconds until the next 00:00 UTC (at least 1): the Retry-After of anything that resets with
 * the UTC day -- D1's free-plan daily limits, the inbox's daily cap.
 */
export function secondsToNextUtcDay(epochMs: number): number {
  const day = 24 * 60 * 60_000;
  return Math.max(1, Math.ceil((Math.floor(epochMs / day + 1) * day - epochMs) / 1000));
}
