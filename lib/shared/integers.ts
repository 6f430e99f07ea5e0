/**
 * The one integer parser for text from outside (URL paths, query strings, env vars, CLI flags):
 * canonical decimal digits only -- no sign, no leading zeros, no spaces, no exponent -- within
 * [min, max] and a safe integer. "007", "1e3", " 5" and "5.0" are all refused, so an id or a limit
 * has exactly one spelling.
 */
export interface IntegerRange {
  min?: number;
  max?: number;
}

const CANONICAL = /^(0|[1-9]\d{0,15})$/;

export function parseInteger(text: string | undefined, range: IntegerRange = {}): number | undefined {
  if (text === undefined || !CANONICAL.test(text)) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return undefined;
  if (range.min !== undefined && value < range.min) return undefined;
  if (range.max !== undefined && value > range.max) return undefined;
  return value;
}
