/**
 * `npm run build` while `npm start` runs in the same folder: the build swaps in a site made for the
 * profile's url, which npm start then serves until its next rebuild. The build says so on stderr
 * (one note, exit 0); not when SKEIN_URL is set (npm start's own builds), with --out elsewhere, or
 * when no server is running.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SERVER_STATE_FILE, writeServerState } from "../../lib/cli/local-server.ts";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { runBuildCli } from "../support/cli.ts";

const TIMEOUT = 90_000;
const copies: ProjectCopy[] = [];
afterAll(() => {
  for (const project of copies) project.cleanup();
});

describe("npm run build beside npm start", () => {
  it("notes that npm start now serves a build for the profile's url, only when that is what happened", { timeout: TIMEOUT }, async () => {
    const project = createProjectCopy();
    copies.push(project);

    const alone = await runBuildCli(project.root);
    expect(alone.code).toBe(0);
    expect(alone.stderr).toBe("");

    // A live pid (this test process) stands for the running npm start.
    writeServerState(project.root, { url: "http://127.0.0.1:8799", pid: process.pid, started_at: "2026-03-01T09:30:00.000Z" });
    const beside = await runBuildCli(project.root);
    expect(beside.code).toBe(0);
    expect(beside.stderr.trim().split("\n")).toEqual([
      expect.stringContaining("note: npm start is running here (http://127.0.0.1:8799) and now serves this build"),
    ]);
    expect(beside.stderr).toContain("SKEIN_URL=http://127.0.0.1:8799 npm run build");

    const local = await runBuildCli(project.root, [], { SKEIN_URL: "http://127.0.0.1:8799" });
    expect(local.code).toBe(0);
    expect(local.stderr).toBe("");

    const elsewhere = await runBuildCli(project.root, ["--out", "preview"]);
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stderr).toBe("");

    // A server state left by a stopped npm start (its pid is gone) is no running server.
    writeFileSync(path.join(project.root, SERVER_STATE_FILE), JSON.stringify({ url: "http://127.0.0.1:8799", pid: 2 ** 22 + 12345 }));
    const stale = await runBuildCli(project.root);
    expect(stale.code).toBe(0);
    expect(stale.stderr).toBe("");
  });
});
