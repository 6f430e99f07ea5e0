/**
 * `npm start -- --port N` when N is taken: one line, exit 1, nothing built, and the port it suggests
 * is really free (it used to suggest N + 1 blindly, which is often the second npm start of the
 * README's two-site walk-through).
 */
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { runScript } from "../support/cli.ts";

const servers: net.Server[] = [];
const copies: ProjectCopy[] = [];
afterAll(async () => {
  for (const project of copies) project.cleanup();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

function listen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** Two consecutive ports held by this test: N and N + 1. */
async function twoTakenPorts(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await listen(0);
    if (!first) continue;
    const port = (first.address() as net.AddressInfo).port;
    const second = port < 65534 ? await listen(port + 1) : undefined;
    if (second) {
      servers.push(first, second);
      return port;
    }
    await new Promise((resolve) => first.close(resolve));
  }
  throw new Error("no two consecutive free ports");
}

describe("npm start on a port in use", () => {
  it("says so in one line and suggests a port that is free", { timeout: 60_000 }, async () => {
    const project = createProjectCopy();
    copies.push(project);
    const port = await twoTakenPorts();
    const result = await runScript(project.root, "scripts/start.ts", ["--port", String(port)]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    const suggested = new RegExp(`^npm start: port ${port} on 127\\.0\\.0\\.1 is in use\\. Stop the other server or run: npm start -- --port (\\d+)$`).exec(
      lines[0]!,
    );
    expect(suggested, lines[0]).not.toBeNull();
    const free = Number(suggested![1]);
    expect(free).toBeGreaterThan(port + 1);
    const probe = await listen(free);
    expect(probe).toBeDefined();
    await new Promise((resolve) => probe!.close(resolve));
    expect(existsSync(path.join(project.root, "_site"))).toBe(false);
  });
});
