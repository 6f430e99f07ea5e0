/**
 * Micropub's HTML content in a post file (lib/micropub/content-html.ts over lib/shared/post-html.ts),
 * read by the build's own markdown (lib/publish/markdown.ts): the block is passed through as it is
 * -- blank lines, indented lines, `#`, `*` or `[x](y)` in the app's text never become markup -- and
 * what the allowlist drops never reaches a page.
 */
import { describe, expect, it } from "vitest";
import { escapeMarkdownInline, htmlContentBlock, htmlOfBlock } from "../../lib/micropub/content-html.ts";
import { renderMarkdown } from "../../lib/publish/markdown.ts";

describe("an HTML block in a post file", () => {
  it("is rendered exactly as written, whatever markdown would have read in it", () => {
    const html = "<p>a</p>\n\n<p>b *c* [d](https://e.example/)</p>\n\n    indented\n\n# not a heading\n\n- not a list\n\n<pre>x\n\n    y *z*</pre>";
    const block = htmlContentBlock(html);
    expect(block).toBe(
      "<div>\n<p>a</p>\n<p>b *c* [d](https://e.example/)</p>\n    indented\n# not a heading\n- not a list\n<pre>x&#10;&#10;    y *z*</pre>\n</div>",
    );
    // As postFile writes it: the body and a final line break.
    expect(renderMarkdown(`${block}\n`)).toBe(`${block}\n`);
    expect(htmlOfBlock(block)).toBe(block.slice("<div>\n".length, -"\n</div>".length));
  });

  it("keeps nothing that runs and keeps text as text", () => {
    const block = htmlContentBlock(
      '<div onclick="x()"><script>alert(1)</script><p style="color:red">1 &lt; 2 &amp; <b>bold</b></p><iframe src="https://e.example"></iframe><a href="javascript:alert(2)">js</a><img src="x" onerror="alert(3)"></div>',
    );
    expect(block).toBe("<div>\n<p>1 &lt; 2 &amp; <b>bold</b></p><a>js</a><img>\n</div>");
    expect(renderMarkdown(block)).not.toMatch(/script|onclick|onerror|iframe|javascript|style=/);
    expect(htmlContentBlock("<script>only()</script>  \n\n ")).toBe("");
  });

  it("a title or an alt text escaped for one markdown line stays its text", () => {
    const title = "*a* [b](https://c.example/) <i> &amp; #x `y` !z";
    expect(renderMarkdown(`# ${escapeMarkdownInline(title)}`)).toBe("<h1>*a* [b](https://c.example/) &lt;i&gt; &amp;amp; #x `y` !z</h1>\n");
  });
});
