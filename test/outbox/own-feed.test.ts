// Is our post live yet (lib/outbox/own-feed.ts)? Our head feed is in date order, so a post written
// with a back date sits below newer posts of lower ids: it must be found wherever it is on the page.
import { describe, expect, it } from "vitest";
import { liveAmong, livePosts, readOwnFeed } from "../../lib/outbox/own-feed.ts";
import { Budget, RUN_LIMITS } from "../../lib/shared/budget.ts";

const FEED_URL = "https://ada.example/feed.xml";

/** A head feed as the build writes it: items newest first by date, each guid the post's id. */
function headFeed(items: { id: number; date: string }[], next?: string): string {
  const entries = items
    .map(
      ({ id, date }) =>
        `<item xmlns:microblog="http://openmicroblog.com/"><guid isPermaLink="false">${id}</guid><pubDate>${date}</pubDate><description>post ${id}</description></item>`,
    )
    .join("");
  const nextNode = next ? `<microblog:next_node>${next}</microblog:next_node>` : "";
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:microblog="http://openmicroblog.com/"><channel><title>Ada</title><link>https://ada.example/</link><description>Ada</description>${nextNode}${entries}</channel></rss>`;
}

function assetsServing(xml: string) {
  let requests = 0;
  return {
    get requests() {
      return requests;
    },
    async fetch(request: Request): Promise<Response> {
      requests++;
      expect(new URL(request.url).pathname).toBe("/feed.xml");
      return new Response(xml, { headers: { "Content-Type": "application/rss+xml; charset=utf-8" } });
    },
  };
}

const options = (assets: ReturnType<typeof assetsServing>) => ({
  feedUrl: FEED_URL,
  assets,
  fetch: () => Promise.reject(new Error("the network is not used when the static assets have the feed")),
  allowLoopback: false,
  budget: new Budget(RUN_LIMITS, () => 0),
});

describe("our own head feed", () => {
  it("finds a back-dated post of a higher id below newer posts of lower ids", async () => {
    const xml = headFeed([
      { id: 4, date: "Mon, 07 Dec 2026 10:05:00 +0000" },
      { id: 3, date: "Mon, 07 Dec 2026 10:04:00 +0000" },
      { id: 9, date: "Mon, 07 Dec 2026 09:00:00 +0000" },
      { id: 2, date: "Mon, 07 Dec 2026 08:00:00 +0000" },
    ]);
    const assets = assetsServing(xml);
    const view = await readOwnFeed(options(assets));
    expect(view.ok).toBe(true);
    if (!view.ok) return;
    expect([...livePosts([9, 3, 10], view.value)].sort()).toEqual([3, 9]);
    expect(assets.requests).toBe(1);
  });

  it("a post below everything on a head page that links to archives is live; one above it that is not shown is not", async () => {
    const xml = headFeed(
      [
        { id: 8, date: "Mon, 07 Dec 2026 10:05:00 +0000" },
        { id: 7, date: "Mon, 07 Dec 2026 10:04:00 +0000" },
      ],
      "https://ada.example/feed/1.xml",
    );
    const context = { config: { owner: { feed_url: FEED_URL } }, env: { ASSETS: assetsServing(xml) }, ...options(assetsServing(xml)) };
    // liveAmong reads what a scheduled job's context carries.
    const { live, error } = await liveAmong(context as unknown as Parameters<typeof liveAmong>[0], [2, 7, 9]);
    expect(error).toBeUndefined();
    expect([...live].sort()).toEqual([2, 7]);
  });
});
