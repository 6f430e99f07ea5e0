// Strangers' HTML made safe to show (lib/shared/sanitize-html.ts, js-xss with an allowlist): the
// allowed markup survives, everything that could run, load or mislead does not.
import { describe, expect, it } from "vitest";
import { plainTextOf, sanitizeHtml } from "../../lib/shared/sanitize-html.ts";

describe("sanitizeHtml", () => {
  it("keeps paragraphs, emphasis, lists, code, quotes and http(s) links (marked nofollow)", () => {
    const html =
      '<p>Hi <em>there</em> <strong>you</strong></p><ul><li>one</li></ul><pre><code>x &lt; y</code></pre><blockquote>q</blockquote><a href="https://a.example/?x=1&amp;y=2">link</a>';
    expect(sanitizeHtml(html)).toBe(
      '<p>Hi <em>there</em> <strong>you</strong></p><ul><li>one</li></ul><pre><code>x &lt; y</code></pre><blockquote>q</blockquote><a href="https://a.example/?x=1&amp;y=2" rel="nofollow ugc noopener noreferrer">link</a>',
    );
  });

  it.each([
    ["<script>alert(1)</script><p>ok</p>", "<p>ok</p>"],
    ['<p onclick="alert(1)" style="color:red" class="x">ok</p>', "<p>ok</p>"],
    ['<a href="javascript:alert(1)">x</a>', "<a>x</a>"],
    ['<a href="JaVaScRiPt&#58;alert(1)">x</a>', "<a>x</a>"],
    ['<a href="data:text/html,<script>alert(1)</script>">x</a>', "<a>x</a>"],
    ['<a href="/relative">x</a>', "<a>x</a>"],
    ['<iframe src="https://evil.example"></iframe>after', "after"],
    ['<svg onload="alert(1)"><circle/></svg>after', "after"],
    ["<style>body{display:none}</style>after", "after"],
    ["<div><span>kept text</span></div>", "kept text"],
    ['<img src="x" onerror="alert(1)">', ""],
    ["<!-- <script>alert(1)</script> -->ok", "ok"],
    ['<form action="https://evil.example"><input name="x"><button>go</button></form>', "go"],
  ])("makes %s inert", (html, safe) => {
    expect(sanitizeHtml(html)).toBe(safe);
  });

  it("turns an image into a link to it, loading nothing", () => {
    expect(sanitizeHtml('<img src="https://img.example/a.png" alt="a cat">')).toBe(
      '<a href="https://img.example/a.png" rel="nofollow ugc noopener noreferrer">image: a cat</a>',
    );
    expect(sanitizeHtml('<img src="https://img.example/a.png" alt="&quot;><script>">')).not.toContain("<script>");
  });
});

describe("plainTextOf", () => {
  it("gives the text on one line with entities decoded", () => {
    expect(plainTextOf("<p>Tom &amp; Jerry</p><p>caf&#233; &#x263A;</p>")).toBe("Tom & Jerry café ☺");
    expect(plainTextOf("<script>alert(1)</script>hi")).toBe("hi");
  });
});
