/**
 * What the owner must not take at face value in what a sender wrote (docs/signing.md):
 *
 * - Look-alike names: a username in another script, or mixing scripts, that renders like the owner's
 *   or a followed account's ("wrеn" with a Cyrillic е vs "wren"). Compared by a skeleton in the spirit
 *   of Unicode TS #39 §4 (confusable detection): NFKC, lower case, invisible characters dropped, and
 *   the Cyrillic and Greek letters that look like Latin ones mapped to them. A short table, not the
 *   whole confusables.txt: it covers the letters that usernames ([A-Za-z0-9_]) can be imitated with.
 * - Untrusted text: every field a sender chose is shown as text, never as markup; the owner API lists
 *   them per item so a client knows, and names the ones that look like an attempt (markup, a
 *   script URL) in `suspicious`.
 */

const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: "a",
  в: "b",
  е: "e",
  ё: "e",
  к: "k",
  м: "m",
  н: "h",
  о: "o",
  р: "p",
  с: "c",
  т: "t",
  у: "y",
  х: "x",
  ѕ: "s",
  і: "i",
  ї: "i",
  ј: "j",
  ԁ: "d",
  ԛ: "q",
  ԝ: "w",
  ү: "y",
  һ: "h",
  ɡ: "g",
  // Greek
  α: "a",
  β: "b",
  ε: "e",
  η: "n",
  ι: "i",
  κ: "k",
  μ: "u",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  ω: "w",
  ϲ: "c",
  ϳ: "j",
  // Latin look-alikes from other blocks, and digits people read as letters in names
  ı: "i",
  ȷ: "j",
  ℓ: "l",
  "0": "o",
  "1": "l",
};

/** Characters that render as nothing (format controls, fillers, variation selectors): [first, last] code points. */
const INVISIBLE: [number, number][] = [
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x61c, 0x61c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

const invisible = (char: string): boolean => {
  const code = char.codePointAt(0) ?? 0;
  return INVISIBLE.some(([first, last]) => code >= first && code <= last);
};

export function skeleton(name: string): string {
  let out = "";
  for (const char of name.normalize("NFKC").toLowerCase()) if (!invisible(char)) out += CONFUSABLES[char] ?? char;
  return out.replace(/[_-]/g, "");
}

/**
 * The known name (the owner's or a followed account's) that `username` imitates: same skeleton,
 * different text, and not plain ASCII (two ASCII names that differ are just two names). Undefined
 * when it imitates nobody.
 */
export function lookalikeOf(username: string, knownNames: readonly string[]): string | undefined {
  if (/^[\x20-\x7e]*$/.test(username)) return undefined;
  const shape = skeleton(username);
  return knownNames.find((known) => known !== username && skeleton(known) === shape);
}

/** Sender-chosen fields of each kind of item: show them as text (item_html: only through the sanitizer). */
export const UNTRUSTED_FIELDS = {
  messages: ["user_id", "username", "user_link", "message", "date"],
  replies: ["user_id", "username", "user_link", "status_id", "item_html", "item_link", "item_date"],
} as const;

const MARKUP = /<\s*[a-z!/?]|&#?\w+;/i;

/** Fields whose text looks like an attempt: markup in a name or message, a user_link that is not http(s). */
export function suspiciousFields(item: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const field of ["username", "message"]) {
    const value = item[field];
    if (typeof value === "string" && MARKUP.test(value)) found.push(field);
  }
  const link = item.user_link;
  if (typeof link === "string" && !/^https?:\/\//i.test(link.trim())) found.push("user_link");
  return found;
}
