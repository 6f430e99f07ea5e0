/**
 * The Write page's preview: the post's body rendered by the build's own renderer
 * (lib/publish/markdown.ts, the one module of the publish path the Worker bundles), from the words
 * exactly as postFile() writes them, so it is the HTML the post page will carry in its `post-body`.
 * The owner's raw HTML passes as on the site; a repost's quoted words are rendered with raw HTML
 * escaped, as on the site. The owner pages' CSP still runs no script (lib/owner/security.ts), so
 * whatever markup the preview holds cannot run one.
 */
import type { FC } from "hono/jsx";
import { postPageBody, renderPostBody } from "../publish/markdown.ts";
import { type PostDraft, postFileWords } from "../shared/post-file.ts";

/** The HTML the build writes inside the post page's `<div class="post-body e-content">` for this draft. */
export function previewBodyHtml(draft: PostDraft): string {
  const { body, repostText } = postFileWords(draft);
  return postPageBody(renderPostBody(body, repostText), draft.repost !== undefined);
}

export const WritePreview: FC<{ bodyHtml: string; file: string }> = ({ bodyHtml, file }) => (
  <section aria-labelledby="preview-heading">
    <h2 id="preview-heading">Preview: the post as your site will show it</h2>
    <div class="post-body e-content owner-preview-post" dangerouslySetInnerHTML={{ __html: bodyHtml }} />
    <details>
      <summary>The file that will be committed</summary>
      <pre class="owner-preview">{file}</pre>
    </details>
  </section>
);
