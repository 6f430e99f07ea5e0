/**
 * lib/shared/dates.ts: we write RFC 822 with a 4-digit year and +0000; we read RFC 822 leniently (the
 * spec's own sample uses "UTC") and ISO 8601 / RFC 3339 only with a zone.
 */
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../lib/harness/factories.ts";
import { formatHumanDate, formatIsoUtc, formatRfc822, parseFlexibleDate, parseIsoDateTime, parseRfc822 } from "../../lib/shared/dates.ts";

const SPEC_SAMPLE = Date.UTC(2015, 4, 16, 21, 32, 15); // "Sat, 16 May 2015 21:32:15 UTC" in the spec

describe("formatRfc822", () => {
  it("writes day name, 2-digit day, 4-digit year and +0000", () => {
    expect(formatRfc822(SPEC_SAMPLE)).toBe("Sat, 16 May 2015 21:32:15 +0000");
    expect(formatRfc822(Date.UTC(2026, 0, 5, 9, 2, 3))).toBe("Mon, 05 Jan 2026 09:02:03 +0000");
    expect(formatRfc822(Date.UTC(2028, 1, 29, 23, 59, 59, 999))).toBe("Tue, 29 Feb 2028 23:59:59 +0000");
    expect(formatRfc822(Date.UTC(1999, 11, 31, 0, 0, 0))).toBe("Fri, 31 Dec 1999 00:00:00 +0000");
  });

  it("round-trips through parseRfc822 (whole seconds) for many dates", () => {
    const rng = seededRandom(822);
    for (let i = 0; i < 500; i++) {
      const epoch = Date.UTC(rng.int(1970, 2100), 0, 1) + rng.int(0, 365 * 86_400 - 1) * 1000;
      const text = formatRfc822(epoch);
      expect(text).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
      expect(parseRfc822(text)).toBe(epoch);
      expect(Date.parse(text)).toBe(epoch);
    }
  });
});

describe("parseRfc822", () => {
  it.each([
    ["Sat, 16 May 2015 21:32:15 UTC", SPEC_SAMPLE],
    ["Sat, 16 May 2015 21:32:15 GMT", SPEC_SAMPLE],
    ["Sat, 16 May 2015 21:32:15 UT", SPEC_SAMPLE],
    ["Sat, 16 May 2015 21:32:15 Z", SPEC_SAMPLE],
    ["Sat, 16 May 2015 21:32:15 +0000", SPEC_SAMPLE],
    ["16 May 2015 21:32:15 +0000", SPEC_SAMPLE],
    ["Sat 16 May 2015 21:32:15 +0000", SPEC_SAMPLE],
    ["sat, 16 may 2015 21:32:15 utc", SPEC_SAMPLE],
    ["  Sat, 16 May 2015 21:32:15 +0000  ", SPEC_SAMPLE],
    ["Sat, 16 May 2015 21:32:15", SPEC_SAMPLE], // no zone: UTC
    ["Sat, 16 May 2015 23:32:15 +0200", SPEC_SAMPLE],
    ["Sat, 16 May 2015 17:02:15 -0430", SPEC_SAMPLE],
    ["Sat, 16 May 2015 17:32:15 EDT", SPEC_SAMPLE],
    ["Sat, 16 May 2015 16:32:15 EST", SPEC_SAMPLE],
    ["Sat, 16 May 2015 14:32:15 PDT", SPEC_SAMPLE],
    ["Sat, 16 May 2015 13:32:15 PST", SPEC_SAMPLE],
    ["Sat, 16 May 2015 15:32:15 CST", SPEC_SAMPLE],
    ["Sat, 16 May 2015 15:32:15 MDT", SPEC_SAMPLE],
    ["Sat, 16 May 15 21:32:15 +0000", SPEC_SAMPLE], // 2-digit year < 50: 20xx (RFC 2822 §4.3)
    ["Sun, 16 May 99 21:32:15 +0000", Date.UTC(1999, 4, 16, 21, 32, 15)], // >= 50: 19xx
    ["Sat, 16 May 2015 21:32 +0000", Date.UTC(2015, 4, 16, 21, 32, 0)], // no seconds
    ["6 May 2015 01:02:03 +0000", Date.UTC(2015, 4, 6, 1, 2, 3)], // 1-digit day
  ])("reads %j", (text, expected) => {
    expect(parseRfc822(text)).toBe(expected);
  });

  it.each([
    [""],
    ["yesterday"],
    ["Sat, 31 Feb 2015 21:32:15 +0000"], // no such day
    ["Sat, 16 Foo 2015 21:32:15 +0000"], // no such month
    ["Sat, 16 May 2015 25:32:15 +0000"],
    ["Sat, 16 May 2015 21:60:15 +0000"],
    ["Sat, 16 May 2015 21:32:15 +2400"],
    ["Sat, 16 May 2015 21:32:15 +0060"],
    ["Sat, 16 May 2015 21:32:15 XYZ"], // unknown zone name
    ["Xyz, 16 May 2015 21:32:15 +0000"], // not a day name
    ["Sat, 16 May 215 21:32:15 +0000"], // 3-digit year
    ["2015-05-16T21:32:15Z"], // ISO is not RFC 822
  ])("refuses %j", (text) => {
    expect(parseRfc822(text)).toBeUndefined();
  });
});

describe("parseIsoDateTime", () => {
  it.each([
    ["2015-05-16T21:32:15Z", SPEC_SAMPLE],
    ["2015-05-16t21:32:15z", SPEC_SAMPLE],
    ["2015-05-16 21:32:15Z", SPEC_SAMPLE],
    ["2015-05-16T23:32:15+02:00", SPEC_SAMPLE],
    ["2015-05-16T23:32:15+0200", SPEC_SAMPLE],
    ["2015-05-16T23:32:15+02", SPEC_SAMPLE],
    ["2015-05-16T16:02:15-05:30", SPEC_SAMPLE],
    ["2015-05-17T11:17:15+13:45", SPEC_SAMPLE],
    ["2015-05-16T21:32Z", Date.UTC(2015, 4, 16, 21, 32, 0)],
    ["2015-05-16T21:32:15.5Z", SPEC_SAMPLE + 500],
    ["2015-05-16T21:32:15,25Z", SPEC_SAMPLE + 250],
    ["2015-05-16T21:32:15.123456789Z", SPEC_SAMPLE + 123],
    ["2028-02-29T00:00:00Z", Date.UTC(2028, 1, 29)],
    ["2016-12-31T23:59:60Z", Date.UTC(2016, 11, 31, 23, 59, 59)], // a leap second reads as :59
  ])("reads %j", (text, expected) => {
    expect(parseIsoDateTime(text)).toBe(expected);
  });

  it.each([
    ["2015-05-16T21:32:15"], // no zone: whose 21:32?
    ["2015-05-16"],
    ["2015-05-16T21:32"],
    ["2026-02-29T10:00:00Z"], // 2026 is not a leap year
    ["2026-13-01T10:00:00Z"],
    ["2026-04-31T10:00:00Z"],
    ["2026-01-01T24:00:00Z"],
    ["2026-01-01T10:00:00+24:00"],
    ["2026-01-01T10:00:00+05:60"],
    ["26-01-01T10:00:00Z"],
    ["Sat, 16 May 2015 21:32:15 +0000"],
    [""],
  ])("refuses %j", (text) => {
    expect(parseIsoDateTime(text)).toBeUndefined();
  });
});

describe("parseFlexibleDate (what other services may send)", () => {
  it("reads RFC 822, ISO 8601 and RFC 3339 to the same instant", () => {
    for (const text of [
      "Sat, 16 May 2015 21:32:15 UTC",
      "Sat, 16 May 2015 21:32:15 +0000",
      "2015-05-16T21:32:15Z",
      "2015-05-16T22:32:15+01:00",
      "2015-05-16 21:32:15Z",
    ]) {
      expect(parseFlexibleDate(text), text).toBe(SPEC_SAMPLE);
    }
  });

  it("refuses what is neither", () => {
    for (const text of ["16/05/2015", "2015-05-16", "1431811935", "May 16, 2015"]) expect(parseFlexibleDate(text), text).toBeUndefined();
  });
});

describe("formatIsoUtc and formatHumanDate", () => {
  it("ISO in UTC, milliseconds only when present", () => {
    expect(formatIsoUtc(SPEC_SAMPLE)).toBe("2015-05-16T21:32:15Z");
    expect(formatIsoUtc(SPEC_SAMPLE + 42)).toBe("2015-05-16T21:32:15.042Z");
    expect(parseIsoDateTime(formatIsoUtc(SPEC_SAMPLE + 42))).toBe(SPEC_SAMPLE + 42);
  });

  it("a fixed English format in UTC, whatever the machine's locale", () => {
    expect(formatHumanDate(SPEC_SAMPLE)).toBe("16 May 2015, 21:32 UTC");
    expect(formatHumanDate(Date.UTC(2026, 0, 5, 7, 3))).toBe("5 Jan 2026, 07:03 UTC");
  });
});
