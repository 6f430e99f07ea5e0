/**
 * lib/shared/urls.ts: user_link matching, and the URL layout of a site (with or without a base path, with
 * the functions on the same origin or elsewhere).
 */
import { describe, expect, it } from "vitest";
import { INBOX_ROUTE, MESSAGE_ROUTE, normalizeBaseUrl, normalizeUserLink, parseHttpUrl, paths, REPLY_ROUTE, siteUrls } from "../../lib/shared/urls.ts";

describe("normalizeUserLink", () => {
  it.each([
    ["https://bob.example/feed.xml", "bob.example/feed.xml"],
    ["http://bob.example/feed.xml", "bob.example/feed.xml"], // http and https alike
    ["HTTPS://BOB.Example/feed.xml", "bob.example/feed.xml"], // scheme and host case
    ["https://bob.example:443/feed.xml", "bob.example/feed.xml"], // default ports
    ["http://bob.example:80/feed.xml", "bob.example/feed.xml"],
    ["https://bob.example:8443/feed.xml", "bob.example:8443/feed.xml"], // other ports matter
    ["http://bob.example:443/feed.xml", "bob.example:443/feed.xml"],
    ["https://bob.example/feed.xml/", "bob.example/feed.xml"], // trailing slash
    ["https://bob.example/feed.xml#top", "bob.example/feed.xml"], // fragment
    ["https://bob.example./feed.xml", "bob.example/feed.xml"], // trailing dot of the host
    ["  https://bob.example/feed.xml  ", "bob.example/feed.xml"],
    ["https://bob.example/", "bob.example"],
    ["https://bob.example", "bob.example"],
    ["https://bob.example/Feed.XML", "bob.example/Feed.XML"], // path case matters
    ["https://bob.example/feed?user=2&format=rss", "bob.example/feed?user=2&format=rss"], // query matters
  ])("%s -> %s", (link, expected) => {
    expect(normalizeUserLink(link)).toBe(expected);
  });

  it("the same feed written differently matches; different feeds do not", () => {
    expect(normalizeUserLink("http://Bob.example:80/feed.xml/#x")).toBe(normalizeUserLink("https://bob.example/feed.xml"));
    expect(normalizeUserLink("https://bob.example/feed.xml?page=2")).not.toBe(normalizeUserLink("https://bob.example/feed.xml"));
    expect(normalizeUserLink("https://bob.example/other.xml")).not.toBe(normalizeUserLink("https://bob.example/feed.xml"));
  });

  it.each([
    ["bob.example/feed.xml"],
    ["ftp://bob.example/feed.xml"],
    ["mailto:bob@example.org"],
    ["https://user:pw@bob.example/feed.xml"],
    [""],
    ["/feed.xml"],
  ])("not an http(s) feed URL: %j", (link) => {
    expect(normalizeUserLink(link)).toBeUndefined();
  });
});

describe("parseHttpUrl and normalizeBaseUrl", () => {
  it("accepts absolute http(s) URLs without credentials only", () => {
    expect(parseHttpUrl("https://ada.example/x?y=1")?.hostname).toBe("ada.example");
    expect(parseHttpUrl("http://127.0.0.1:8788/")?.port).toBe("8788");
    for (const text of ["ada.example", "//ada.example", "javascript:alert(1)", "file:///etc/passwd", "https://u@ada.example/"])
      expect(parseHttpUrl(text), text).toBeUndefined();
  });

  it("drops the trailing slash, query and fragment of a base URL", () => {
    expect(normalizeBaseUrl("https://ada.example/")).toBe("https://ada.example");
    expect(normalizeBaseUrl("https://ada.example/blog/?x=1#y")).toBe("https://ada.example/blog");
    expect(normalizeBaseUrl("HTTPS://Ada.Example")).toBe("https://ada.example");
    expect(() => normalizeBaseUrl("ada.example")).toThrow(/not an absolute http\(s\) URL/);
  });
});

describe("siteUrls", () => {
  it("a site at the root of its host", () => {
    const urls = siteUrls("https://ada.example/");
    expect(urls).toMatchObject({ base: "https://ada.example", basePath: "", functionsBase: "https://ada.example" });
    expect(urls.feed).toBe("https://ada.example/feed.xml");
    expect(urls.feedArchive(3)).toBe("https://ada.example/feed/3.xml");
    expect(urls.list("follows")).toBe("https://ada.example/follows.xml");
    expect(urls.listArchive("blocks", 2)).toBe("https://ada.example/blocks/2.xml");
    expect(urls.profile).toBe("https://ada.example/");
    expect(urls.post(7)).toBe("https://ada.example/posts/7/");
    expect(urls.message).toBe("https://ada.example/api/message");
    expect(urls.reply(7)).toBe("https://ada.example/api/posts/7/reply");
  });

  it("a site under a base path keeps it in every URL and in basePath for links inside pages", () => {
    const urls = siteUrls("https://host.example/ada/");
    expect(urls.base).toBe("https://host.example/ada");
    expect(urls.basePath).toBe("/ada");
    expect(urls.feed).toBe("https://host.example/ada/feed.xml");
    expect(urls.feedArchive(1)).toBe("https://host.example/ada/feed/1.xml");
    expect(urls.profile).toBe("https://host.example/ada/");
    expect(urls.post(0)).toBe("https://host.example/ada/posts/0/");
    expect(urls.message).toBe("https://host.example/ada/api/message");
  });

  it("functions hosted elsewhere: message and reply URLs point there, the rest stays on the site", () => {
    const urls = siteUrls("https://ada.example", "https://inbox.ada.workers.dev/");
    expect(urls.functionsBase).toBe("https://inbox.ada.workers.dev");
    expect(urls.message).toBe("https://inbox.ada.workers.dev/api/message");
    expect(urls.reply(12)).toBe("https://inbox.ada.workers.dev/api/posts/12/reply");
    expect(urls.post(12)).toBe("https://ada.example/posts/12/");
  });

  it("the URLs the feed advertises are the routes the functions answer", () => {
    const urls = siteUrls("https://ada.example");
    expect(urls.message).toBe(`${urls.functionsBase}${MESSAGE_ROUTE}`);
    expect(urls.reply(99)).toBe(`${urls.functionsBase}${REPLY_ROUTE.replace(":id", "99")}`);
    expect(INBOX_ROUTE.startsWith("/api/")).toBe(true);
  });

  it("feed URLs are the site URL plus the published paths", () => {
    const urls = siteUrls("https://host.example/sub");
    expect(urls.feed).toBe(`${urls.base}${paths.feed}`);
    expect(urls.feedArchive(4)).toBe(`${urls.base}${paths.feedArchive(4)}`);
    expect(urls.post(4)).toBe(`${urls.base}${paths.post(4)}`);
    expect(paths.htmlPage(2)).toBe("/page/2/");
    expect(paths.listPage("follows")).toBe("/follows/");
  });
});
