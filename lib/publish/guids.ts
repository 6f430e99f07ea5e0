import { compareChronologically, type FileError, type ParsedPost, type Post } from "./posts.ts";

/**
 * Spec "Required Item Elements": guid is "a unique, incrementing integer starting from 0". Replies,
 * reposts and reply notifications elsewhere point at these numbers, so a published guid must never
 * change.
 *
 * Every post carries its guid in its own file (`id:` in the front matter): `npm run new` and
 * `npm run import` write it, and `npm run ids` writes it once into older posts that lack it. The build
 * refuses a post without an `id:`, naming the file and the exact id to write. Why not number the
 * id-less posts automatically (in date order, as Skein first did): any automatic number depends on
 * the other posts, so adding a post can move it. A post dated before others renumbers every later
 * one; and even if only the newest post may lack an id, adding an older post with an explicit id at
 * or above the newest post's number (an import, or a backdated post given "the next free id") moves
 * the newest post up by one without any error. With the id in every file, adding a post can only
 * fail (a duplicate id, naming both files) or leave every other guid as it was.
 */

/** The id a post without one should be given, and why that one. */
export interface MissingId {
  file: string;
  id: number;
  /**
   * "current": the guid Skein's earlier automatic numbering gives the post today (its place in date
   * order), so a post already published keeps its number. "next-free": that number belongs to another
   * post's explicit id (that numbering could never have published it), so one past every id in use.
   */
  kind: "current" | "next-free";
}

/** At most this many posts without an id are listed one by one in a failed build; the rest are counted. */
export const MISSING_ID_ERRORS_LISTED = 20;

/**
 * The ids to write into the posts that have none (what the build's errors name and `npm run ids`
 * writes), in date order. Skein's earlier rule, walked oldest first: an explicit id keeps its
 * number and moves a counter past it; a post without one takes the counter. A post whose counter
 * value is some other post's explicit id gets the next free id instead, in date order after every
 * id in use.
 */
export function idsForPostsWithoutId(posts: readonly ParsedPost[]): MissingId[] {
  const ordered = [...posts].sort(compareChronologically);
  const explicit = new Set<number>();
  for (const post of ordered) if (post.id !== undefined) explicit.add(post.id);
  const result: MissingId[] = [];
  const taken: ParsedPost[] = [];
  let counter = 0;
  let highest = -1;
  for (const post of ordered) {
    if (post.id !== undefined) {
      counter = Math.max(counter, post.id + 1);
      highest = Math.max(highest, post.id);
      continue;
    }
    const id = counter++;
    if (explicit.has(id)) {
      taken.push(post);
    } else {
      result.push({ file: post.file, id, kind: "current" });
      highest = Math.max(highest, id);
    }
  }
  let next = highest + 1;
  for (const post of taken) result.push({ file: post.file, id: next++, kind: "next-free" });
  return result;
}

function missingIdMessage(missing: MissingId): string {
  const why =
    missing.kind === "current"
      ? "the guid its place in date order gives it today, so nothing already published moves"
      : "the next free id; the guid its place in date order would take is another post's `id:`";
  return `has no \`id:\`. Every post needs one, so that adding an older post can never change its guid: add \`id: ${missing.id}\` to its front matter (${why}), or run \`npm run ids\` to write the ids of every post that has none`;
}

/**
 * Posts (any order) -> posts with guids, oldest first, and the problems: a post without an `id:`
 * (with the id to write), or two posts with the same id (the older one keeps it). A post without an
 * id still comes back, with the id it should be given as its guid, so `npm run new` picks an id past
 * it; the build fails on the errors.
 */
/**
 * The Post made from a parsed post, kept while that parsed post lives: a process that builds again
 * (npm start's rebuilds, the build's cache handing back the same parsed objects) gets the same Post
 * object for an unchanged post, so what is derived from it by identity (the cache's digests) is not
 * computed again. Posts are never changed once made.
 */
const madePosts = new WeakMap<ParsedPost, Post>();

function withGuid(post: ParsedPost, guid: number): Post {
  const known = madePosts.get(post);
  if (known && known.guid === guid) return known;
  const made = { ...post, guid };
  madePosts.set(post, made);
  return made;
}

export function assignGuids(posts: readonly ParsedPost[]): { posts: Post[]; errors: FileError[] } {
  const ordered = [...posts].sort(compareChronologically);
  const missing = new Map(idsForPostsWithoutId(ordered).map((m) => [m.file, m]));
  const owners = new Map<number, ParsedPost>();
  const errors: FileError[] = [];
  const duplicates: { post: ParsedPost; owner: ParsedPost; id: number }[] = [];
  const result: Post[] = [];
  let listed = 0;
  let unlisted = 0;
  for (const post of ordered) {
    const suggestion = post.id === undefined ? missing.get(post.file) : undefined;
    if (suggestion && listed < MISSING_ID_ERRORS_LISTED) {
      errors.push({ file: post.file, message: missingIdMessage(suggestion) });
      listed++;
    } else if (suggestion) {
      unlisted++;
    }
    const guid = post.id ?? suggestion!.id;
    const owner = owners.get(guid);
    if (owner) {
      duplicates.push({ post, owner, id: guid });
      continue;
    }
    owners.set(guid, post);
    result.push(withGuid(post, guid));
  }
  if (unlisted) {
    errors.push({
      file: "posts/",
      message: `${unlisted} more post${unlisted === 1 ? "" : "s"} without an \`id:\` besides those listed; \`npm run ids\` writes the id of every post that has none`,
    });
  }
  const free = nextGuid(result);
  for (const { post, owner, id } of duplicates) {
    // Which of the two is new the build cannot know (it keeps no history); the person who just added one does.
    errors.push({
      file: post.file,
      message: `has the same \`id: ${id}\` as ${owner.file}; give the one you just added another id (the next free id is ${free}): a published post that changes its id breaks the replies that point at it`,
    });
  }
  return { posts: result, errors };
}

/** The id `npm run new` writes into a new post: one past the highest guid in use. */
export function nextGuid(posts: readonly Post[]): number {
  return posts.reduce((max, post) => Math.max(max, post.guid + 1), 0);
}

/**
 * A post file's text with `id: <id>` added to its front matter: right after a one-line `date:` (where
 * `npm run new` writes it), otherwise as the last front matter line. Line ends (LF or CRLF) and a
 * byte order mark are kept; nothing else changes. Undefined when the text has no front matter block
 * or already has a top-level `id:`; the caller re-reads the result to check it.
 */
export function withIdInFrontMatter(text: string, id: number): string | undefined {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const body = text.slice(bom.length);
  const open = /^---(\r?\n)/.exec(body);
  if (!open) return undefined;
  const eol = open[1]!;
  const lines = body.split(/(?<=\n)/);
  const close = lines.findIndex((line, i) => i > 0 && /^---[ \t]*\r?\n?$/.test(line));
  if (close < 0) return undefined;
  const front = lines.slice(1, close);
  if (front.some((line) => /^id[ \t]*:/.test(line))) return undefined;
  const dateLine = front.findIndex((line) => /^date[ \t]*:[ \t]*\S/.test(line));
  // A one-line date is followed by another top-level key or the end; an indented next line continues it.
  const oneLineDate = dateLine >= 0 && !/^[ \t]/.test(front[dateLine + 1] ?? "");
  const at = oneLineDate ? 1 + dateLine + 1 : close;
  lines.splice(at, 0, `id: ${id}${eol}`);
  return bom + lines.join("");
}
