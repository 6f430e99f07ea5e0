/**
 * Webmention endpoint discovery cases (W3C Webmention §3.1.2), after the webmention.rocks discovery
 * tests 1-23: what the target page at `path` serves (served by webmention-targets.ts), and where a
 * correct sender POSTs (`endpoint`, a path on the same loopback server, query string included).
 * "/wrong" paths are endpoints a correct sender never uses. No Node imports: workerd reads it too.
 */
export interface DiscoveryCase {
  n: number;
  name: string;
  /** The target's path (the webmention's target). */
  path: string;
  /** Link headers, in order; `{base}` is the server's origin. */
  links?: string[];
  /** Name of the Link header field as sent (test 7: strange casing). */
  linkName?: string;
  /** The page's body markup (HTML unless `type` says otherwise). */
  body?: string;
  /** Where a correct sender POSTs. */
  endpoint: string;
}

const a = (href: string, rel = "webmention") => `<a rel="${rel}" href="${href}">endpoint</a>`;
const link = (href: string, rel = "webmention") => `<link rel="${rel}" href="${href}">`;

export const DISCOVERY_CASES: DiscoveryCase[] = [
  { n: 1, name: "HTTP Link header, unquoted rel, relative URL", path: "/disc/1", links: ["</endpoint/1>; rel=webmention"], endpoint: "/endpoint/1" },
  { n: 2, name: "HTTP Link header, unquoted rel, absolute URL", path: "/disc/2", links: ["<{base}/endpoint/2>; rel=webmention"], endpoint: "/endpoint/2" },
  { n: 3, name: "HTML <link> tag, relative URL", path: "/disc/3", body: link("/endpoint/3"), endpoint: "/endpoint/3" },
  { n: 4, name: "HTML <link> tag, absolute URL", path: "/disc/4", body: link("{base}/endpoint/4"), endpoint: "/endpoint/4" },
  { n: 5, name: "HTML <a> tag, relative URL", path: "/disc/5", body: a("/endpoint/5"), endpoint: "/endpoint/5" },
  { n: 6, name: "HTML <a> tag, absolute URL", path: "/disc/6", body: a("{base}/endpoint/6"), endpoint: "/endpoint/6" },
  {
    n: 7,
    name: "HTTP Link header with strange casing",
    path: "/disc/7",
    linkName: "LinK",
    links: ["<{base}/endpoint/7>; rel=webmention"],
    endpoint: "/endpoint/7",
  },
  { n: 8, name: "HTTP Link header, quoted rel", path: "/disc/8", links: ['<{base}/endpoint/8>; rel="webmention"'], endpoint: "/endpoint/8" },
  { n: 9, name: "Multiple rel values on a <link> tag", path: "/disc/9", body: link("/endpoint/9", "webmention somethingelse"), endpoint: "/endpoint/9" },
  {
    n: 10,
    name: "Multiple rel values on a Link header",
    path: "/disc/10",
    links: ['</endpoint/10>; rel="webmention somethingelse"'],
    endpoint: "/endpoint/10",
  },
  {
    n: 11,
    name: "Multiple endpoints advertised: Link, <link>, <a>",
    path: "/disc/11",
    links: ["</endpoint/11>; rel=webmention"],
    body: `${link("/wrong/11a")}${a("/wrong/11b")}`,
    endpoint: "/endpoint/11",
  },
  {
    n: 12,
    name: "Checking for exact match of rel=webmention",
    path: "/disc/12",
    body: `${link("/wrong/12", "not-webmention")}${link("/endpoint/12")}`,
    endpoint: "/endpoint/12",
  },
  {
    n: 13,
    name: "False endpoint inside an HTML comment",
    path: "/disc/13",
    body: `<!-- ${link("/wrong/13")} -->${link("/endpoint/13")}`,
    endpoint: "/endpoint/13",
  },
  {
    n: 14,
    name: "False endpoint in escaped HTML",
    path: "/disc/14",
    body: `<code>&lt;a href="/wrong/14" rel="webmention"&gt;&lt;/a&gt;</code>${a("/endpoint/14")}`,
    endpoint: "/endpoint/14",
  },
  { n: 15, name: "Webmention href is an empty string", path: "/disc/15", body: link(""), endpoint: "/disc/15" },
  {
    n: 16,
    name: "Multiple endpoints advertised: <a>, <link>",
    path: "/disc/16",
    body: `<p>${a("/endpoint/16")}</p>${link("/wrong/16")}`,
    endpoint: "/endpoint/16",
  },
  {
    n: 17,
    name: "Multiple endpoints advertised: <link>, <a>",
    path: "/disc/17",
    body: `${link("/endpoint/17")}<p>${a("/wrong/17")}</p>`,
    endpoint: "/endpoint/17",
  },
  {
    n: 18,
    name: "Multiple HTTP Link headers",
    path: "/disc/18",
    links: ['</wrong/18>; rel="other"', '</endpoint/18>; rel="webmention"'],
    endpoint: "/endpoint/18",
  },
  {
    n: 19,
    name: "Single HTTP Link header with multiple values",
    path: "/disc/19",
    links: ['</wrong/19>; rel="other", </endpoint/19>; rel="webmention"'],
    endpoint: "/endpoint/19",
  },
  { n: 20, name: "Link tag with no href attribute", path: "/disc/20", body: `<link rel="webmention">${a("/endpoint/20")}`, endpoint: "/endpoint/20" },
  {
    n: 21,
    name: "Webmention endpoint has query string parameters",
    path: "/disc/21",
    body: link("/endpoint/21?query=yes&b=2"),
    endpoint: "/endpoint/21?query=yes&b=2",
  },
  { n: 22, name: "Webmention endpoint is relative to the path", path: "/disc/22/page", body: link("endpoint"), endpoint: "/disc/22/endpoint" },
  {
    n: 23,
    name: "Webmention target is a redirect and the endpoint is relative",
    path: "/disc/23/start",
    endpoint: "/disc/23/final/endpoint",
  },
];
