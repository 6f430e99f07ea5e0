// The child of test/support/build-session.ts: runs the project copy's own scripts/build.ts (the cwd's),
// one build per JSON line on stdin, one JSON line of results on stdout.
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import type { SessionBuild, SessionResult } from "./build-session.ts";

const { buildSiteFolder } = (await import(pathToFileURL(path.join(process.cwd(), "scripts/build.ts")).href)) as typeof import("../../scripts/build.ts");

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line) as SessionBuild;
  Object.assign(process.env, request.env ?? {});
  let result: SessionResult;
  try {
    const built = await buildSiteFolder(process.cwd(), request.out, {
      cache: request.cache,
      ...(request.replace ? { replace: request.replace } : {}),
      ...(request.servedFirst ? { servedFirst: true } : {}),
    });
    result = { ok: true, ...(built.cache ? { cache: built.cache } : {}) };
  } catch (error) {
    result = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
