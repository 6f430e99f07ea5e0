/**
 * The incremental build's file helpers (build-cache.ts): placing an object in the output, checking an
 * object's bytes, and the key of a file's inputs.
 */
import crypto, { createHash } from "node:crypto";
import { type BigIntStats, copyFileSync, linkSync, mkdirSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";

/** One call where Node has crypto.hash (20.12): a third of createHash's cost for the many small texts hashed here. */
export const sha256: (data: string | Uint8Array) => string =
  typeof crypto.hash === "function" ? (data) => crypto.hash("sha256", data, "hex") : (data) => createHash("sha256").update(data).digest("hex");

/**
 * A hard link when the cache and the output share a file system (no bytes copied), else a copy. The
 * output is never written in place later (scripts/build.ts replaces whole files), so the link cannot
 * change the cache; if something else does, the cache's hash check refuses that object next time.
 */
export function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** A file's identity: the same file (a hard link to it) has the same one. */
export interface FileId {
  dev: bigint;
  ino: bigint;
}

export const signatureOf = (stat: BigIntStats): string => `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
export const fileSignature = (file: string): string => signatureOf(statSync(file, { bigint: true }));

/**
 * A cache object's identity without its ctime: linking an object into the output changes its ctime
 * (the inode's link count), not its bytes, and every build links them all. Writing the file, or
 * replacing it, changes its mtime or its inode. (git's core.trustctime=false, for the same reason.)
 */
export const objectSignature = (stat: BigIntStats): string => `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}`;

/** Files changed this recently when they were read are not known by their signature next time. */
export const RACY_MS = 2000;

/**
 * The signature a later build may know a file by instead of reading it again (the manifest keeps it):
 * objectSignature(), but only for a file last changed more than RACY_MS before `checkedAtMs`, when it
 * was read or hashed. A file changed just before its reading could change again within its mtime's
 * granularity, same size, same mtime ("racily clean", as git calls it): it gets none and is read.
 */
export function stableSignature(stat: BigIntStats, checkedAtMs: number): string | undefined {
  return Number(stat.mtimeMs) < checkedAtMs - RACY_MS ? objectSignature(stat) : undefined;
}

/** One buffer for hashing objects: no allocation per file (10,000 of them at each build). */
const readBuffer = Buffer.allocUnsafe(1 << 20);

/** sha256 of an open file, read to its end. */
export function hashOpenFile(fd: number): string {
  const hash = createHash("sha256");
  for (let n = readSync(fd, readBuffer); n > 0; n = readSync(fd, readBuffer)) hash.update(readBuffer.subarray(0, n));
  return hash.digest("hex");
}

/**
 * Make `target` the object's bytes: nothing to do when it is already that file (`objectId`, when the
 * caller has it, saves a stat), else replaced in one rename.
 */
export function replaceUnlessSame(object: string, target: string, objectId?: FileId): void {
  try {
    const a = objectId ?? statSync(object, { bigint: true });
    const b = statSync(target, { bigint: true });
    if (a.ino === b.ino && a.dev === b.dev) return;
  } catch {
    // no target yet
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.skein-${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  linkOrCopy(object, temporary);
  renameSync(temporary, target);
}

const digests = new WeakMap<object, string>();

/**
 * Key `value` by `key` instead of by its parts: a post by its file's key (the SHA-256 of its name and
 * bytes, from which the same code parses the same post) and its guid. "@" starts no other form.
 */
export function keyAs(value: object, key: string): void {
  digests.set(value, `@${key}`);
}

/**
 * A key for a JSON-able value, part by part: each object is keyed once however many files list it
 * (the profile in every page's inputs, a post in its page and in its Atom page). Keys in their order,
 * undefined and functions left out, as JSON.stringify does. A string is its length and itself (no
 * escaping to pay for); an object is the text of its parts' keys, or "#" and that text's SHA-256 once
 * longer than a hash: one hash per sizeable object, none for the small ones. Every form can be read
 * back unambiguously (lengths, brackets, a fixed-size hash), so different inputs get different keys.
 */
export function digest(value: unknown): string {
  if (typeof value === "string") return `${value.length}'${value}`;
  if (value === null || typeof value !== "object") return typeof value === "function" || value === undefined ? "-" : JSON.stringify(value);
  const known = digests.get(value);
  if (known) return known;
  let text: string;
  if (Array.isArray(value)) {
    text = "[";
    for (const item of value) text += `${digest(item)},`;
    text += "]";
  } else {
    text = "{";
    // A string the object holds twice (a post's feed text is its body unless it reposts) is keyed once:
    // the second time as "^" and the earlier field's name.
    let strings: Map<string, string> | undefined;
    for (const [name, item] of Object.entries(value)) {
      if (item === undefined || typeof item === "function") continue;
      const same = typeof item === "string" && item.length > 64 ? strings?.get(item) : undefined;
      text += `${name.length}'${name}:${same === undefined ? digest(item) : `^${same.length}'${same}`},`;
      if (typeof item === "string" && item.length > 64 && same === undefined) (strings ??= new Map()).set(item, name);
    }
    text += "}";
  }
  const result = text.length > 65 ? `#${sha256(text)}` : text;
  digests.set(value, result);
  return result;
}
