/**
 * The Write section's page: the form (text, language; for a reply or a repost the item answered,
 * shown as text and carried in hidden fields), a preview of the post as the site will show it
 * (write-preview.tsx) with the exact file that will be committed, and the posts written here with their state. No script: Preview and Publish are two buttons of one
 * form. Everything a stranger wrote is interpolated by Hono's JSX, so it is escaped text.
 */
import type { FC } from "hono/jsx";
import type { WrittenPost } from "../write/store.ts";
import { ErrorAlert, Notice, SafeLink, When } from "./components.tsx";
import type { WritePostForm } from "./write-form.ts";
import { WritePreview } from "./write-preview.tsx";

const Hidden: FC<{ name: string; value: string | undefined }> = ({ name, value }) =>
  value === undefined ? null : <input type="hidden" name={name} value={value} />;

const Answering: FC<{ form: WritePostForm }> = ({ form }) => {
  if (form.kind === "post") return null;
  const who = form.username ? `@${form.username}` : form.user_link;
  return (
    <div class="owner-context">
      <p>
        {form.kind === "reply"
          ? `Replying to ${who}, their post ${form.status_id ?? ""}`
          : `Reposting ${who}'s post ${form.status_id ?? ""} of ${form.pubdate ?? ""}`}
      </p>
      {form.quoted ? <blockquote>{form.quoted}</blockquote> : null}
      {["kind", "user_id", "user_link", "status_id", "username", "pubdate", "quoted"].map((name) => (
        <Hidden name={name} value={form[name as keyof WritePostForm] as string | undefined} />
      ))}
    </div>
  );
};

const STATE_LABEL: Record<WrittenPost["state"], string> = { committed: "committed, waiting for the deploy", live: "live", failed: "failed" };

const WrittenList: FC<{ items: readonly WrittenPost[] }> = ({ items }) =>
  items.length === 0 ? (
    <p>Nothing written here yet.</p>
  ) : (
    <ol class="owner-list">
      {items.map((item) => (
        <li id={`written-${item.id}`}>
          <p class="owner-meta">
            <When iso={item.created_at} />
            {` · ${item.kind}${item.post_id === null ? "" : ` #${item.post_id}`} · `}
            <strong>{STATE_LABEL[item.state]}</strong>
            {item.commit_sha ? (
              <>
                {" · commit "}
                {item.commit_url ? <SafeLink href={item.commit_url}>{item.commit_sha.slice(0, 10)}</SafeLink> : item.commit_sha.slice(0, 10)}
              </>
            ) : null}
          </p>
          <p>{item.draft.text.slice(0, 280) || (item.draft.repost ? `(repost) ${item.draft.repost.text.slice(0, 200)}` : "")}</p>
          {item.error ? <p class="owner-error">{`Why: ${item.error}`}</p> : null}
        </li>
      ))}
    </ol>
  );

export const WritePostPage: FC<{
  form: WritePostForm;
  written: readonly WrittenPost[];
  preview?: { bodyHtml: string; file: string } | undefined;
  error?: string | undefined;
  notice?: string | undefined;
}> = ({ form, written, preview, error, notice }) => (
  <>
    <h1>Write</h1>
    <Notice notice={notice} />
    <ErrorAlert error={error} />
    <form method="post" action="/owner/write" class="owner-form">
      <Answering form={form} />
      <label for="write-text">{form.kind === "repost" ? "Your comment (optional)" : "Your post (markdown)"}</label>
      <textarea id="write-text" name="text" rows={6} maxlength={10000}>
        {form.text}
      </textarea>
      <label for="write-language">Language, when it differs from your profile's (fr, pt-BR, ...)</label>
      <input id="write-language" name="language" value={form.language ?? ""} maxlength={40} autocomplete="off" />
      <p>
        <button type="submit" name="action" value="preview">
          Preview
        </button>{" "}
        <button type="submit" name="action" value="publish" class="primary">
          Publish
        </button>
      </p>
    </form>
    {preview === undefined ? null : <WritePreview {...preview} />}
    <section aria-labelledby="written-heading">
      <h2 id="written-heading">Written here</h2>
      <WrittenList items={written} />
    </section>
  </>
);
