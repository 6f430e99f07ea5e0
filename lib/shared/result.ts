/**
 * The one result shape of the codebase: a value, or an error saying why not. Validation, fetching,
 * parsing and authentication all answer with it, so callers handle every failure the same way.
 */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
