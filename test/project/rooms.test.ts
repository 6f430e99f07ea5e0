/**
 * The house's rooms (ARCHITECTURE.md) and the arrows allowed between them, for both sides.
 *
 * The Worker side: functions/ and the Worker's rooms of lib/ (worker, owner, inbox, timeline, outbox, websub, write,
 * webmention, indieauth, micropub on worker-kit, on shared); of the publish path only its markdown renderer (lib/publish/markdown.ts,
 * for the Write page's preview: the preview must be the page, so it is the build's renderer, not a second one), never
 * the build's YAML, front matter and XML writer; lib/worker, the composition root, is imported by no room.
 * The Node side: the pure cores (publish, validate, move), the build's I/O (site-build), what the commands share
 * (cli) and the dev harness (harness: project copies, local servers, the browser) that tests, benchmarks and
 * scripts/screenshots.ts share. The build never uses the commands' parts or the harness; no Worker room uses a
 * Node room; nothing outside test/ imports test/.
 * Every relative import of every .ts, .tsx, .mts and .mjs file is read, and the Worker's entry is followed through
 * every file it reaches, so an indirect import is caught too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/harness/project-copy.ts";

/** Each room of lib/ and the rooms it may import (its own files always). A new room is added here and in ARCHITECTURE.md. */
const ROOMS: Record<string, readonly string[]> = {
  shared: [],
  "worker-kit": ["shared"],
  inbox: ["worker-kit", "shared"],
  outbox: ["worker-kit", "shared"],
  websub: ["worker-kit", "shared"],
  timeline: ["websub", "worker-kit", "shared"],
  write: ["outbox", "worker-kit", "shared"],
  webmention: ["inbox", "outbox", "worker-kit", "shared"],
  indieauth: ["worker-kit", "shared"],
  micropub: ["write", "timeline", "indieauth", "worker-kit", "shared"],
  owner: ["inbox", "timeline", "outbox", "write", "indieauth", "webmention", "worker-kit", "shared"],
  worker: ["owner", "inbox", "timeline", "outbox", "websub", "write", "webmention", "indieauth", "micropub", "worker-kit", "shared"],
  publish: ["shared"],
  validate: ["shared"],
  move: ["publish", "validate", "shared"],
  "site-build": ["publish", "shared"],
  cli: ["site-build", "publish", "shared"],
  harness: ["site-build", "publish", "shared"],
  "dev-server": ["shared"],
};
/** The one file of the publish path the Worker bundles, and the only room that may import it. */
const PREVIEW_RENDERER = "lib/publish/markdown.ts";
const PREVIEW_USER = "owner";
const WORKER_ROOMS = ["worker", "worker-kit", "inbox", "timeline", "outbox", "owner", "websub", "write", "webmention", "indieauth", "micropub", "shared"];
const NODE_ROOMS = ["site-build", "cli", "harness", "dev-server"];

const SOURCE = /\.(ts|tsx|mts|mjs)$/;
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s+["']([^"']+)["']/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) found.push((match[1] ?? match[2] ?? match[3])!);
  return found;
}

/** Every file reachable from `entry` by relative imports, and every package it imports. */
function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [path.resolve(REPO_ROOT, entry)];
  while (stack.length) {
    const file = stack.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!SOURCE.test(file)) continue;
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith(".")) stack.push(path.resolve(path.dirname(file), specifier));
      else packages.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);
    }
  }
  return { files, packages };
}

const relative = (file: string) => path.relative(REPO_ROOT, file);

/** The source files under `place` (a folder or one file), repository-relative. */
function filesUnder(place: string): string[] {
  const full = path.join(REPO_ROOT, place);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [place];
  return readdirSync(full).flatMap((name) => {
    const child = path.join(place, name);
    return statSync(path.join(REPO_ROOT, child)).isDirectory() ? filesUnder(child) : SOURCE.test(name) ? [child] : [];
  });
}

/** `from -> to` for every relative import of a file under `places` whose target `leaves` says is wrong. */
function importsLeaving(places: string | readonly string[], leaves: (target: string) => boolean): string[] {
  return [places].flat().flatMap((place) =>
    filesUnder(place).flatMap((file) =>
      importsOf(path.join(REPO_ROOT, file))
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) => relative(path.resolve(path.dirname(path.join(REPO_ROOT, file)), specifier)))
        .filter(leaves)
        .map((target) => `${file} -> ${target}`),
    ),
  );
}

const inRooms = (rooms: readonly string[]) => (target: string) => rooms.some((room) => target.startsWith(`lib/${room}/`));

describe("the rooms of lib/", () => {
  it("every room of lib/ is listed with its allowed arrows", () => {
    const rooms = readdirSync(path.join(REPO_ROOT, "lib")).filter((name) => statSync(path.join(REPO_ROOT, "lib", name)).isDirectory());
    expect(rooms.filter((room) => !(room in ROOMS))).toEqual([]);
  });

  it.each(Object.entries(ROOMS))("lib/%s imports only its own files and %j", (room, allowed) => {
    const allowedFile = (target: string) => room === PREVIEW_USER && target === PREVIEW_RENDERER;
    expect(importsLeaving(`lib/${room}`, (target) => !inRooms([room, ...allowed])(target) && !allowedFile(target))).toEqual([]);
  });

  it("the rules are read from .tsx files too", () => {
    expect(filesUnder("lib/owner").some((file) => file.endsWith(".tsx"))).toBe(true);
  });
});

describe("the Worker's side", () => {
  const worker = reachable("functions/index.ts");

  it("the Worker reaches only functions/, the Worker's rooms and the build's markdown renderer: nothing else of the publish path, the Node rooms, the scripts or the site", () => {
    const inside = new RegExp(`^(functions|lib/(${WORKER_ROOMS.join("|")}))/`);
    expect([...worker.files].map(relative).filter((file) => !inside.test(file) && file !== PREVIEW_RENDERER)).toEqual([]);
    // The renderer imports markdown-it and nothing of ours: it cannot pull the rest of the build in.
    expect(importsOf(path.join(REPO_ROOT, PREVIEW_RENDERER))).toEqual(["markdown-it"]);
    expect([...worker.files].some((file) => file.endsWith(".tsx"))).toBe(true);
  });

  it("the Worker imports no build-only or Node-only package (markdown-it only through the preview's renderer)", () => {
    const buildOnly = ["@11ty/eleventy", "gray-matter", "yaml", "xmlbuilder2", "turndown", "fast-xml-parser", "playwright-core"];
    expect([...worker.packages].filter((name) => buildOnly.includes(name) || name.startsWith("node:"))).toEqual([]);
  });

  it("functions/ imports only the composition root, worker-kit, shared and the build's generated config", () => {
    expect(importsLeaving("functions", (target) => !inRooms(["worker", "worker-kit", "shared"])(target) && !target.startsWith("functions/"))).toEqual([]);
  });
});

describe("the Node side", () => {
  it("the build (eleventy.config.ts, site/) reaches only site-build, publish, shared and site/: never the commands' parts or the harness", () => {
    const build = [...reachable("eleventy.config.ts").files, ...filesUnder("site").flatMap((file) => [...reachable(file).files])].map(relative);
    const inside = /^(eleventy\.config\.ts|site\/|lib\/(site-build|publish|shared)\/)/;
    expect([...new Set(build)].filter((file) => !inside.test(file))).toEqual([]);
  });

  it("no Worker room and no pure core uses a Node room", () => {
    const pure = [...WORKER_ROOMS, "publish", "validate", "move"].map((room) => `lib/${room}`);
    expect(importsLeaving(pure, inRooms(NODE_ROOMS))).toEqual([]);
  });

  it("bench/, scripts/, lib/, functions/ and site/ never import test/; lib/ never imports bench/ or scripts/", () => {
    const places = ["bench", "scripts", "lib", "functions", "site", "eleventy.config.ts"];
    expect(importsLeaving(places, (target) => target.startsWith("test/"))).toEqual([]);
    expect(importsLeaving("lib", (target) => /^(bench|scripts)\//.test(target))).toEqual([]);
  });

  it("of the commands, only npm run screenshots uses the dev harness", () => {
    const users = importsLeaving("scripts", (target) => target.startsWith("lib/harness/")).map((arrow) => arrow.split(" -> ")[0]);
    expect([...new Set(users)]).toEqual(["scripts/screenshots.ts"]);
  });

  it("bench/ never imports a command: what it shares with them is in lib/", () => {
    expect(importsLeaving("bench", (target) => target.startsWith("scripts/"))).toEqual([]);
  });
});
