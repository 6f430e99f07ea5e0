/**
 * The Write form's fields and the draft they make (lib/shared/post-file.ts PostDraft). A reply or a
 * repost carries the item answered in hidden fields, prefilled from the timeline store; every field
 * is checked again as a draft (postDraft) before anything is written, so a forged form is refused
 * like a bad one. Nothing typed is lost: a form that fails comes back with every field as sent.
 */
import * as z from "zod/mini";
import { parseIsoDateTime } from "../shared/dates.ts";
import { POST_TEXT_MAX, type PostDraft } from "../shared/post-file.ts";
import { formText } from "./forms.ts";

const field = (max: number) => z.optional(z.string().check(z.maxLength(max)));

export const writePostForm = z.object({
  text: formText(z.string().check(z.maxLength(POST_TEXT_MAX, `must be at most ${POST_TEXT_MAX} characters`))),
  language: field(40),
  kind: z._default(z.enum(["post", "reply", "repost"]), "post"),
  user_id: field(200),
  user_link: field(2100),
  status_id: field(200),
  username: field(40),
  pubdate: field(64),
  quoted: field(POST_TEXT_MAX),
  action: z._default(z.enum(["preview", "publish"]), "publish"),
});
export type WritePostForm = z.output<typeof writePostForm>;

/** The form's fields as a draft (not yet checked). */
export function draftOf(form: WritePostForm): PostDraft {
  const draft: PostDraft = { text: form.text };
  if (form.language?.trim()) draft.language = form.language.trim();
  if (form.kind === "post") return draft;
  const ref = {
    user_id: form.user_id ?? "",
    user_link: form.user_link ?? "",
    status_id: form.status_id ?? "",
    ...(form.username ? { username: form.username } : {}),
  };
  if (form.kind === "reply") draft.reply_to = ref;
  else draft.repost = { ...ref, pubdate: parseIsoDateTime(form.pubdate ?? "") ?? -1, text: (form.quoted ?? "").replace(/\r\n?/g, "\n") };
  return draft;
}

/** An empty form, or one prefilled to answer an item. */
export function blankForm(kind: WritePostForm["kind"] = "post"): WritePostForm {
  return { text: "", kind, action: "publish" };
}
