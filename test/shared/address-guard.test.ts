// Which URLs the reply verifier may fetch (lib/shared/address-guard.ts).
import { describe, expect, it } from "vitest";
import { checkFetchUrl, parseIpv6, refusedHostReason } from "../../lib/shared/address-guard.ts";

describe("checkFetchUrl", () => {
  it.each([
    "https://bob.example/feed.xml",
    "http://bob.example:8080/feed.xml",
    "https://93.184.216.34/feed.xml",
    "https://[2606:4700::6810:85e5]/feed.xml",
    "https://172.32.0.1/feed.xml",
    "https://100.128.0.1/feed.xml",
    "https://localhost.example/feed.xml",
  ])("allows %s", (url) => {
    expect(checkFetchUrl(url, false)).toMatchObject({ ok: true });
  });

  it.each([
    ["http://localhost/feed.xml", "a localhost name"],
    ["http://LOCALHOST./feed.xml", "a localhost name"],
    ["http://feeds.localhost/feed.xml", "a localhost name"],
    ["http://127.0.0.1:8788/feed.xml", "a loopback address"],
    ["http://127.1/feed.xml", "a loopback address"],
    ["http://2130706433/feed.xml", "a loopback address"],
    ["http://0x7f000001/feed.xml", "a loopback address"],
    ["http://10.1.2.3/", "a private address"],
    ["http://172.16.0.1/", "a private address"],
    ["http://172.31.255.255/", "a private address"],
    ["http://192.168.1.1/", "a private address"],
    ["http://169.254.169.254/latest/meta-data/", "a link-local address"],
    ["http://100.64.0.1/", "a carrier-grade NAT address"],
    ["http://0.0.0.0/", "an unspecified (0.0.0.0/8) address"],
    ["http://224.0.0.1/", "a multicast address"],
    ["http://255.255.255.255/", "a broadcast address"],
    ["http://240.0.0.1/", "a reserved address"],
    ["http://[::1]/", "a loopback address"],
    ["http://[::]/", "an unspecified address"],
    ["http://[fe80::1]/", "a link-local address"],
    ["http://[fd00::1]/", "a unique local (private) address"],
    ["http://[fc00::1]/", "a unique local (private) address"],
    ["http://[ff02::1]/", "a multicast address"],
    ["http://[::ffff:127.0.0.1]/", "a loopback address"],
    ["http://[::ffff:10.0.0.1]/", "a private address"],
    ["http://[64:ff9b::a9fe:a9fe]/", "a link-local address"],
    ["http://[2002:c0a8:0101::1]/", "a private address"],
  ])("refuses %s as %s", (url, reason) => {
    const result = checkFetchUrl(url, false);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(`is ${reason}; it is not fetched`);
  });

  it.each(["ftp://bob.example/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "https://user:pw@bob.example/feed.xml", "not a url"])(
    "refuses %s whatever the switch says",
    (url) => {
      expect(checkFetchUrl(url, true).ok).toBe(false);
    },
  );

  it("lets loopback through only with FETCH_ALLOW_LOOPBACK (npm start), and no other private range", () => {
    for (const url of [
      "http://127.0.0.1:8788/feed.xml",
      "http://localhost:8788/feed.xml",
      "http://127.3.4.5/feed.xml",
      "http://[::1]:8788/feed.xml",
      "http://[::ffff:127.0.0.1]/feed.xml",
    ]) {
      expect(checkFetchUrl(url, true), url).toMatchObject({ ok: true });
      expect(checkFetchUrl(url, false).ok, url).toBe(false);
    }
    for (const url of [
      "http://10.0.0.1/feed.xml",
      "http://192.168.1.1/feed.xml",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fc00::1]/",
      "http://[fe80::1]/",
      "http://100.64.0.1/",
    ]) {
      const result = checkFetchUrl(url, true);
      expect(result.ok, url).toBe(false);
    }
  });
});

describe("address parsing", () => {
  it("reads IPv6 in its compressed and dotted forms", () => {
    expect(parseIpv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("2001:db8::8:800:200c:417a")).toEqual([0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a]);
    expect(parseIpv6("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIpv6("1::2::3")).toBeUndefined();
    expect(parseIpv6("12345::")).toBeUndefined();
  });

  it("has no opinion on public names it cannot resolve", () => {
    expect(refusedHostReason("bob.example")).toBeUndefined();
  });
});
