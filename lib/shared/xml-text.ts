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
  const code = match[0].codePointAt(0) ?? 0;
  return { codePoint: `U+${code.toString(16).toUpperCase().padStart(4, "0")}`, line, column };
}

export function isXmlSafe(text: string): boolean {
  return !NOT_XML_CHAR.test(text);
}
