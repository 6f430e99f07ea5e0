import matter from "gray-matter";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { err, ok, type Result } from "../shared/result.ts";
import { describeIssues } from "../shared/schemas.ts";
import { findNonXmlCharacter } from "../shared/xml-text.ts";
import { plainText, renderPostBody, truncate } from "./markdown.ts";
import { parseSimpleYaml } from "./simple-yaml.ts";
import { type PostFrontMatter, postFrontMatter } from "./site-schemas.ts";

/** A post file as read from disk: its display path ("posts/hello.md") and raw bytes. */
export interface PostSource {
  file: string;
  bytes: Uint8Array;
}

/** A post that passed validation, before it has a guid. */
export interface ParsedPost {
  file: string;
  /** Explicit `id` from front matter, if any. */
  id?: number;
  /** Publication time, epoch milliseconds. */
  date: number;
  language?: string;
  replyTo?: NonNullable<PostFrontMatter["reply_to"]>;
  /** A reply to a web page that is not an Open Microblog item (webmention target). */
  inReplyTo?: string;
  repost?: Omit<NonNullable<PostFrontMatter["repost"]>, "text"> & { html: string };
  /** The owner's own words as HTML ("" for a plain repost). */
  bodyHtml: string;
  /** What the feed's <description> carries: the body, the reposted text, or both. */
  html: string;
  /** One line of plain text for titles. */
  summary: string;
}

export interface Post extends ParsedPost {
  guid: number;
}

/** A problem with one input file; the build collects all of them before failing. */
export interface FileError {
  file: string;
  message: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decode strictly: a file that is not UTF-8 is an error, never a page of U+FFFD. */
export function decodeUtf8(file: string, bytes: Uint8Array): Result<string, FileError[]> {
  try {
    return ok(utf8.decode(bytes).replace(/^\uFEFF/, ""));
  } catch {
    return err([{ file, message: "is not valid UTF-8 text" }]);
  }
}

/** Check a whole text for characters XML 1.0 cannot carry, so the error can point at a line. */
export function checkXmlCharacters(file: string, text: string): FileError | undefined {
  const bad = findNonXmlCharacter(text);
  if (!bad) return undefined;
  return {
    file,
    message: `line ${bad.line}, column ${bad.column}: character ${bad.codePoint} cannot be carried by XML 1.0 (feeds would be broken); remove it`,
  };
}

/** YAML 1.2 core schema: dates stay strings, so a date without a zone can be refused, not guessed. */
export function parseYamlText(text: string): unknown {
  return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
}

function yamlErrorMessage(error: unknown, lineOffset: number): string {
  if (error instanceof YAMLParseError) {
    const position = error.linePos?.[0];
    const where = position ? `line ${position.line + lineOffset}: ` : "";
    const reason = error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? "invalid YAML";
    return `${where}front matter is not valid YAML: ${reason}`;
  }
  return `front matter is not valid YAML: ${error instanceof Error ? error.message : String(error)}`;
}

/** A post file read and checked; every problem found in it, each naming the file. */
export function parsePost(source: PostSource): Result<ParsedPost, FileError[]> {
  const { file } = source;
  const decoded = decodeUtf8(file, source.bytes);
  if (!decoded.ok) return decoded;
  // CRLF files (Windows editors): gray-matter would leave a "\r" on the last front matter value.
  const text = decoded.value.replace(/\r\n?/g, "\n");
  const badChar = checkXmlCharacters(file, text);
  if (badChar) return err([badChar]);

  let data: unknown;
  let content: string;
  try {
    // A YAML scalar (not a mapping) comes back as is; the schema then says what is wrong with it.
    const parsed = matter(text, { engines: { yaml: (yaml) => (parseSimpleYaml(yaml) ?? parseYamlText(yaml) ?? {}) as object } });
    data = parsed.data;
    content = parsed.content;
  } catch (error) {
    // gray-matter hands the YAML over with the line break after the opening "---" still in front,
    // so YAML line numbers are already file line numbers.
    return err([{ file, message: yamlErrorMessage(error, 0) }]);
  }
  if (!/^\uFEFF?---\r?\n/.test(text)) {
    return err([{ file, message: "has no front matter: start the file with a --- block holding at least `date:`" }]);
  }

  const checked = postFrontMatter.safeParse(data ?? {});
  if (!checked.success) {
    return err(describeIssues(checked.error.issues).map((message) => ({ file, message })));
  }
  const front = checked.data;
  // A repost carries the original text; a repost with a comment quotes it below the comment.
  const { bodyHtml, repostHtml, html } = renderPostBody(content, front.repost?.text);
  if (!bodyHtml && !front.repost) {
    return err([{ file, message: "has no text: write the post below the front matter" }]);
  }
  const post: ParsedPost = {
    file,
    date: front.date,
    bodyHtml,
    html,
    summary: truncate(plainText(bodyHtml || repostHtml), 80),
  };
  if (front.id !== undefined) post.id = front.id;
  if (front.language !== undefined) post.language = front.language;
  if (front.reply_to) post.replyTo = front.reply_to;
  if (front.in_reply_to) post.inReplyTo = front.in_reply_to;
  if (front.repost) {
    const { text: _text, ...rest } = front.repost;
    post.repost = { ...rest, html: repostHtml };
  }
  return ok(post);
}

/** Chronological order, ties broken by file name (code units, so no locale can change it). */
export function compareChronologically(a: { date: number; file: string }, b: { date: number; file: string }): number {
  if (a.date !== b.date) return a.date - b.date;
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}
