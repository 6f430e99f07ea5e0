/**
 * What `npm run new -- "text"` writes: a file name and markdown with the right front matter. Pure:
 * the caller passes the time and the id (one past the highest guid in use, see lib/publish/guids.ts), so the
 * new post keeps its guid even if an older post is added later.
 */
import { formatIsoUtc } from "../shared/dates.ts";

export interface NewPostInput {
  text: string;
  /** Epoch ms of "now" (the caller's clock). */
  now: number;
  id: number;
  language?: string;
}

/** "Hello, wide world! Again" -> "hello-wide-world-again" (ASCII letters and digits, at most 6 words). */
export function slugify(text: string): string {
  const words = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter(Boolean)
    .slice(0, 6);
  const slug = words.join("-").slice(0, 48).replace(/-+$/, "");
  return slug || "post";
}

export function newPostFile(input: NewPostInput, taken: (name: string) => boolean): { name: string; content: string } {
  const day = formatIsoUtc(input.now).slice(0, 10);
  const base = `${day}-${slugify(input.text)}`;
  let name = `${base}.md`;
  for (let n = 2; taken(name); n++) name = `${base}-${n}.md`;
  // Seconds precision: enough for ordering, and what people write by hand.
  const date = formatIsoUtc(Math.floor(input.now / 1000) * 1000);
  const front = [`date: ${date}`, `id: ${input.id}`];
  if (input.language) front.push(`language: ${input.language}`);
  return { name, content: `---\n${front.join("\n")}\n---\n${input.text.trim()}\n` };
}
