/**
 * The front matter almost every post has -- `date: 2026-01-02T08:00:00Z`, `id: 42`, `language: fr`,
 * one plain `key: value` a line -- read without the full YAML parser, which would take about a third
 * of a 10,000-post build. Anything else (nesting, quotes, comments, flow collections, a repeated key, a
 * value that YAML 1.2's core schema would read as null, a boolean or a float, trailing spaces)
 * returns undefined, and the caller parses it with the `yaml` package, so errors and their
 * line numbers are the same. test/publish/simple-yaml.test.ts compares both on random front matter.
 */

const LINE = /^([a-z_][a-z0-9_]*): (.+)$/;
/** YAML 1.2 core schema int (decimal, no sign), short enough to stay exact as a number. */
const INT = /^(?:0|[1-9][0-9]{0,14})$/;
/** Dates and date-times stay strings in the core schema (no timestamp type in YAML 1.2). */
const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;
/** A plain word: a string unless the core schema reads it as null or a boolean (YAML 1.2 §10.3.2). */
const WORD = /^[A-Za-z][A-Za-z0-9-]*$/;
const NOT_A_STRING = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;

function scalar(text: string): string | number | undefined {
  if (INT.test(text)) return Number(text);
  if (DATE.test(text)) return text;
  if (WORD.test(text) && !NOT_A_STRING.test(text)) return text;
  return undefined;
}

/** A mapping of plain scalars, one `key: value` a line, or undefined when the text is anything more. */
export function parseSimpleYaml(text: string): Record<string, string | number> | undefined {
  const out: Record<string, string | number> = {};
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const match = LINE.exec(line);
    if (!match) return undefined;
    const [, key, raw] = match as unknown as [string, string, string];
    if (Object.hasOwn(out, key)) return undefined;
    const value = scalar(raw);
    if (value === undefined) return undefined;
    out[key] = value;
  }
  return Object.keys(out).length ? out : undefined;
}
