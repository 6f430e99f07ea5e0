/**
 * The poller's own CPU work per kind of poll, measured in V8 (this Node process, the engine workerd
 * embeds) on real pages built by our builder, exactly as lib/timeline/poll-feed.ts does it: decode the
 * bytes (every XML encoding), cut the page after the items a catch-up already read (page-slice.ts),
 * read it leniently up to where the poll stops (stopAfter), and serialize the new items for D1's one
 * INSERT. No network and no D1 here: those are waits, not CPU, in a Worker (a fetch or a D1 call costs
 * the isolate only its bookkeeping). The median of many repetitions after a warm-up, from
 * process.cpuUsage().
 */

import { buildSiteFiles, postFile, profileYaml } from "../../lib/harness/factories.ts";
import { readFeed } from "../../lib/shared/remote-feed-reader.ts";
import { decodeXmlBytes } from "../../lib/shared/xml-decoding.ts";
import { withoutFirstItems } from "../../lib/timeline/page-slice.ts";

export interface ParseCost {
  label: string;
  bytes: number;
  items: number;
  medianMs: number;
}

function pageOf(items: number): Uint8Array {
  const url = "http://127.0.0.1:9/bench";
  const posts = Array.from({ length: items }, (_, i) =>
    postFile({
      id: i,
      date: Date.UTC(2026, 0, 1) + i * 60_000,
      body: `Post ${i}: a microblog post of ordinary length, with a [link](https://example.com/${i}) and a mention of @someone, about bread and looms.`,
    }),
  );
  const files = buildSiteFiles(
    { profile: profileYaml({ username: "bench", user_id: "be4c0000-0000-4000-8000-0000000000bb", url }), posts },
    { urlOverride: url },
  );
  return new TextEncoder().encode(files.get("/feed.xml")!);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function measure(label: string, bytes: Uint8Array, skip: number, stopAt: number): ParseCost {
  let read = 0;
  const once = () => {
    const decoded = decodeXmlBytes(bytes, "application/rss+xml; charset=utf-8");
    if (!decoded.ok) throw new Error(decoded.error);
    const feed = readFeed(withoutFirstItems(decoded.value.text, skip), { stopAfter: (_item, index) => index + 1 >= stopAt });
    read = feed.items.length;
    // What the poller hands D1: the new items as one JSON parameter.
    JSON.stringify(feed.items.slice(0, Math.max(0, stopAt - 1)).map((item) => ({ guid: item.guid, html: item.description, link: item.link })));
  };
  for (let i = 0; i < 20; i++) once();
  const samples: number[] = [];
  for (let i = 0; i < 60; i++) {
    const start = process.cpuUsage();
    once();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / 1000);
  }
  return { label, bytes: bytes.byteLength, items: read, medianMs: median(samples) };
}

export function parseCosts(itemsPerRun: number, backfill: number): ParseCost[] {
  const small = pageOf(20);
  const full = pageOf(500);
  return [
    measure("200, one new post (20-item page)", small, 0, 2),
    measure("200, one new post (500-item page)", full, 0, 2),
    measure(`first poll: backfill of ${backfill} (500-item page)`, full, 0, backfill),
    measure(`catch-up: ${itemsPerRun} items, top of a 500-item page`, full, 0, itemsPerRun),
    measure(`catch-up: ${itemsPerRun} items after 300 read (page cut)`, full, 300, itemsPerRun),
    measure("for comparison: the whole 500-item page", full, 0, 501),
  ];
}
