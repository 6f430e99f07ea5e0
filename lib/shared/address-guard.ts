/**
 * Which URLs the Worker may fetch when a stranger chose them (a reply notification's user_link, a
 * followed feed's next_node or redirect, a recipient's message URL). Without a guard anyone could
 * make the Worker probe the owner's own network (SSRF). Refused: anything but http(s), URLs with credentials, `localhost` names and
 * IP literals in private, loopback, link-local, CGNAT, multicast, reserved or unspecified ranges
 * (IPv4, and IPv6 including IPv4-mapped / NAT64 / 6to4 forms that embed such an IPv4 address).
 *
 * Limits of this check, on purpose: Workers cannot resolve DNS, so a public name that resolves to
 * a private address cannot be refused here. In production Cloudflare's network itself refuses to
 * connect Workers to private targets; the guard is what stops literal addresses and local names,
 * which is what matters when the Worker runs locally under wrangler. `allowLoopback` (env
 * FETCH_ALLOW_LOOPBACK="true", which `npm start` sets) lets loopback addresses and localhost names
 * through, so two local sites can talk to each other; every other private range stays refused.
 */
import { err, ok, type Result } from "./result.ts";
import { parseHttpUrl } from "./urls.ts";

/** [first address as a 32-bit number, prefix length] */
const BLOCKED_V4: readonly (readonly [number, number, string])[] = [
  [ipv4(0, 0, 0, 0), 8, "an unspecified (0.0.0.0/8) address"],
  [ipv4(10, 0, 0, 0), 8, "a private address"],
  [ipv4(100, 64, 0, 0), 10, "a carrier-grade NAT address"],
  [ipv4(127, 0, 0, 0), 8, "a loopback address"],
  [ipv4(169, 254, 0, 0), 16, "a link-local address"],
  [ipv4(172, 16, 0, 0), 12, "a private address"],
  [ipv4(192, 0, 0, 0), 24, "a reserved (IETF protocol) address"],
  [ipv4(192, 168, 0, 0), 16, "a private address"],
  [ipv4(198, 18, 0, 0), 15, "a benchmarking address"],
  [ipv4(224, 0, 0, 0), 4, "a multicast address"],
  [ipv4(240, 0, 0, 0), 4, "a reserved address"],
];

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function inPrefix(address: number, first: number, bits: number): boolean {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (address & mask) >>> 0 === (first & mask) >>> 0;
}

/** "a.b.c.d" -> 32-bit number; the URL parser has already turned 0x7f.1 or 2130706433 into dotted form. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3], m[4]].map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ipv4(parts[0]!, parts[1]!, parts[2]!, parts[3]!);
}

/** "fe80::1" or "::ffff:1.2.3.4" -> eight 16-bit groups. */
export function parseIpv6(text: string): number[] | undefined {
  let head = text.toLowerCase();
  const tail: number[] = [];
  const dotted = /(?:^|:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(head);
  if (dotted) {
    const v4 = parseIpv4(dotted[1]!);
    if (v4 === undefined) return undefined;
    tail.push(v4 >>> 16, v4 & 0xffff);
    head = head.slice(0, head.length - dotted[1]!.length);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) return undefined;
  const known = left.length + right.length + tail.length;
  if (halves.length === 2 ? known > 7 : known !== 8) return undefined;
  return [...left, ...new Array<number>(8 - known).fill(0), ...right, ...tail];
}

function v4Reason(address: number): string | undefined {
  if (address === 0xffffffff) return "a broadcast address";
  for (const [first, bits, reason] of BLOCKED_V4) if (inPrefix(address, first, bits)) return reason;
  return undefined;
}

function v6Reason(g: readonly number[]): string | undefined {
  const embedded = (hi: number, lo: number): number => ((hi << 16) | lo) >>> 0;
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return "an unspecified address";
  if (zeros(0, 7) && g[7] === 1) return "a loopback address";
  // ::a.b.c.d (IPv4-compatible) and ::ffff:a.b.c.d (IPv4-mapped) reach the embedded IPv4 address.
  if (zeros(0, 6) || (zeros(0, 5) && g[5] === 0xffff)) return v4Reason(embedded(g[6]!, g[7]!));
  // 64:ff9b::/96 (NAT64) also reaches the embedded address.
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4Reason(embedded(g[6]!, g[7]!));
  // 2002::/16 (6to4) embeds an IPv4 address in groups 1-2.
  if (g[0] === 0x2002) return v4Reason(embedded(g[1]!, g[2]!));
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return "a unique local (private) address";
  if ((first & 0xffc0) === 0xfe80) return "a link-local address";
  if ((first & 0xffc0) === 0xfec0) return "a site-local address";
  if ((first & 0xff00) === 0xff00) return "a multicast address";
  return undefined;
}

/** Why this host must not be fetched, or undefined if it may be. `hostname` as URL.hostname gives it. */
export function refusedHostReason(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return "a localhost name";
  if (host.startsWith("[") && host.endsWith("]")) {
    const groups = parseIpv6(host.slice(1, -1));
    return groups ? v6Reason(groups) : "an IPv6 address that cannot be read";
  }
  const v4 = parseIpv4(host);
  return v4 === undefined ? undefined : v4Reason(v4);
}

/** Is this host this machine: a localhost name, 127.0.0.0/8, or ::1 (also as ::ffff:127.x.y.z)? */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host.startsWith("[") && host.endsWith("]")) {
    const g = parseIpv6(host.slice(1, -1));
    if (!g) return false;
    if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true;
    const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
    return mapped && g[6]! >>> 8 === 127;
  }
  const v4 = parseIpv4(host);
  return v4 !== undefined && v4 >>> 24 === 127;
}

/** May the Worker fetch `text`? Every redirect hop is checked again with this. */
export function checkFetchUrl(text: string, allowLoopback: boolean): Result<URL> {
  const url = parseHttpUrl(text);
  if (!url) return err(`${JSON.stringify(text.slice(0, 200))} is not an http(s) URL without credentials`);
  if (allowLoopback && isLoopbackHost(url.hostname)) return ok(url);
  const reason = refusedHostReason(url.hostname);
  if (reason) return err(`${url.host} is ${reason}; it is not fetched`);
  return ok(url);
}
