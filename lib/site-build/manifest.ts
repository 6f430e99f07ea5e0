/**
 * The build cache's manifest (build-cache.ts) on disk:
 *
 *   <dir>/manifest.json        "<sha256 of the rest>\n" + JSON: format, code key, the post packs' names,
 *                              the post files' signatures, every bulk output file's entry, the
 *                              RSS items' sizes
 *   <dir>/posts/<sha256>.json  a pack of parsed posts: those whose key starts with one hex digit,
 *                              named by the SHA-256 of its bytes
 *
 * The parsed posts are most of the bytes, and a build changes few of them: a pack whose posts are the
 * same is not written again (appending one post writes one sixteenth of them). Nothing is trusted: a
 * manifest that does not match its checksum, or names a pack whose bytes do not hash to its name, is
 * ignored whole.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ParsedPost } from "../publish/posts.ts";
import { fileSignature, sha256 } from "./cache-files.ts";

export const FORMAT = 6;
const PACKS = 16;
const PACK_DIR = "posts";

export type FileEntry = [string, string] | [string, string, string];

export interface Manifest {
  format: number;
  /** The build's code, Node's version and the build options (codeVersion()). */
  code: string;
  /** sha256(file name, bytes) -> the post as parsePost read it (`html` 0 in its pack when it is `bodyHtml`). */
  posts: Record<string, ParsedPost>;
  /** Post file -> [its stableSignature, its key in posts]: the next build takes the post without reading the file. */
  postFiles: Record<string, [string, string]>;
  /** Output path -> [sha256 of its inputs, sha256 of its bytes, and the object's stableSignature when it has one]. */
  files: Record<string, FileEntry>;
  /** The RSS items' sizes in bytes by "<post key>:<guid>", for the feed context (its digest) they were rendered with. */
  items: { context: string; bytes: Record<string, number> };
}

/** What a manifest's packs held, as read or saved: a pack with the same keys is the same bytes. */
type Packs = { name: string; keys: Set<string> }[];

/** A post as a pack stores it: `html` 0 when it is the same text as `bodyHtml`. */
type StoredPost = Omit<ParsedPost, "html"> & { html: string | 0 };

/**
 * The manifest this process saved last, per cache folder, with the manifest file's signature then: a
 * long-running process (npm start's rebuilds) takes it from memory, not reading, hashing and parsing
 * the file again, as long as the file is still the one it wrote (another build changes the signature,
 * and the file is read as usual). Its parsed posts are then the same objects build after build.
 */
const saved = new Map<string, { signature: string; manifest: Manifest }>();
const previousPacks = new WeakMap<Manifest, Packs>();

export function manifestFromMemory(dir: string, code: string): Manifest | undefined {
  const last = saved.get(dir);
  if (!last || last.manifest.code !== code) return undefined;
  try {
    return fileSignature(path.join(dir, "manifest.json")) === last.signature ? last.manifest : undefined;
  } catch {
    return undefined;
  }
}

function readPack(dir: string, name: string): Record<string, StoredPost> | undefined {
  if (!/^[0-9a-f]{64}$/.test(name)) return undefined;
  try {
    const bytes = readFileSync(path.join(dir, PACK_DIR, `${name}.json`));
    return sha256(bytes) === name ? (JSON.parse(bytes.toString("utf8")) as Record<string, StoredPost>) : undefined;
  } catch {
    return undefined;
  }
}

export function readManifest(dir: string, code: string): { manifest?: Manifest; ignored?: string } {
  const file = path.join(dir, "manifest.json");
  if (!existsSync(file)) return { ignored: "no cache yet" };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return { ignored: `unreadable (${error instanceof Error ? error.message : String(error)})` };
  }
  const newline = text.indexOf("\n");
  const body = text.slice(newline + 1);
  if (newline !== 64 || sha256(body) !== text.slice(0, 64)) return { ignored: "corrupt (checksum mismatch)" };
  let stored: Omit<Manifest, "posts"> & { posts: string[] };
  try {
    stored = JSON.parse(body);
  } catch {
    return { ignored: "corrupt (not JSON)" };
  }
  if (!stored || typeof stored !== "object" || stored.format !== FORMAT) return { ignored: "another cache format" };
  if (stored.code !== code) return { ignored: "written by other code or build options" };
  const tables = [stored.postFiles, stored.files, stored.items, stored.items?.bytes];
  if (!Array.isArray(stored.posts) || tables.some((table) => typeof table !== "object" || !table)) {
    return { ignored: "corrupt (missing tables)" };
  }
  const manifest: Manifest = { ...stored, posts: {} };
  const packs: Packs = [];
  for (const name of stored.posts) {
    const pack = readPack(dir, String(name));
    if (!pack) return { ignored: "corrupt (a pack of posts is missing or altered)" };
    // A post's feed text is its body unless it reposts (lib/publish/markdown.ts): stored once.
    for (const post of Object.values(pack)) if (post.html === 0) post.html = post.bodyHtml;
    Object.assign(manifest.posts, pack);
    packs.push({ name, keys: new Set(Object.keys(pack)) });
  }
  previousPacks.set(manifest, packs);
  return { manifest };
}

/** The posts split by the first hex digit of their key, keys sorted: the same posts are the same packs. */
function packsOf(posts: Record<string, ParsedPost>): string[][] {
  const packs: string[][] = Array.from({ length: PACKS }, () => []);
  for (const key of Object.keys(posts)) packs[Number.parseInt(key[0]!, 16) % PACKS]!.push(key);
  return packs.filter((keys) => keys.length).map((keys) => keys.sort());
}

const sameKeys = (a: Set<string>, b: readonly string[]) => a.size === b.length && b.every((key) => a.has(key));

function writeAtomically(file: string, bytes: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
}

/**
 * Write `manifest` to `dir`: only the packs whose posts changed since `previous` (the manifest this
 * build started from), then manifest.json, then remove the packs no longer named.
 */
export function writeManifest(dir: string, manifest: Manifest, previous: Manifest | undefined): void {
  const packDir = path.join(dir, PACK_DIR);
  mkdirSync(packDir, { recursive: true });
  const before = (previous && previousPacks.get(previous)) ?? [];
  const packs: Packs = [];
  for (const keys of packsOf(manifest.posts)) {
    let name = before.find((pack) => sameKeys(pack.keys, keys))?.name;
    if (!name || !existsSync(path.join(packDir, `${name}.json`))) {
      const json = `{${keys.map((key) => `${JSON.stringify(key)}:${postJson(manifest.posts[key]!)}`).join(",")}}`;
      const bytes = Buffer.from(json, "utf8");
      name = sha256(bytes);
      writeAtomically(path.join(packDir, `${name}.json`), bytes);
    }
    packs.push({ name, keys: new Set(keys) });
  }
  const { format, code, postFiles, files, items } = manifest;
  const body = JSON.stringify({ format, code, posts: packs.map((pack) => pack.name), postFiles, files, items });
  const file = path.join(dir, "manifest.json");
  writeAtomically(file, `${sha256(body)}\n${body}`);
  previousPacks.set(manifest, packs);
  saved.set(dir, { signature: fileSignature(file), manifest });
  const named = new Set(packs.map((pack) => `${pack.name}.json`));
  for (const name of readdirSync(packDir)) if (!named.has(name)) rmSync(path.join(packDir, name), { force: true });
}

function postJson(post: ParsedPost): string {
  // A post's feed text is its body unless it reposts (lib/publish/markdown.ts): stored once.
  return JSON.stringify(post.html === post.bodyHtml ? { ...post, html: 0 } : post);
}
