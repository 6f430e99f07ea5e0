/**
 * The incremental build's cache: what the previous build parsed and wrote, keyed by content, so the
 * next build renders only what a change can touch (docs/incremental-build.md).
 *
 *   <dir>/manifest.json, <dir>/posts/   what the previous build parsed and wrote (manifest.ts)
 *   <dir>/objects/ab/ab..               the output bytes, named by their sha256
 *
 * Nothing in it is trusted: a manifest that does not match its own checksum, has another format or
 * was written by other code or other build options is ignored whole (a full build); an object whose
 * bytes do not hash to its name is never used (that file is rendered), and one is known without
 * hashing only by the signature it had when a build last hashed it (cache-files.ts stableSignature).
 * Keys are content hashes, so a cache from another site only matches where the inputs are the same. Archives never change by design
 * (lib/publish/feed/paginate.ts), so after appending a post nearly every file is a cache hit.
 */
import { createHash } from "node:crypto";
import { type BigIntStats, closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FeedContext } from "../publish/feed/main-feed.ts";
import { itemBytes } from "../publish/feed/xml-writer.ts";
import type { Post, PostSource } from "../publish/posts.ts";
import { parsePost } from "../publish/posts.ts";
import type { BuildOptions } from "../publish/site.ts";
import { digest, hashOpenFile, keyAs, linkOrCopy, objectSignature, replaceUnlessSame, sha256, stableSignature } from "./cache-files.ts";
import { codeVersion } from "./code-version.ts";
import { FORMAT, type Manifest, manifestFromMemory, readManifest, writeManifest } from "./manifest.ts";

/** Where `npm run build` keeps it (deploy.yml keeps this folder between deploys with actions/cache). */
export const DEFAULT_CACHE_DIR = ".cache/skein";

export interface CacheStats {
  /** Why the previous cache was not used, when it was not (missing, corrupt, other code). */
  ignored?: string;
  postsReused: number;
  postsParsed: number;
  filesReused: number;
  filesRendered: number;
  /** Post files taken by their signature from the previous build's manifest, not read. */
  postsKnownByStat: number;
  /** Cached objects known by their signature (one stat), not read and hashed. */
  objectsKnownByStat: number;
  /** The previous manifest was this process's own, taken from memory (npm start's rebuilds), not read from the file. */
  fromMemory?: boolean;
}

/**
 * Objects this process has hashed or written, with the file's identity then (objectSignature: inode,
 * size, mtime): a long-running process (npm start's rebuilds) does not hash an unchanged object twice;
 * writing or replacing the file changes its signature, and it is hashed again.
 */
const checkedObjects = new Map<string, string>();

/** sha256(file name, bytes), remembered by the bytes object (site-source.ts hands back the same one for an unchanged file). */
const postKeys = new WeakMap<Uint8Array, { file: string; key: string }>();

function postKey(source: PostSource): string {
  const known = postKeys.get(source.bytes);
  if (known?.file === source.file) return known.key;
  const key = createHash("sha256").update(`${source.file}\0`).update(source.bytes).digest("hex");
  postKeys.set(source.bytes, { file: source.file, key });
  return key;
}

/**
 * What this process last placed in a synced folder (npm start's _site): target path -> object hash, and
 * the folder's identity then. While the manifest is this process's own (no other build ran since: see
 * savedManifests) and the folder is the same one, a file placed here is still that object: no stat of
 * either, 10,000 files a rebuild.
 */
const placed = new Map<string, string>();
let placedFolder = "";

function folderIdentity(folder: string): string {
  try {
    const stat = statSync(folder, { bigint: true });
    return `${path.resolve(folder)}:${stat.dev}:${stat.ino}`;
  } catch {
    return "";
  }
}

export class BuildCache {
  readonly stats: CacheStats = { postsReused: 0, postsParsed: 0, filesReused: 0, filesRendered: 0, postsKnownByStat: 0, objectsKnownByStat: 0 };
  private readonly previous: Manifest | undefined;
  private readonly next: Manifest;
  private readonly madeDirs = new Set<string>();
  private syncFolder: string | undefined;
  /** <dir>/objects/, resolved: object paths are made by concatenation (10,000 of them a build). */
  private readonly objectsDir: string;
  /** When this build started: a file older than RACY_MS then may be known by its signature next time. */
  private readonly startedAt = Date.now();
  /** This build's post files: their stableSignature (site-source.ts notes it) and their key. */
  private readonly postSignatures = new Map<string, string>();
  private readonly fileKeys = new Map<string, string>();
  /** Sources this cache made for files it knows by their signature (knownPost): their key, no bytes. */
  private readonly knownSources = new WeakMap<PostSource, string>();

  /** Open the cache in `dir` for a build with these options (nothing is written until save()). */
  constructor(
    readonly dir: string,
    options: BuildOptions = {},
  ) {
    const { parsePost: _parse, itemBytes: _bytes, ...plainOptions } = options;
    const code = sha256(`${FORMAT}\n${codeVersion()}\n${process.version}\n${JSON.stringify(plainOptions)}`);
    const remembered = manifestFromMemory(dir, code);
    const { manifest, ignored } = remembered ? { manifest: remembered, ignored: undefined } : readManifest(dir, code);
    this.previous = manifest;
    if (ignored) this.stats.ignored = ignored;
    if (remembered) this.stats.fromMemory = true;
    this.objectsDir = `${path.resolve(dir, "objects")}${path.sep}`;
    this.next = { format: FORMAT, code, posts: {}, postFiles: {}, files: {}, items: { context: "", bytes: {} } };
  }

  /** The post file `file` (posts/x.md) has this stableSignature now, or none (site-source.ts, as it reads or stats it). */
  notePostFile(file: string, signature: string | undefined): void {
    if (signature) this.postSignatures.set(file, signature);
    else this.postSignatures.delete(file);
  }

  /**
   * A source for `file` when the previous build read it with this same signature and parsed it: its
   * key stands for the bytes, which are not read (parsePost knows the post by the key).
   */
  knownPost(file: string, signature: string): PostSource | undefined {
    const entry = this.previous?.postFiles[file];
    if (!entry || entry[0] !== signature || !this.previous?.posts[entry[1]]) return undefined;
    const source: PostSource = { file, bytes: new Uint8Array(0) };
    this.knownSources.set(source, entry[1]);
    this.stats.postsKnownByStat++;
    return source;
  }

  /** parsePost, remembered by the file's name and bytes. Files with errors are not remembered. */
  readonly parsePost = (source: PostSource): ReturnType<typeof parsePost> => {
    const key = this.knownSources.get(source) ?? postKey(source);
    const known = this.previous?.posts[key] ?? this.next.posts[key];
    const result: ReturnType<typeof parsePost> = known ? { ok: true, value: known } : parsePost(source);
    if (known) this.stats.postsReused++;
    else this.stats.postsParsed++;
    if (!result.ok) return result;
    this.next.posts[key] = result.value;
    this.fileKeys.set(source.file, key);
    const signature = this.postSignatures.get(source.file);
    if (signature) this.next.postFiles[source.file] = [signature, key];
    return result;
  };

  /**
   * A post's RSS item size (lib/publish/site.ts BuildOptions.itemBytes): the previous build's for the
   * same post, guid and feed context, else rendered and counted. Paging needs every item's size, and
   * renders then only the items of the pages it writes.
   */
  readonly itemBytes = (post: Post, context: FeedContext, render: () => string): number => {
    const key = this.postIdentity(post);
    const items = this.next.items;
    items.context ||= digest(context);
    const previous = this.previous?.items.context === items.context ? this.previous.items.bytes : undefined;
    const bytes = (key && previous?.[key]) || itemBytes(render());
    if (key) items.bytes[key] = bytes;
    return bytes;
  };

  /** Key each post by its file's key and guid (keyAs): what made it, not its parts' hundreds of bytes each. */
  keyPosts(posts: readonly Post[]): void {
    for (const post of posts) {
      const key = this.postIdentity(post);
      if (key) keyAs(post, key);
    }
  }

  /** What made a post: its file's key (name and bytes) and its guid; undefined for a post this cache did not parse. */
  private postIdentity(post: Post): string | undefined {
    const file = this.fileKeys.get(post.file);
    return file && `${file}:${post.guid}`;
  }

  /**
   * In place of the output folder Eleventy writes to, bulk files go straight into `folder`, which holds
   * the previous build's output (npm start's rebuilds): only files whose bytes changed are replaced, and
   * no folder is created or removed for the others. Only with a usable previous manifest (it says which
   * files the previous build wrote, so the ones no longer built can be removed); returns whether it applies.
   */
  syncInto(folder: string): boolean {
    if (!this.previous) return false;
    this.syncFolder = path.resolve(folder);
    const identity = folderIdentity(folder);
    if (!this.stats.fromMemory || identity !== placedFolder) placed.clear();
    placedFolder = identity;
    return true;
  }

  get syncing(): boolean {
    return this.syncFolder !== undefined;
  }

  /** Where the bulk file `relative` goes: into the sync folder when there is one, else under `outDir`. */
  targetFor(outDir: string, relative: string): string {
    // `relative` is an output path (site-files.ts outputPath: no "." or ".." parts): no path.join needed.
    return this.syncFolder ? `${this.syncFolder}${path.sep}${relative}` : path.join(outDir, relative);
  }

  /** Bulk files the sync folder holds as the previous build's output: Eleventy's mirror leaves them alone. */
  keptInSyncFolder(): ReadonlySet<string> {
    return new Set(this.syncFolder ? Object.keys(this.next.files) : []);
  }

  /**
   * Write the output file `relative` to `target`: a link to (or copy of) the previous build's bytes when
   * its inputs are the same and those bytes still hash to what was recorded, else render() it.
   */
  writeOutput(relative: string, target: string, inputs: unknown, render: () => string): void {
    const key = digest(inputs);
    const known = this.previous?.files[relative];
    if (this.syncFolder && known && known[0] === key && (placed.get(target) === known[1] || this.isKnownObject(target, known[2]))) {
      // npm start: this process put these bytes there, and their inputs did not change: nothing to check.
      // Or the file there is the object itself (a hard link), unchanged since a build hashed it: one stat.
      this.stats.filesReused++;
      this.next.files[relative] = known;
      placed.set(target, known[1]);
      return;
    }
    let hash: string;
    const intact = known && known[0] === key ? this.intactObject(known[1], known[2]) : undefined;
    const signature = intact && stableSignature(intact, this.startedAt);
    if (known && intact) {
      hash = known[1];
      this.stats.filesReused++;
    } else {
      const bytes = Buffer.from(render(), "utf8");
      hash = sha256(bytes);
      this.writeObject(hash, bytes);
      this.stats.filesRendered++;
    }
    this.next.files[relative] = signature ? [key, hash, signature] : [key, hash];
    const object = this.objectPath(hash);
    if (!this.syncFolder) {
      linkOrCopy(object, target);
    } else if (placed.get(target) !== hash) {
      replaceUnlessSame(object, target, intact);
      placed.set(target, hash);
    }
  }

  /** Whether `file` is a cached object with this stableSignature (the same inode, size and mtime). */
  private isKnownObject(file: string, signature: string | undefined): boolean {
    if (!signature) return false;
    try {
      if (objectSignature(statSync(file, { bigint: true })) !== signature) return false;
    } catch {
      return false;
    }
    this.stats.objectsKnownByStat++;
    return true;
  }

  /**
   * After the staging folder this build wrote became `folder` (renamed into place): every bulk file in
   * it is the object this build placed, so npm start's next rebuild, syncing into it, need not look.
   */
  placedInto(folder: string): void {
    placed.clear();
    placedFolder = folderIdentity(folder);
    for (const [relative, [, hash]] of Object.entries(this.next.files)) placed.set(path.join(folder, relative), hash);
  }

  /** With a sync folder: remove the bulk files the previous build wrote and this one did not (a deleted post's page). */
  removeUnbuilt(): void {
    if (!this.syncFolder || !this.previous) return;
    for (const relative of Object.keys(this.previous.files)) {
      if (relative in this.next.files) continue;
      const file = path.join(this.syncFolder, relative);
      rmSync(file, { force: true });
      placed.delete(file);
      const dir = path.dirname(file);
      if (dir !== this.syncFolder && existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
    }
  }

  /** After a successful build: write the manifest, then drop objects no file refers to any more. */
  save(): void {
    writeManifest(this.dir, this.next, this.previous);
    this.pruneObjects();
  }

  private objectPath(hash: string): string {
    return `${this.objectsDir}${hash.slice(0, 2)}${path.sep}${hash}`;
  }

  /**
   * The object's stat when its bytes still hash to its name, else undefined (never used). An object
   * with the signature it had when it was last hashed, by this process (npm start) or by the build
   * that wrote the manifest (`signature`, a stableSignature), is known by one stat.
   */
  private intactObject(hash: string, signature?: string): BigIntStats | undefined {
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    const file = this.objectPath(hash);
    let fd: number | undefined;
    try {
      const mine = checkedObjects.get(file);
      const known = mine ?? signature;
      if (known) {
        const stat = statSync(file, { bigint: true });
        // This process's own record is exact; a manifest's is taken by size and mtime (rsync's quick
        // check): a cache restored from an archive (actions/cache's tar --posix) keeps those to the
        // nanosecond, not the inodes. A file in _site/ is known only as the object's very inode.
        if (mine ? known === objectSignature(stat) : known.endsWith(`:${stat.size}:${stat.mtimeNs}`)) {
          this.stats.objectsKnownByStat++;
          return stat;
        }
      }
      fd = openSync(file, "r");
      const stat = fstatSync(fd, { bigint: true });
      if (hashOpenFile(fd) !== hash) return undefined;
      checkedObjects.set(file, objectSignature(stat));
      return stat;
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private writeObject(hash: string, bytes: Uint8Array): void {
    const file = this.objectPath(hash);
    const dir = path.dirname(file);
    if (!this.madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    // A file there already has these bytes (or is broken, and then it is replaced); a short write from a
    // build killed halfway fails intactObject() and is never used.
    if (!this.intactObject(hash)) {
      rmSync(file, { force: true });
      writeFileSync(file, bytes);
      checkedObjects.set(file, objectSignature(statSync(file, { bigint: true })));
    }
  }

  private pruneObjects(): void {
    const wanted = new Set(Object.values(this.next.files).map(([, hash]) => hash));
    // After a build on a good manifest, the objects it referenced are the only candidates: no listing.
    if (this.previous) {
      for (const [, hash] of Object.values(this.previous.files)) {
        if (wanted.has(hash)) continue;
        rmSync(this.objectPath(hash), { force: true });
        checkedObjects.delete(this.objectPath(hash));
      }
      return;
    }
    const root = path.join(this.dir, "objects");
    if (!existsSync(root)) return;
    for (const sub of readdirSync(root)) {
      for (const name of readdirSync(path.join(root, sub))) {
        if (wanted.has(name)) continue;
        rmSync(path.join(root, sub, name), { force: true });
        checkedObjects.delete(path.join(root, sub, name));
      }
    }
  }
}

const active = new Map<string, BuildCache>();

/** The cache the build of `root` uses (scripts/build.ts sets it; Eleventy's events read it), or none. */
export function activeBuildCache(root: string): BuildCache | undefined {
  return active.get(path.resolve(root));
}

export function setActiveBuildCache(root: string, cache: BuildCache | undefined): void {
  if (cache) active.set(path.resolve(root), cache);
  else active.delete(path.resolve(root));
}
