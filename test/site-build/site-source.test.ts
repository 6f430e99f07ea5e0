/**
 * scripts/site-source.ts: what the build reads from a project folder, and the build options the
 * environment sets (SKEIN_URL, SKEIN_FUNCTIONS_URL, SKEIN_FEED_*, SKEIN_HTML_PAGE_SIZE).
 */
import { afterAll, describe, expect, it } from "vitest";
import { fixedDate, listYaml, person, postMarkdown, profileYaml, projectContent } from "../../lib/harness/factories.ts";
import { createProjectCopy } from "../../lib/harness/project-copy.ts";
import { DEFAULT_FEED_LIMITS } from "../../lib/publish/feed/paginate.ts";
import { optionsFromEnv, readSiteSources, SOURCE_PATHS } from "../../lib/site-build/site-source.ts";

describe("optionsFromEnv", () => {
  it("no variables: the spec's limits and no overrides", () => {
    expect(optionsFromEnv({})).toEqual({ feedLimits: DEFAULT_FEED_LIMITS });
  });

  it("each variable sets its option; unset or empty ones keep the default", () => {
    expect(
      optionsFromEnv({
        SKEIN_URL: "http://127.0.0.1:8788",
        SKEIN_FUNCTIONS_URL: "http://127.0.0.1:9000",
        SKEIN_FEED_MAX_ITEMS: "7",
        SKEIN_FEED_MAX_BYTES: "",
        SKEIN_FEED_HEADER_RESERVE_BYTES: "2048",
        SKEIN_HTML_PAGE_SIZE: "5",
      }),
    ).toEqual({
      urlOverride: "http://127.0.0.1:8788",
      functionsUrlOverride: "http://127.0.0.1:9000",
      feedLimits: { maxItems: 7, maxBytes: DEFAULT_FEED_LIMITS.maxBytes, headerReserveBytes: 2048 },
      htmlPageSize: 5,
    });
  });

  it.each([
    ["SKEIN_FEED_MAX_ITEMS", "0"],
    ["SKEIN_FEED_MAX_BYTES", "1.5"],
    ["SKEIN_FEED_HEADER_RESERVE_BYTES", "-3"],
    ["SKEIN_HTML_PAGE_SIZE", "ten"],
  ])("%s=%j is refused with its name", (name, value) => {
    expect(() => optionsFromEnv({ [name]: value })).toThrow(`${name} must be a positive integer, got "${value}"`);
  });

  it("a header reserve that leaves no room for items is refused", () => {
    expect(() => optionsFromEnv({ SKEIN_FEED_MAX_BYTES: "4000", SKEIN_FEED_HEADER_RESERVE_BYTES: "4000" })).toThrow(
      "SKEIN_FEED_HEADER_RESERVE_BYTES (4000) must be smaller than SKEIN_FEED_MAX_BYTES (4000)",
    );
    expect(() => optionsFromEnv({ SKEIN_FEED_MAX_BYTES: "1000" })).toThrow(/HEADER_RESERVE_BYTES \(16384\) must be smaller/);
  });
});

describe("readSiteSources", () => {
  const project = createProjectCopy(projectContent({ profile: profileYaml(), follows: listYaml([person(0)]) }));
  afterAll(() => project.cleanup());

  it("reads the profile, the lists that exist and every posts/*.md in name order, as bytes", () => {
    project.write("posts/b.md", postMarkdown({ date: fixedDate(1), body: "B\n" }));
    project.write("posts/a.md", postMarkdown({ date: fixedDate(0), body: "A\n" }));
    project.write("posts/notes.txt", "not a post");
    const sources = readSiteSources(project.root);
    expect(sources.profile.file).toBe(SOURCE_PATHS.profile);
    expect(new TextDecoder().decode(sources.profile.bytes)).toBe(profileYaml());
    expect(sources.follows?.file).toBe(SOURCE_PATHS.follows);
    expect(sources.blocks).toBeUndefined();
    expect(sources.posts.map((p) => p.file)).toEqual(["posts/a.md", "posts/b.md"]);
  });

  it("a missing profile is an error that says what to do", () => {
    project.remove(SOURCE_PATHS.profile);
    expect(() => readSiteSources(project.root)).toThrow(/site\/_data\/profile\.yaml is missing: .*npm run init/);
  });
});
