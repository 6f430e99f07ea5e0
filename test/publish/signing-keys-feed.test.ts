/**
 * The signing-key extension on our own feed (lib/shared/signing-keys.ts, docs/signing.md): the head
 * page publishes the profile's keys in Skein's namespace, archives do not (they never change), the
 * spec's validator (lib/validate) finds no problem at all in the page, and the inbox's reader reads
 * back exactly what was published -- and nothing from a stranger's look-alike element.
 */
import { describe, expect, it } from "vitest";
import { buildSiteInMemory, fixedDate, profileYaml } from "../../lib/harness/factories.ts";
import { readSigningKeys, SIGNING_NS, validKeys } from "../../lib/shared/signing-keys.ts";
import { checkPage } from "../../lib/validate/page-rules.ts";

const CURRENT = "lbehrFdIYylvKOlnYQik4YtgrFCYWSwrhH67FBAT1jg";
const RETIRING = "puUbaExNOR5SJ1eEiqIwQJEUmZeKDDaHZrmS_vieNf0";
const keys = [{ key: CURRENT }, { key: RETIRING, until: "2026-12-14T17:41:29Z" }];

const site = buildSiteInMemory(
  {
    profile: profileYaml({ signing_keys: keys }),
    posts: [0, 1, 2].map((i) => ({ date: fixedDate(i), body: `Post ${i}\n` })),
  },
  { feedLimits: { maxItems: 2, maxBytes: 50_000, headerReserveBytes: 4000 } },
);
const HEAD = site.xml.get("/feed.xml")!;
const ARCHIVE = site.xml.get("/feed/1.xml")!;

describe("signing keys on the head feed", () => {
  it("publishes every key at channel level in Skein's namespace, the retiring one with its end", () => {
    expect(HEAD).toContain(`xmlns:skein="${SIGNING_NS}"`);
    expect(HEAD).toContain(`<skein:signing_key alg="ed25519">${CURRENT}</skein:signing_key>`);
    expect(HEAD).toContain(`<skein:signing_key alg="ed25519" until="2026-12-14T17:41:29Z">${RETIRING}</skein:signing_key>`);
    expect(ARCHIVE).not.toContain("signing_key");
    expect(ARCHIVE).not.toContain(SIGNING_NS);
  });

  it("costs no problem, not even a note, in the spec's validator", () => {
    const report = checkPage({ text: HEAD, bytes: Buffer.byteLength(HEAD), encoding: "utf-8", page: "feed.xml", kind: "main", head: true });
    expect(report.problems).toEqual([]);
  });

  it("reads back what was published; valid keys newest first, an expired one left out", () => {
    expect(readSigningKeys(HEAD)).toEqual(keys);
    expect(validKeys(readSigningKeys(HEAD), Date.parse("2026-12-10T00:00:00Z")).map((k) => k.key)).toEqual([CURRENT, RETIRING]);
    expect(validKeys(readSigningKeys(HEAD), Date.parse("2026-12-15T00:00:00Z")).map((k) => k.key)).toEqual([CURRENT]);
  });

  it("ignores keys in another namespace, inside items, or malformed", () => {
    const forged = HEAD.replace(
      "<channel>",
      `<channel><evil:signing_key xmlns:evil="https://evil.example/">${RETIRING}</evil:signing_key><skein:signing_key xmlns:skein="${SIGNING_NS}">not-a-key</skein:signing_key>`,
    ).replace("<guid", `<skein:signing_key xmlns:skein="${SIGNING_NS}">${RETIRING}</skein:signing_key><guid`);
    expect(readSigningKeys(forged).map((k) => k.key)).toEqual([CURRENT, RETIRING]);
    expect(readSigningKeys("<rss><channel><item>")).toEqual([]);
  });
});
