/**
 * The house's rooms (ARCHITECTURE.md): the Worker is built from functions/ and the Worker rooms of
 * lib/ (worker, worker-kit, inbox, timeline, outbox, owner, websub, write, shared) and never from the publish path --
 * the build's markdown, YAML, front matter and XML writer stay out of the Worker's bundle. lib/shared/
 * depends on no other room; lib/worker-kit/ (what every Worker room builds on) only on lib/shared/; and
 * lib/worker/, the composition root that mounts every room's routes and lists every job, is imported
 * by no room: arrows between rooms run one way, down. Followed from the Worker's entry through every relative import, so
 * an indirect import is caught too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/project-copy.ts";

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
    if (!/\.(ts|mts|js)$/.test(file)) continue;
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith(".")) stack.push(path.resolve(path.dirname(file), specifier));
      else packages.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);
    }
  }
  return { files, packages };
}

const relative = (file: string) => path.relative(REPO_ROOT, file);

function filesUnder(dir: string): string[] {
  const full = path.join(REPO_ROOT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    const child = path.join(full, name);
    return statSync(child).isDirectory() ? filesUnder(path.join(dir, name)) : /\.ts$/.test(name) ? [child] : [];
  });
}

describe("the Worker's rooms", () => {
  const worker = reachable("functions/index.ts");

  it("the Worker reaches nothing of the publish path, the scripts or the site templates", () => {
    const outside = [...worker.files]
      .map(relative)
      .filter((file) => !/^(functions|lib\/(worker|worker-kit|inbox|timeline|outbox|owner|websub|write|shared))\//.test(file));
    expect(outside).toEqual([]);
  });

  it("the Worker imports no build-only or Node-only package", () => {
    const buildOnly = ["@11ty/eleventy", "gray-matter", "markdown-it", "yaml", "xmlbuilder2", "turndown", "fast-xml-parser", "playwright-core"];
    expect([...worker.packages].filter((name) => buildOnly.includes(name) || name.startsWith("node:"))).toEqual([]);
  });

  it("lib/shared depends on no other room", () => {
    const leaks = filesUnder("lib/shared").flatMap((file) =>
      importsOf(file)
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) => relative(path.resolve(path.dirname(file), specifier)))
        .filter((target) => !target.startsWith("lib/shared/"))
        .map((target) => `${relative(file)} -> ${target}`),
    );
    expect(leaks).toEqual([]);
  });

  it("the publish path does not reach into the Worker's rooms", () => {
    const leaks = filesUnder("lib/publish").flatMap((file) =>
      importsOf(file)
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) => relative(path.resolve(path.dirname(file), specifier)))
        .filter((target) => /^lib\/(worker|worker-kit|inbox|timeline|outbox|owner|websub|write)\//.test(target))
        .map((target) => `${relative(file)} -> ${target}`),
    );
    expect(leaks).toEqual([]);
  });

  /** `from -> to` for every relative import of a file under `room` whose target `leaves` says is wrong. */
  function importsLeaving(room: string, leaves: (target: string) => boolean): string[] {
    return filesUnder(room).flatMap((file) =>
      importsOf(file)
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) => relative(path.resolve(path.dirname(file), specifier)))
        .filter(leaves)
        .map((target) => `${relative(file)} -> ${target}`),
    );
  }

  it("lib/worker-kit depends only on lib/shared", () => {
    expect(importsLeaving("lib/worker-kit", (target) => !/^lib\/(worker-kit|shared)\//.test(target))).toEqual([]);
  });

  it("no room imports lib/worker, the composition root (only functions/ does)", () => {
    const rooms = readdirSync(path.join(REPO_ROOT, "lib")).filter((name) => name !== "worker");
    expect(rooms).toContain("inbox");
    expect(rooms.flatMap((room) => importsLeaving(`lib/${room}`, (target) => target.startsWith("lib/worker/")))).toEqual([]);
  });
});
