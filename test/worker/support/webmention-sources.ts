/**
 * Vitest globalSetup (Node) for the workers project: IndieWeb pages on 127.0.0.1 that send us
 * webmentions, for lib/webmention/ running inside workerd. Each page names its target in `?to=`:
 *
 *   /wm/<kind>?to=T        an h-entry that is a reply / like / repost / mention of T
 *   /wm/nolink?to=T        an h-entry that does not link to T
 *   /wm/feed?to=T          an h-feed whose second entry replies to T
 *   /wm/hostile?to=T       a reply whose content and author name carry markup and script
 *   /wm/text?to=T          a plain-text page that names T (not HTML)
 *   /wm/huge?to=T          a 600 KB page that links to T at its end
 *   /wm/slow               headers, then nothing
 *   /wm/redirect?to=T      302 to /wm/reply?to=T
 *   /wm/loop/a <-> /wm/loop/b   a redirect loop
 *   /wm/gone               410
 *   /wm/flaky/<key>?to=T   503 until GET /control/wm/<key>/<kind>, then that kind (nolink, gone, reply, ...)
 *
 * The port goes to the tests with provide("webmentionServerPort").
 */
import http from "node:http";
import type { TestProject } from "vitest/node";
import { listenOnLoopback } from "./loopback.ts";

const escapeAttr = (text: string) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

function entry(kind: string, to: string): string {
  const link = { reply: "u-in-reply-to", like: "u-like-of", repost: "u-repost-of", mention: "" }[kind] ?? "";
  const target = kind === "nolink" ? "" : `<a class="${link}" href="${escapeAttr(to)}">${kind === "mention" ? "this post" : "the original"}</a>`;
  return `<article class="h-entry">
<a class="p-author h-card" href="/people/carol"><img class="u-photo" src="/people/carol.png" alt=""> Carol Indie</a>
<p>${kind === "mention" ? "I liked " : ""}${target}</p>
<div class="e-content"><p>Great post, from my ${kind === "nolink" ? "unlinked " : ""}site.</p></div>
<a class="u-url" href="/notes/${kind}"><time class="dt-published" datetime="2026-02-28T10:00:00Z">28 Feb</time></a>
</article>`;
}

function page(body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>A note</title></head><body>${body}</body></html>`;
}

function hostile(to: string): string {
  return page(`<article class="h-entry">
<span class="p-author h-card"><span class="p-name">&lt;img src=x onerror=alert(1)&gt;Mallory<script>alert(2)</script></span></span>
<a class="u-in-reply-to" href="${escapeAttr(to)}">re</a>
<div class="e-content"><script>alert(3)</script><p>Click <a href="javascript:alert(4)">here</a> &lt;script&gt;alert(5)&lt;/script&gt;</p></div>
</article>`);
}

const flaky = new Map<string, string>();

interface Answer {
  status: number;
  type?: string;
  body?: string;
  location?: string;
  /** Headers, then nothing. */
  hang?: boolean;
}

const html = (body: string, status = 200): Answer => ({ status, type: "text/html; charset=utf-8", body });

function answer(url: URL): Answer {
  const to = url.searchParams.get("to") ?? "";
  const [, , name, key] = url.pathname.split("/");
  if (name === "flaky") {
    const kind = flaky.get(key ?? "");
    if (!kind) return html("busy", 503);
    return kind === "gone" ? html("gone", 410) : html(page(entry(kind, to)));
  }
  if (name === "slow") return { status: 200, type: "text/html", body: "<!doctype html><html><body>", hang: true };
  if (name === "redirect") return { status: 302, location: `/wm/reply?to=${encodeURIComponent(to)}` };
  if (name === "loop") return { status: 302, location: key === "a" ? "/wm/loop/b" : "/wm/loop/a" };
  if (name === "gone") return html("gone", 410);
  if (name === "text") return { status: 200, type: "text/plain", body: `See ${to}` };
  if (name === "huge") return html(page(`${"<p>filler</p>\n".repeat(45_000)}<a href="${escapeAttr(to)}">x</a>`));
  if (name === "hostile") return html(hostile(to));
  if (name === "feed") return html(page(`<div class="h-feed">${entry("mention", "https://elsewhere.example/")}${entry("reply", to)}</div>`));
  if (name && ["reply", "like", "repost", "mention", "nolink"].includes(name)) return html(page(entry(name, to)));
  return html("not found", 404);
}

function write(response: http.ServerResponse, reply: Answer): void {
  const headers: Record<string, string> = {};
  if (reply.type) headers["Content-Type"] = reply.type;
  if (reply.location) headers.Location = reply.location;
  response.writeHead(reply.status, headers);
  if (reply.hang) response.write(reply.body ?? "");
  else response.end(reply.body ?? "");
}

export default async function setup(project: TestProject) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const control = /^\/control\/wm\/([\w-]+)\/([\w-]+)$/.exec(url.pathname);
    if (control) flaky.set(control[1]!, control[2]!);
    write(response, control ? { status: 204 } : answer(url));
  });
  const address = await listenOnLoopback(server, "the webmention source server");
  project.provide("webmentionServerPort", address.port);
  return address.close;
}
