/**
 * Workers Static Assets' rules, as wrangler.toml configures them, for npm start's own static server
 * (server.ts): which requests run the Worker (`run_worker_first`, and every method but GET and HEAD),
 * `html_handling = "auto-trailing-slash"` (the default: foo.html is served at /foo, foo/index.html at
 * /foo/, the other spellings redirect there with 307), `not_found_handling = "404-page"` (the nearest
 * 404.html, status 404), the `_headers` file's rules and the content types. Each is written after
 * Cloudflare's documentation (developers.cloudflare.com/workers/static-assets/: routing/advanced/
 * html-handling, routing/worker-script, headers) and the asset worker that wrangler dev runs.
 */

/** Files the asset server never serves: its configuration files (Static Assets reads them at deploy). */
const NEVER_SERVED = new Set(["/_headers", "/_redirects", "/.assetsignore"]);

/**
 * The decoded path of a request, or undefined when it must be refused: a `..` or `.` segment (also
 * percent-encoded: %2e%2e), an encoded slash or backslash (%2f, %5c) that could join segments, a
 * backslash, a NUL, or bytes that are not UTF-8. What is left can only name a file under the folder.
 */
export function safePathname(rawPathname: string): string | undefined {
  if (/%(2f|5c|00)/i.test(rawPathname)) return undefined;
  let pathname: string;
  try {
    pathname = decodeURIComponent(rawPathname);
  } catch {
    return undefined;
  }
  if (!pathname.startsWith("/") || pathname.includes("\\") || pathname.includes("\0")) return undefined;
  if (pathname.split("/").some((segment) => segment === ".." || segment === ".")) return undefined;
  return pathname.replace(/\/{2,}/g, "/");
}

/** What the asset server answers for a path: a file (under the folder, "/"-rooted), a redirect, or the 404 page. */
export type AssetAnswer = { file: string; status: 200 } | { redirect: string } | { file: string | undefined; status: 404 };

/**
 * `html_handling = "auto-trailing-slash"` and `not_found_handling = "404-page"`, on a decoded, safe
 * path; `exists(file)` says whether the folder holds that regular file. Redirects keep the query.
 */
export function resolveAsset(pathname: string, exists: (file: string) => boolean): AssetAnswer {
  const has = (file: string) => !NEVER_SERVED.has(file) && exists(file);
  const redirectIf = (file: string, to: string): AssetAnswer | undefined => (to !== pathname && has(file) ? { redirect: to } : undefined);
  let answer: AssetAnswer | undefined;
  if (pathname.endsWith("/index")) {
    if (has(pathname)) return { file: pathname, status: 200 };
    answer = redirectIf(`${pathname}.html`, pathname.slice(0, -5)) ?? redirectIf(`${pathname.slice(0, -6)}.html`, pathname.slice(0, -6));
  } else if (pathname.endsWith("/index.html")) {
    answer = redirectIf(pathname, pathname.slice(0, -10)) ?? redirectIf(`${pathname.slice(0, -11)}.html`, pathname.slice(0, -11));
  } else if (pathname.endsWith("/")) {
    if (has(`${pathname}index.html`)) return { file: `${pathname}index.html`, status: 200 };
    answer = pathname === "/" ? undefined : redirectIf(`${pathname.slice(0, -1)}.html`, pathname.slice(0, -1));
  } else if (pathname.endsWith(".html")) {
    answer = redirectIf(pathname, pathname.slice(0, -5)) ?? redirectIf(`${pathname.slice(0, -5)}/index.html`, `${pathname.slice(0, -5)}/`);
  }
  if (answer) return answer;
  if (has(pathname)) return { file: pathname, status: 200 };
  if (has(`${pathname}.html`)) return { file: `${pathname}.html`, status: 200 };
  const folderIndex = redirectIf(`${pathname}/index.html`, `${pathname}/`);
  if (folderIndex) return folderIndex;
  return { file: notFoundPage(pathname, has), status: 404 };
}

/** "404-page": the 404.html nearest the path, walking up to the root; none when the site has none. */
function notFoundPage(pathname: string, has: (file: string) => boolean): string | undefined {
  let dir = pathname.slice(0, pathname.lastIndexOf("/") + 1);
  for (;;) {
    if (has(`${dir}404.html`)) return `${dir}404.html`;
    if (dir === "/") return undefined;
    dir = dir.slice(0, dir.slice(0, -1).lastIndexOf("/") + 1);
  }
}

/** Content types as the asset server gives them (the `mime` package's; text/* with charset=utf-8). */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  xml: "application/xml",
  rss: "application/rss+xml",
  atom: "application/atom+xml",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json",
  webmanifest: "application/manifest+json",
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  yaml: "text/yaml; charset=utf-8",
  yml: "text/yaml; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/vnd.microsoft.icon",
  woff: "font/woff",
  woff2: "font/woff2",
  pdf: "application/pdf",
  mp3: "audio/mpeg",
  mp4: "video/mp4",
  webm: "video/webm",
};

export function contentType(file: string): string | undefined {
  const dot = file.lastIndexOf(".");
  return dot > file.lastIndexOf("/") ? TYPES[file.slice(dot + 1).toLowerCase()] : undefined;
}

/** A path pattern of `run_worker_first` or `_headers`: `*` matches anything (a splat), `:name` one segment. */
function patternRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split("*")
    .map((part) => part.replace(/[-/\\^$+?.()|[\]{}]/g, "\\$&").replace(/:[A-Za-z]\w*/g, "[^/]+"))
    .join(".*");
  return new RegExp(`^${escaped}$`);
}

/**
 * `run_worker_first = [...]`: the paths that run the Worker before any asset; `!`-prefixed patterns
 * exclude paths again (docs: routing/worker-script, "run_worker_first"). Non-GET/HEAD requests run the
 * Worker too: the asset server answers only those two methods.
 */
export function workerFirstMatcher(patterns: readonly string[]): (method: string, pathname: string) => boolean {
  const include = patterns.filter((pattern) => !pattern.startsWith("!")).map(patternRegExp);
  const exclude = patterns.filter((pattern) => pattern.startsWith("!")).map((pattern) => patternRegExp(pattern.slice(1)));
  return (method, pathname) => {
    if (method !== "GET" && method !== "HEAD") return true;
    return include.some((re) => re.test(pathname)) && !exclude.some((re) => re.test(pathname));
  };
}

/** `run_worker_first` as wrangler.toml writes it (a one-line array of strings), so that file stays the one source. */
export function readWorkerFirst(wranglerToml: string): string[] {
  const line = /^\s*run_worker_first\s*=\s*(\[[^\]\n]*\])\s*(#.*)?$/m.exec(wranglerToml);
  if (!line) throw new Error("wrangler.toml has no one-line run_worker_first = [...] under [assets]");
  const patterns = JSON.parse(line[1]!) as unknown;
  if (!Array.isArray(patterns) || !patterns.every((item) => typeof item === "string")) throw new Error("run_worker_first must be an array of strings");
  return patterns;
}

interface HeaderRule {
  pattern: RegExp;
  set: [string, string][];
  unset: string[];
}

/**
 * The `_headers` file (docs: static-assets/headers): a rule is an unindented URL pattern, its headers
 * the indented `Name: value` lines below it; `! Name` removes a header an earlier rule set. Every
 * matching rule applies; a header two rules set is joined with ", ". Rules naming a host are skipped:
 * the dev server has one origin.
 */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  let current: HeaderRule | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim() || raw.trim().startsWith("#")) continue;
    if (!/^\s/.test(raw)) {
      current = raw.trim().startsWith("/") ? { pattern: patternRegExp(raw.trim()), set: [], unset: [] } : undefined;
      if (current) rules.push(current);
      continue;
    }
    if (!current) continue;
    const line = raw.trim();
    if (line.startsWith("!")) current.unset.push(line.slice(1).trim().toLowerCase());
    else {
      const colon = line.indexOf(":");
      if (colon > 0) current.set.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return rules;
}

/** The headers the matching rules add to an asset response for `pathname`. */
export function headersFor(rules: readonly HeaderRule[], pathname: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const rule of rules) {
    if (!rule.pattern.test(pathname)) continue;
    for (const name of rule.unset) headers.delete(name);
    for (const [name, value] of rule.set) headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return headers;
}
