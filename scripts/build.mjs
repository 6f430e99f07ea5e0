/**
 * npm run build's entry point, in plain JavaScript so it starts without tsx: it runs scripts/build.ts
 * from a precompiled entry, one ES module bundled by esbuild from scripts/build.ts, eleventy.config.ts,
 * the site/ templates, the lib/ files they import and the packages those import, Eleventy included,
 * kept in .cache/skein/entry/ beside the build's cache. Starting a build through tsx costs about 2.5 s
 * of CPU (every module of the build and of Eleventy passes tsx's loader, some 800), most of an
 * incremental build (docs/incremental-build.md).
 *
 * The entry is named by a key over the code it is made from (every file of lib/ and site/ without
 * site/_data, eleventy.config.ts, scripts/build.ts, this file, package-lock.json, tsconfig.json), the
 * project folder, Node's version and esbuild's: any change makes a new one. It starts with the SHA-256
 * of the rest and is used only when that still matches and every package file in it still has the
 * bytes it was bundled from. With --no-cache (a full build that keeps no cache), or when esbuild
 * cannot make the entry, the build runs through tsx as before.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const KEY_PATHS = ["lib", "site", "eleventy.config.ts", "scripts/build.ts", "scripts/build.mjs", "package-lock.json", "tsconfig.json"];
const CONTENT_PATHS = new Set(["site/_data"]);
const ENTRY_DIR = ".cache/skein/entry";
const STAMP_FILE = ".cache/skein/entry-stamp.json";
/** As lib/site-build/cache-files.ts RACY_MS: a file changed this recently when it was hashed gets no signature. */
const RACY_MS = 2000;
const sha256 = (data) => createHash("sha256").update(data).digest("hex");

function filesUnder(relative, out) {
  if (CONTENT_PATHS.has(relative)) return;
  const full = path.join(ROOT, relative);
  if (!existsSync(full)) return;
  try {
    for (const name of readdirSync(full).sort()) filesUnder(`${relative}/${name}`, out);
  } catch (error) {
    if (error.code !== "ENOTDIR") throw error;
    out.push(relative);
  }
}

function esbuildVersion() {
  return createRequire(import.meta.url)("esbuild/package.json").version;
}

/** The code's files, in a fixed order. */
function keyFiles() {
  const files = [];
  for (const entry of KEY_PATHS) filesUnder(entry, files);
  return files;
}

/** The key: the code's files (path and bytes, in a fixed order), the project folder, Node's and esbuild's versions. */
function entryKey(files) {
  const hash = createHash("sha256").update(`skein-build-entry 1\0${ROOT}\0${process.version}\0${esbuildVersion()}\0`);
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(readFileSync(path.join(ROOT, file)))
      .update("\0");
  return hash.digest("hex");
}

/** The entry's module text: the build's exports plus every site/ template, by its path. */
function entrySource(templates) {
  const lines = [
    'export { main, USAGE, usePrecompiledEleventy } from "./scripts/build.ts";',
    'export { runCommand } from "./lib/cli/run.ts";',
    'export { configureSkein, config } from "./eleventy.config.ts";',
    ...templates.map((file, i) => `import * as template${i} from "./${file}";`),
    `export const templates = { ${templates.map((file, i) => `${JSON.stringify(file)}: template${i}`).join(", ")} };`,
  ];
  return lines.join("\n");
}

/**
 * Each bundled file keeps its own import.meta.url, as when it is loaded from its own file:
 * lib/site-build/code-version.ts finds the code's folder by it, Eleventy its own files.
 */
const ownImportMetaUrl = {
  name: "own-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.(tsx?|m?js)$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const loader = args.path.endsWith(".tsx") ? "tsx" : args.path.endsWith(".ts") ? "ts" : "js";
      return { contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader };
    });
  },
};

/**
 * Bundle the entry: the project's files and the packages they import, Eleventy too (not its dev
 * server, which a build never starts): one module to load, not some 800. Undefined when esbuild fails
 * or a project file in it is not under the key. Returns the module text and the package files in it,
 * each with its SHA-256.
 */
async function bundle() {
  const { build } = await import("esbuild");
  const files = [];
  filesUnder("site", files);
  const templates = files.filter((file) => file.endsWith(".11ty.ts"));
  const result = await build({
    stdin: { contents: entrySource(templates), resolveDir: ROOT, sourcefile: "build-entry.ts", loader: "ts" },
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    format: "esm",
    target: `node${process.versions.node.split(".")[0]}`,
    external: ["@11ty/eleventy-dev-server"],
    // CommonJS packages in an ES module: their require() of Node's own modules needs a require.
    banner: { js: 'import { createRequire as skeinCreateRequire } from "node:module";\nconst require = skeinCreateRequire(import.meta.url);' },
    tsconfig: path.join(ROOT, "tsconfig.json"),
    plugins: [ownImportMetaUrl],
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const packageFiles = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input === "build-entry.ts") continue;
    if (input.split("/").includes("node_modules")) {
      const full = path.resolve(ROOT, input);
      packageFiles[full] = sha256(readFileSync(full));
    } else if (!KEY_PATHS.some((entry) => input === entry || input.startsWith(`${entry}/`))) return undefined;
  }
  return { code: result.outputFiles[0].text, packageFiles };
}

/** Whether each package file bundled in the entry still has the bytes it had (a package updated or patched in place). */
function packagesUnchanged(packageFiles) {
  try {
    return Object.entries(packageFiles).every(([file, hash]) => sha256(readFileSync(file)) === hash);
  } catch {
    return false;
  }
}

/** A file's identity (as lib/site-build/cache-files.ts stableSignature), or undefined when it changed within RACY_MS of `now`. */
function stableSignature(file, now) {
  try {
    const stat = statSync(file, { bigint: true });
    return Number(stat.mtimeMs) < now - RACY_MS ? `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The stamp written when an entry was checked: the signature of every file its key and check read
 * (the code's files, the entry, its package files), with the key. When every one is unchanged, the
 * entry is known by some 1,000 stats instead of reading and hashing those files (about 0.15 s).
 */
function stampedEntry(dir, files) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(process.cwd(), STAMP_FILE), "utf8"));
  } catch {
    return undefined;
  }
  const now = Date.now();
  if (!stamp || stamp.context !== stampContext() || typeof stamp.files !== "object" || !stamp.files) return undefined;
  const file = path.join(dir, `${stamp.key}.mjs`);
  // A code file added since is not in the stamp; one removed or changed has another signature (or none).
  const listed = [...files.map((relative) => path.join(ROOT, relative)), file].every((full) => Object.hasOwn(stamp.files, full));
  return listed && Object.entries(stamp.files).every(([full, signature]) => signature === stableSignature(full, now)) ? file : undefined;
}

/** What else the key covers: the project folder, Node's and esbuild's versions. */
function stampContext() {
  return `${ROOT}\0${process.version}\0${esbuildVersion()}`;
}

/** Record the signatures of the files an entry was checked by (no stamp if any changed within RACY_MS). */
function writeStamp(key, files, entryFile, packageFiles) {
  const now = Date.now();
  const file = path.join(process.cwd(), STAMP_FILE);
  const signatures = {};
  for (const full of [...files.map((relative) => path.join(ROOT, relative)), entryFile, ...Object.keys(packageFiles)]) {
    const signature = stableSignature(full, now);
    if (!signature) {
      rmSync(file, { force: true });
      return;
    }
    signatures[full] = signature;
  }
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify({ key, context: stampContext(), files: signatures }));
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/**
 * The precompiled entry's file: the one already made for this key when intact and its packages
 * unchanged, else a new one (or undefined). Its first line is the SHA-256 of the rest, its second the
 * package files bundled in it.
 */
async function precompiledEntry() {
  const dir = path.join(process.cwd(), ENTRY_DIR);
  const files = keyFiles();
  const stamped = stampedEntry(dir, files);
  if (stamped) return stamped;
  const key = entryKey(files);
  const file = path.join(dir, `${key}.mjs`);
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    const first = text.indexOf("\n");
    const second = text.indexOf("\n", first + 1);
    if (text.slice(0, first) === `// sha256 ${sha256(text.slice(first + 1))}` && text.startsWith("// packages ", first + 1)) {
      const packageFiles = JSON.parse(text.slice(first + 13, second));
      if (packagesUnchanged(packageFiles)) {
        writeStamp(key, files, file, packageFiles);
        return file;
      }
    }
  }
  let made;
  try {
    made = await bundle();
  } catch {
    return undefined;
  }
  if (made === undefined) return undefined;
  // Only one entry is kept: the others were made from other code.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rest = `// packages ${JSON.stringify(made.packageFiles)}\n${made.code}`;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `// sha256 ${sha256(rest)}\n${rest}`);
  renameSync(temporary, file);
  return file;
}

// Eleventy registers a module resolver hook to re-import templates changed in watch mode (its
// ELEVENTY_SKIP_ESM_RESOLVER, 11ty/eleventy#3371); on Node 20 it runs every later import through a
// loader thread (about 0.3 s of CPU here). A build is one run, and the precompiled entry imports no
// template at all.
process.env.ELEVENTY_SKIP_ESM_RESOLVER ??= "1";
const argv = process.argv.slice(2);
const entry = argv.includes("--no-cache") ? undefined : await precompiledEntry();
if (entry) {
  const build = await import(pathToFileURL(entry).href);
  build.usePrecompiledEleventy({ configure: build.configureSkein, config: build.config, templates: build.templates });
  await build.runCommand("npm run build", build.USAGE, build.main);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const build = await import("./build.ts");
  const { runCommand } = await import("../lib/cli/run.ts");
  await runCommand("npm run build", build.USAGE, build.main);
}
