/**
 * Property: guids never move. For several seeds, posts are added one at a time to a site at RANDOM
 * dates (older than everything, in between, newest), some without an id, some with the next free id,
 * some with a random id (that may be taken), some with the id of a post already there. After every
 * addition the whole site is built (lib/publish/site.ts) and:
 *
 * - either the build succeeds and every post that was there keeps its guid (and its post page
 *   /posts/<guid>/ stays byte for byte the same), and the new post's guid is its id;
 * - or it fails, and every error names the added file (a duplicate id names both files: the build
 *   keeps no history, so it cannot know which is new). The error says which id to write; written
 *   into the added post, the build succeeds and again no existing guid has moved.
 *
 * Dates are fixed UTC instants (lib/harness/factories.ts); the seed is in each test's name.
 */
import { describe, expect, it } from "vitest";
import {
  fixedDate,
  type InMemorySite,
  type PostSpec,
  postFile,
  profileYaml,
  renderStableHtml,
  seededRandom,
  siteSources,
} from "../../lib/harness/factories.ts";
import { buildSite, SiteBuildError } from "../../lib/publish/site.ts";

const SEEDS = [3, 11, 404, 2015, 65537];
const STEPS = 40;
const MINUTE = 60_000;

type Kind = "no id" | "next free id" | "random id" | "taken id";

interface Outcome {
  built?: Pick<InMemorySite, "model" | "stableHtml">;
  errors?: readonly { file: string; message: string }[];
}

function build(posts: readonly PostSpec[]): Outcome {
  // postFile: each post exactly as written, an id-less one stays id-less.
  try {
    const model = buildSite(siteSources({ profile: profileYaml(), posts: posts.map(postFile) }));
    return { built: { model, stableHtml: renderStableHtml(model) } };
  } catch (error) {
    if (error instanceof SiteBuildError) return { errors: error.errors };
    throw error;
  }
}

describe("adding posts at random dates", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: a build keeps every existing guid (and post page) or fails naming the added file; its advice builds`, { timeout: 60_000 }, () => {
      const rng = seededRandom(seed);
      const posts: PostSpec[] = [{ name: "p000.md", date: fixedDate(100), id: 0, body: "The first post.\n" }];
      let state = build(posts).built!;
      const seen = { refused: 0, accepted: 0, kinds: new Set<Kind>() };

      for (let step = 1; step <= STEPS; step++) {
        const guids = new Map(state.model.posts.map((post) => [post.file, post.guid]));
        const next = Math.max(...guids.values()) + 1;
        const dates = state.model.posts.map((post) => post.date);
        // Anywhere from well before the oldest post to after the newest, to the minute.
        const date = rng.int(Math.min(...dates) / MINUTE - 3000, Math.max(...dates) / MINUTE + 3000) * MINUTE;
        const kind = rng.pick<Kind>(["no id", "no id", "next free id", "random id", "taken id"]);
        seen.kinds.add(kind);
        const added: PostSpec = { name: `p${String(step).padStart(3, "0")}.md`, date, body: `Post ${step}, ${kind}.\n` };
        if (kind === "next free id") added.id = next;
        if (kind === "random id") added.id = rng.int(0, next + 3);
        if (kind === "taken id") added.id = rng.pick([...guids.values()]);
        const file = `posts/${added.name}`;

        let outcome = build([...posts, added]);
        if (outcome.errors) {
          seen.refused++;
          // A post without an id is blamed by name; a duplicate names both files (the build cannot know which is new).
          for (const error of outcome.errors) {
            expect(error.file === file || error.message.includes(file), `step ${step} (${kind}): ${error.file}: ${error.message} names ${file}`).toBe(true);
          }
          // Do what the error says: write the id it names (a free one), and build again.
          const advice = /add `id: (\d+)`|the next free id is (\d+)/.exec(outcome.errors[0]!.message);
          expect(advice, `step ${step}: the error names the id to write: ${outcome.errors[0]!.message}`).not.toBeNull();
          added.id = Number(advice![1] ?? advice![2]);
          outcome = build([...posts, added]);
          expect(outcome.errors, `step ${step}: the advised id builds`).toBeUndefined();
        } else {
          seen.accepted++;
        }
        const built = outcome.built!;
        for (const post of built.model.posts) {
          if (post.file === file) {
            // (A build that took a post without an id would have to number it; this build never does.)
            if (added.id !== undefined) expect(post.guid, `step ${step}: the added post's guid is its id`).toBe(added.id);
            continue;
          }
          expect(post.guid, `step ${step}: guid of ${post.file}`).toBe(guids.get(post.file));
          const page = `/posts/${post.guid}/`;
          expect(built.stableHtml.get(page) === state.stableHtml.get(page), `step ${step}: ${page} is byte for byte the same`).toBe(true);
        }
        expect(built.model.posts).toHaveLength(posts.length + 1);
        posts.push(added);
        state = built;
      }
      // Both outcomes and every kind of addition happened.
      expect(seen.refused).toBeGreaterThan(5);
      expect(seen.accepted).toBeGreaterThan(5);
      expect(seen.kinds.size).toBe(4);
    });
  }
});

describe("the same sources, built twice", () => {
  it("give byte-identical feeds and pages", () => {
    const posts: PostSpec[] = Array.from({ length: 30 }, (_, i) => ({ name: `p${i}.md`, date: fixedDate(i % 7, i), id: i * 3, body: `Post ${i}\n` }));
    const render = () => {
      const model = buildSite(siteSources({ posts: posts.map(postFile) }), { feedLimits: { maxItems: 4, maxBytes: 50_000, headerReserveBytes: 4000 } });
      return [...model.feedFiles.map((f) => f.render()), ...renderStableHtml(model).values()];
    };
    expect(render()).toEqual(render());
  });
});
