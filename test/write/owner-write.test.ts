/**
 * The Write section of the owner's pages (lib/owner/write-routes.tsx) in workerd with the real D1
 * and the loopback forge with a real git repository (test/worker/support/forge-server-write.ts):
 * Reply and Repost on a timeline item prefill the form from the timeline store (their hostile text
 * stays escaped text, in the page and in the committed file); Preview shows the post body as the build's
 * post page carries it (compared with the page the real build writes from the committed file) and the file; Publish
 * commits through the same writePost() as the owner API; a failed commit brings the form back filled
 * with why; a forged Origin changes nothing.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { WorkerEnv } from "../../lib/worker-kit/env.ts";
import { FOLLOWED } from "../worker/support/people.ts";
import { OWNER_TOKEN, testApp, testConfig, testEnv } from "../worker/support/worker.ts";
import { WRITE_FORGE_TOKEN } from "../worker/support/write-forge.ts";

const ORIGIN = "http://owner.test";
// Ids from 100: the repository is shared with write-api.test.ts, whose posts take 10 and up.
const app = testApp(testConfig({ post_ids: [[0, 99]] }));
const forgeEnv = (token = WRITE_FORGE_TOKEN): WorkerEnv =>
  testEnv({ FETCH_ALLOW_LOOPBACK: "true", CONTENT_STORE: `forgejo:http://127.0.0.1:${inject("writeForgePort")}/ada/site@main`, CONTENT_STORE_TOKEN: token });
const repo = async () =>
  (await (await fetch(`http://127.0.0.1:${inject("writeControlPort")}/control/repo`)).json()) as {
    log: { subject: string; files: string[] }[];
    files: Record<string, string>;
  };

const HOSTILE = `<script>alert(1)</script> "quoted" --- \nid: 0`;
let cookie = "";
let itemId = 0;

const page = (path: string, init: RequestInit = {}, bindings = forgeEnv()) =>
  Promise.resolve(app.request(`${ORIGIN}${path}`, { redirect: "manual", ...init, headers: { Cookie: cookie, ...init.headers } }, bindings));
const post = (fields: Record<string, string>, bindings = forgeEnv(), origin = ORIGIN) =>
  page(
    "/owner/write",
    { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin }, body: new URLSearchParams(fields).toString() },
    bindings,
  );

/** The inside of the `post-body` div: the Write preview's, or the post page's the build writes. */
function postBody(html: string): string | undefined {
  return /<div class="post-body e-content[^"]*">\n?([\s\S]*?)<\/div>\s*<(?:details|footer)/.exec(html)?.[1];
}

/** The post page the real build writes from the repository's HEAD for the post just committed. */
async function builtPostBody(): Promise<string | undefined> {
  const file = (await repo()).files[(await repo()).log[0]!.files[0]!]!;
  const id = /^id: (\d+)$/m.exec(file)![1];
  const built = await fetch(`http://127.0.0.1:${inject("writeControlPort")}/control/post-page?id=${id}`);
  expect(built.status).toBe(200);
  return postBody(await built.text());
}

/** The hidden and visible fields of the page's form, as a browser would send them back. */
function fieldsOf(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const decode = (text: string) =>
    text
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  for (const m of html.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)"/g)) fields[m[1]!] = decode(m[2]!);
  const text = /<textarea id="write-text" name="text"[^>]*>([\s\S]*?)<\/textarea>/.exec(html);
  fields.text = decode(text?.[1] ?? "");
  return fields;
}

beforeAll(async () => {
  const signIn = await app.request(
    `${ORIGIN}/owner/sign-in`,
    {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN },
      body: new URLSearchParams({ token: OWNER_TOKEN }).toString(),
    },
    testEnv(),
  );
  cookie = signIn.headers.get("Set-Cookie")!.split(";")[0]!;
  const row = await env.DB.prepare(
    `INSERT INTO timeline_items (user_id, username, name, user_link, guid, published_ms, received_ms, html, link, mention)
     VALUES (?1, ?2, NULL, ?3, '41', ?4, ?4, ?5, NULL, 0) RETURNING id`,
  )
    .bind(
      FOLLOWED.user_id,
      FOLLOWED.username,
      FOLLOWED.user_link,
      Date.UTC(2026, 1, 28, 10, 0, 0),
      `<p>${HOSTILE.replace(/</g, "&lt;")}</p><img src=x onerror="alert(2)">`,
    )
    .first<{ id: number }>();
  itemId = row!.id;
});

describe("/owner/write", () => {
  it("the timeline offers Reply and Repost on every item", async () => {
    const html = await (await page("/owner/timeline")).text();
    expect(html).toContain(`href="/owner/write?reply=${itemId}"`);
    expect(html).toContain(`href="/owner/write?repost=${itemId}"`);
  });

  it("Repost prefills their words and date as escaped text; Preview shows the post as built (their words quoted as text) and the file; Publish commits it", async () => {
    const form = await page(`/owner/write?repost=${itemId}`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).not.toMatch(/<script>alert|<img src=x/);
    const fields = fieldsOf(html);
    expect(fields).toMatchObject({
      kind: "repost",
      user_id: FOLLOWED.user_id,
      user_link: FOLLOWED.user_link,
      status_id: "41",
      username: "fern",
      pubdate: "2026-02-28T10:00:00Z",
    });
    expect(fields.quoted).toContain("<script>alert(1)</script>");

    const preview = await post({ ...fields, text: "Worth reading.", action: "preview" });
    const previewHtml = await preview.text();
    expect(previewHtml).toContain("The file that will be committed");
    expect(previewHtml).toContain("repost:\n  user_id: &quot;");
    expect(previewHtml).not.toContain("<script>alert");
    // Their words in the rendered preview: quoted below the comment, their markup escaped text.
    expect(postBody(previewHtml)).toBe(
      "<p>Worth reading.</p>\n<blockquote>\n<p>&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; --- id: 0</p>\n</blockquote>\n",
    );

    const published = await post({ ...fields, text: "Worth reading.", action: "publish" });
    expect(published.status).toBe(303);
    expect(published.headers.get("Location")).toMatch(/^\/owner\/write\?notice=committed#written-\d+$/);
    const state = await repo();
    expect(state.log[0]!.subject).toMatch(/^Repost \d+ of @fern: Worth reading\.$/);
    const file = state.files[state.log[0]!.files[0]!]!;
    // Their words arrive as the timeline's one line of plain text, escaped in a double-quoted scalar.
    expect(file).toContain('  text: "<script>alert(1)</script> \\"quoted\\" --- id: 0"');
    expect(file).toMatch(/^---\ndate: 2026-03-01T12:00:30Z\nid: 100\nrepost:\n/);
    expect(file.match(/^id: /gm)).toHaveLength(1);
    const list = await (await page("/owner/write?notice=committed")).text();
    expect(list).toContain("committed, waiting for the deploy");
    expect(await builtPostBody()).toBe(postBody(previewHtml));
  });

  it("Preview renders markdown as the post page will: emphasis, a link, a code block, the owner's raw HTML; the CSP still runs no script", async () => {
    const text =
      "Some *emphasis* and **more**, [a link](https://example.org/a?b=1&c=2), https://bare.example/x\n\n```js\nconst a = 1 < 2;\n```\n\n<mark>mine</mark>";
    const preview = await post({ text, action: "preview" });
    expect(preview.status).toBe(200);
    const csp = preview.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("script-src");
    const previewHtml = await preview.text();
    const shown = postBody(previewHtml);
    expect(shown).toContain("<em>emphasis</em>");
    expect(shown).toContain('<a href="https://example.org/a?b=1&amp;c=2">a link</a>');
    expect(shown).toContain('<pre><code class="language-js">const a = 1 &lt; 2;\n</code></pre>');
    expect(shown).toContain("<mark>mine</mark>");
    expect((await post({ text, action: "publish" })).status).toBe(303);
    expect(await builtPostBody()).toBe(shown);
  });

  it("Reply prefills @username; a commit the forge refuses comes back with every word and the reason", async () => {
    const fields = fieldsOf(await (await page(`/owner/write?reply=${itemId}`)).text());
    expect(fields).toMatchObject({ kind: "reply", status_id: "41", text: "@fern " });
    const head = (await repo()).log[0]!.subject;
    const failed = await post({ ...fields, text: "@fern Every word kept\nover two lines.", language: "fr", action: "publish" }, forgeEnv("wrong-token-5"));
    expect(failed.status).toBe(502);
    const html = await failed.text();
    expect(html).toContain("Not published: the forge refused the token");
    expect(html).toContain("@fern Every word kept\nover two lines.</textarea>");
    expect(html).toContain('value="fr"');
    expect(fieldsOf(html)).toMatchObject({ kind: "reply", status_id: "41" });
    expect(html).not.toContain("wrong-token-5");
    expect((await repo()).log[0]!.subject).toBe(head);
  });

  it("a verified reply in the inbox offers Reply and Repost, prefilled from the inbox; an unverified one is refused", async () => {
    const insert = (status: string, verification: string) =>
      env.DB.prepare(
        `INSERT INTO replies (post_id, sender_user_id, sender_username, sender_user_link, sender_link_normalized, status_id, received_at, verification, item_html, item_date)
         VALUES (3, ?1, 'fern', ?2, ?2, ?3, '2026-03-01T11:00:00Z', ?4, '<p>Thanks &lt;b&gt;Ada&lt;/b&gt;</p>', '2026-03-01T10:59:00Z') RETURNING id`,
      )
        .bind(FOLLOWED.user_id, FOLLOWED.user_link, status, verification)
        .first<{ id: number }>();
    const verified = (await insert("77", "verified"))!.id;
    const pending = (await insert("78", "pending"))!.id;
    const inbox = await (await page("/owner/inbox")).text();
    expect(inbox).toContain(`href="/owner/write?reply_inbox=${verified}"`);
    expect(inbox).not.toContain(`href="/owner/write?reply_inbox=${pending}"`);
    const fields = fieldsOf(await (await page(`/owner/write?repost_inbox=${verified}`)).text());
    expect(fields).toMatchObject({ kind: "repost", status_id: "77", username: "fern", pubdate: "2026-03-01T10:59:00Z", quoted: "Thanks <b>Ada</b>" });
    expect((await page(`/owner/write?reply_inbox=${pending}`)).status).toBe(404);
  });

  it("a post from another Origin changes nothing; a forged reply to a javascript: link is refused, nothing written", async () => {
    const rows = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM written_posts").first<{ n: number }>())!.n;
    const before = await rows();
    const foreign = await post({ text: "Hi", action: "publish" }, forgeEnv(), "https://evil.example");
    expect(foreign.status).toBe(403);
    const forged = await post({ text: "Hi", kind: "reply", user_id: "x", user_link: "javascript:alert(1)", status_id: "1", action: "publish" });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("reply_to.user_link");
    expect(await rows()).toBe(before);
  });
});
