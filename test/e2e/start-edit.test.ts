/**
 * The edit loop under `npm start` (issue 17): an edit that breaks a post is reported at once, naming
 * the file, and the running site keeps serving the last good build; fixing the file publishes it; a
 * new post is served as soon as its rebuild is done, while the Worker behind the static server
 * (lib/dev-server/) keeps answering on the same origin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectCopy, type ProjectCopy } from "../../lib/harness/project-copy.ts";
import { freePort } from "../../lib/harness/static-server.ts";
import { type NpmStart, npmStart } from "./support/npm-start.ts";

const POST = "posts/2030-01-01-edit-loop.md";
let project: ProjectCopy;
let server: NpmStart;

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${server.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const page = async (guid: number) => {
  const response = await fetch(`${server.url}/posts/${guid}/`);
  return { status: response.status, text: await response.text() };
};

beforeAll(async () => {
  project = createProjectCopy();
  project.write(POST, "---\ndate: 2030-01-01T08:00:00Z\nid: 900\n---\nThe first words.\n");
  server = await npmStart(project, await freePort(), { watch: true, extraArgs: ["--no-jobs"] });
}, 200_000);

afterAll(async () => {
  await server?.interrupt();
  project?.cleanup();
});

describe("npm start while posts are edited", () => {
  it("a broken edit is reported with the file's name; the site keeps serving; the fix is published", { timeout: 300_000 }, async () => {
    expect((await page(900)).text).toContain("The first words.");

    const before = server.output().length;
    project.write(POST, "---\ndate: not a date\nid: 900\n---\nBroken words.\n");
    await until(() => server.output().slice(before).includes("the site still serves the last good build"), "the failed rebuild");
    const report = server.output().slice(before);
    expect(report).toContain(POST);
    expect(report).toContain("Build failed, nothing was written.");
    const during = await page(900);
    expect(during.status).toBe(200);
    expect(during.text).toContain("The first words.");
    expect((await fetch(`${server.url}/feed.xml`)).status).toBe(200);

    project.write(POST, "---\ndate: 2030-01-01T08:00:00Z\nid: 900\n---\nThe mended words.\n");
    await until(async () => (await page(900)).text.includes("The mended words."), "the fixed post to be served");

    // A NEW file: with wrangler dev serving _site/ itself it came only after a reload of the Worker.
    const rebuilt = server.output().length;
    project.write("posts/2030-01-02-new.md", "---\ndate: 2030-01-02T08:00:00Z\nid: 901\n---\nA brand new post.\n");
    await until(() => server.output().slice(rebuilt).includes("Skein built"), "the rebuild for the new post");
    const fresh = await page(901);
    expect([fresh.status, fresh.text.includes("A brand new post.")]).toEqual([200, true]);
    // The Worker's paths on the same origin: it sees the public origin (redirects name it).
    const owner = await fetch(`${server.url}/owner/`, { redirect: "manual" });
    expect([owner.status, owner.headers.get("location")]).toEqual([303, "/owner/sign-in"]);
  });
});
