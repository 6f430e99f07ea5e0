/**
 * "0 lost": every 201 the inbox sent must be a row in D1 (lib/inbox/public-routes.ts: "201 means it is in D1"). The
 * same check runs for the one-D1-insert reference route against its own table (bench_reference), so
 * its figures are known to be those of real writes; the caller passes the message texts found in the
 * rows either way.
 *
 * Counting alone cannot tell: when a timed run ends, autocannon closes connections with requests in
 * flight, and the server may still store those without anyone reading the 201, so rows can exceed
 * 201s without anything being wrong. Each request carries its own number (load.ts), so the check is
 * per request: every number answered 201 has a row, and every row is a number this benchmark sent and
 * either got a 201 or no answer at all.
 */
import { type Ledger, messageNumber } from "./load.ts";

export interface LostCheck {
  /** Requests sent to the route, warm-up included. */
  sent: number;
  /** 201 Created responses read. */
  created: number;
  /** Rows in the route's table (messages, or bench_reference for the insert route). */
  storedRows: number;
  /** 201s without a row: lost messages. */
  lost: number;
  lostExamples: number[];
  /** Rows for requests that got no response (cut off at the end of a run, or timed out). */
  storedUnanswered: number;
  /** Requests that got no response at all. */
  unanswered: number;
  /** Rows for requests answered with something other than 201 (e.g. a 500 after the write). */
  storedOtherStatus: number;
  /** Rows this benchmark did not send (the copy starts empty, so none are expected). */
  foreignRows: number;
  ok: boolean;
}

export function checkLost(ledger: Ledger, storedTexts: readonly string[]): LostCheck {
  const stored = new Set<number>();
  let foreignRows = 0;
  for (const text of storedTexts) {
    const n = messageNumber(text);
    if (n === undefined || n >= ledger.next) foreignRows++;
    else stored.add(n);
  }
  const lostNumbers = [...ledger.created].filter((n) => !stored.has(n)).sort((a, b) => a - b);
  let storedUnanswered = 0;
  let storedOtherStatus = 0;
  for (const n of stored) {
    if (!ledger.answered.has(n)) storedUnanswered++;
    else if (!ledger.created.has(n)) storedOtherStatus++;
  }
  return {
    sent: ledger.next,
    created: ledger.created.size,
    storedRows: storedTexts.length,
    lost: lostNumbers.length,
    lostExamples: lostNumbers.slice(0, 10),
    storedUnanswered,
    unanswered: ledger.next - ledger.answered.size,
    storedOtherStatus,
    foreignRows,
    ok: lostNumbers.length === 0 && foreignRows === 0,
  };
}
