/**
 * Characters XML 1.0 can carry (XML 1.0 §2.2 "Char"): tab, LF, CR, and everything from
 * U+0020 up except surrogates and U+FFFE/U+FFFF. A post or a message holding anything
 * else could never be written into a well-formed feed, so it is refused up front instead
 * of being silently dropped by a serializer.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export interface BadCharacter {
  /** Code point as U+XXXX. */
  codePoint: string;
  /** 1-based line and column of the first bad character. */
  line: number;
  column: number;
}

export function findNonXmlCharacter(text: string): BadCharacter | undefined {
  const match = NOT_XML_CHAR.exec(text);
  if (!match) return undefined;
  const before = text.slice(0, match.index);
  const line = before.split("\n").length;
  const column = match.index - before.lastIndexOf("\n");
  return { codePoint: codePointLabel(match[0].codePointAt(0) ?? 0), line, column };
}

/** U+XXXX. */
export function codePointLabel(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Offset of the first character XML cannot carry in text[from, to), or -1. */
export function indexOfNonXmlCharacter(text: string, from: number, to: number): number {
  const match = NOT_XML_CHAR.exec(from === 0 && to === text.length ? text : text.slice(from, to));
  return match ? from + match.index : -1;
}

export function isXmlSafe(text: string): boolean {
  return !NOT_XML_CHAR.test(text);
}
