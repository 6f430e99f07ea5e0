import { compareChronologically, type FileError, type ParsedPost, type Post } from "./posts.ts";

/**
 * Spec "Required Item Elements": guid is "a unique, incrementing integer starting from 0".
 *
 * Walk the posts oldest first with a counter starting at 0: a post with an explicit `id` keeps it
 * and moves the counter past it; any other post takes the counter. So guids grow with time,
 * appending a newer post never changes an older guid, and imported posts (explicit ids) keep
 * theirs. Two posts with the same guid fail the build, naming both files.
 */
export function assignGuids(posts: readonly ParsedPost[]): { posts: Post[]; errors: FileError[] } {
  const ordered = [...posts].sort(compareChronologically);
  const owners = new Map<number, ParsedPost>();
  const errors: FileError[] = [];
  const result: Post[] = [];
  let next = 0;
  for (const post of ordered) {
    let guid: number;
    if (post.id !== undefined) {
      guid = post.id;
      next = Math.max(next, guid + 1);
    } else {
      guid = next++;
    }
    const owner = owners.get(guid);
    if (owner) {
      const how = (p: ParsedPost) => (p.id !== undefined ? `id: ${guid}` : `automatic id ${guid}, from its place in date order`);
      errors.push({
        file: post.file,
        message: `has the same id as ${owner.file} (${how(post)} vs ${how(owner)}); give one of them a different \`id:\``,
      });
      continue;
    }
    owners.set(guid, post);
    result.push({ ...post, guid });
  }
  return { posts: result, errors };
}

/** The id `npm run new` writes into a new post: one past the highest guid in use. */
export function nextGuid(posts: readonly Post[]): number {
  return posts.reduce((max, post) => Math.max(max, post.guid + 1), 0);
}
