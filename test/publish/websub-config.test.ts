/**
 * The WebSub part of the Worker's config (lib/publish/site-config.ts websubConfig): the hubs as the
 * head pages declare them, our own hub only with `self`, both head pages as topics with the SHA-256 of
 * the exact bytes the build writes (what the publisher compares the served page with), and the
 * timeline's callback prefix on the functions' host.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildSiteInMemory, fixedDate, profileYaml } from "../../lib/harness/factories.ts";
import { siteConfigFromModel } from "../../lib/publish/site-config.ts";

const posts = [0, 1, 2].map((i) => ({ id: i, date: fixedDate(i), body: `Post ${i}.\n` }));

describe("websub in the site config", () => {
  it("hubs resolved, `self` named, topics hashed from the very bytes written, callbacks on the functions' host", () => {
    const { model, xml } = buildSiteInMemory({ profile: profileYaml({ hubs: ["https://hub.example/", "self"], functions_url: "https://fn.example" }), posts });
    const { websub } = siteConfigFromModel(model);
    const sha = (text: string) => createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");
    expect(websub).toEqual({
      hubs: ["https://hub.example/", "https://fn.example/api/websub/hub"],
      self_hub: "https://fn.example/api/websub/hub",
      topics: [
        { url: "https://ada.example/feed.xml", content_type: "application/rss+xml", sha256: sha(xml.get("/feed.xml")!) },
        { url: "https://ada.example/atom.xml", content_type: "application/atom+xml", sha256: sha(model.atomFiles.at(-1)!.render()) },
      ],
      callback_prefix: "https://fn.example/api/websub/callback/",
    });
  });

  it("without hubs: no self hub, topics still hashed (the subscriber needs only the callback prefix); a new post changes both hashes", () => {
    const before = siteConfigFromModel(buildSiteInMemory({ posts }).model).websub!;
    expect(before.hubs).toEqual([]);
    expect(before.self_hub).toBeUndefined();
    expect(before.callback_prefix).toBe("https://ada.example/api/websub/callback/");
    const after = siteConfigFromModel(buildSiteInMemory({ posts: [...posts, { id: 3, date: fixedDate(3), body: "Post 3.\n" }] }).model).websub!;
    expect(after.topics.map((t) => t.sha256)).not.toContain(before.topics[0]!.sha256);
    expect(after.topics.map((t) => t.sha256)).not.toContain(before.topics[1]!.sha256);
    // The same input: the same hashes (a redeploy of the same posts pings nobody).
    expect(siteConfigFromModel(buildSiteInMemory({ posts }).model).websub).toEqual(before);
  });
});
