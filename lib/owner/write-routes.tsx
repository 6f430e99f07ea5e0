/**
 * The Write section of the owner's pages (mounted at /owner/write, behind the session):
 *
 *   GET  /owner/write[?reply=|?repost=<timeline item>|?reply_inbox=|?repost_inbox=<verified reply>]
 *                       the form, prefilled to answer that item
 *   POST /owner/write   action=preview: the post as the site will show it, and its file; action=publish: writePost()
 *
 * Publishing is the same writePost() as POST /api/write/posts (lib/write/write-post.ts). Committed ends in
 * a redirect (POST-redirect-GET); a draft refused or not committed comes back in its form with why,
 * every field as typed.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as z from "zod/mini";
import { getReply } from "../inbox/store.ts";
import { postDraft, postFile } from "../shared/post-file.ts";
import { plainTextOf } from "../shared/sanitize-html.ts";
import { describeIssues, integerText } from "../shared/schemas.ts";
import { timelineItemOf } from "../timeline/queries.ts";
import { loadTimelineItem } from "../timeline/store.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import { nextPostId } from "../write/commit-post.ts";
import { highestWrittenId, listWritten } from "../write/store.ts";
import { writePost } from "../write/write-post.ts";
import { invalidPage, noticeKey, typed } from "./forms.ts";
import type { OwnerKit } from "./kit.ts";
import { blankForm, draftOf, type WritePostForm, writePostForm } from "./write-form.ts";
import { WritePostPage } from "./write-pages.tsx";
import { previewBodyHtml } from "./write-preview.tsx";

const WRITE = { title: "Write", section: "write" } as const;
const itemId = z.optional(integerText(1, Number.MAX_SAFE_INTEGER));
/** ?reply= / ?repost= a timeline item; ?reply_inbox= / ?repost_inbox= a verified reply in the inbox. */
const writeQuery = z.object({ reply: itemId, repost: itemId, reply_inbox: itemId, repost_inbox: itemId, notice: noticeKey });

/** The item answered, from the timeline store or a verified reply of the inbox. */
interface Answered {
  user_id: string;
  user_link: string;
  guid: string;
  username: string;
  date: string | null;
  text: string;
}

async function answered(c: Context<WorkerBindings>, source: "timeline" | "inbox", id: number): Promise<Answered | undefined> {
  if (source === "timeline") {
    const row = await loadTimelineItem(c.var.db, id);
    return row ? { ...timelineItemOf(row) } : undefined;
  }
  const reply = await getReply(c.var.db, id);
  if (reply?.verification !== "verified") return undefined;
  const text = reply.item_html ? plainTextOf(reply.item_html) : "";
  return { user_id: reply.user_id, user_link: reply.user_link, guid: reply.status_id, username: reply.username, date: reply.item_date, text };
}

/** The form to answer an item: its account and guid; a repost also their words and date. */
async function answeringForm(
  c: Context<WorkerBindings>,
  kind: "reply" | "repost",
  source: "timeline" | "inbox",
  id: number,
): Promise<WritePostForm | undefined> {
  const item = await answered(c, source, id);
  if (!item) return undefined;
  const form: WritePostForm = { ...blankForm(kind), user_id: item.user_id, user_link: item.user_link, status_id: item.guid, username: item.username };
  if (kind === "reply") form.text = `@${item.username} `;
  else Object.assign(form, { pubdate: item.date ?? "", quoted: item.text });
  return form;
}

async function page(
  c: Context<WorkerBindings>,
  form: WritePostForm,
  extra: { preview?: { bodyHtml: string; file: string }; error?: string; notice?: string } = {},
) {
  return c.render(<WritePostPage form={form} written={await listWritten(c.var.db, 20)} {...extra} />, WRITE);
}

export function writeRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();

  routes.get(
    "/",
    zValidator(
      "query",
      writeQuery,
      invalidPage((c) => page(c, blankForm(), { error: "That is not an item of your timeline." })),
    ),
    async (c) => {
      const { reply, repost, reply_inbox, repost_inbox, notice } = c.req.valid("query");
      const asked = [
        ["reply", "timeline", reply],
        ["repost", "timeline", repost],
        ["reply", "inbox", reply_inbox],
        ["repost", "inbox", repost_inbox],
      ].find((entry) => entry[2] !== undefined) as ["reply" | "repost", "timeline" | "inbox", number] | undefined;
      const form = asked ? await answeringForm(c, ...asked) : blankForm();
      if (!form) {
        c.status(404);
        return page(c, blankForm(), { error: "That item is no longer in your timeline or inbox (or is not a verified reply)." });
      }
      return page(c, form, notice ? { notice } : {});
    },
  );

  routes.post(
    "/",
    zValidator(
      "form",
      writePostForm,
      invalidPage((c, { problems, data }) => page(c, { ...blankForm(), text: typed(data, "text") }, { error: `Not published: ${problems}` })),
    ),
    async (c) => {
      const form = c.req.valid("form");
      const draft = draftOf(form);
      if (form.action === "preview") {
        const checked = postDraft.safeParse(draft);
        if (!checked.success) return page(c, form, { error: `Not ready: ${describeIssues(checked.error.issues).join("; ")}` });
        const id = nextPostId(kit.config, await highestWrittenId(c.var.db));
        const file = postFile(checked.data, { now: kit.deps.now(), id }, () => false).content;
        return page(c, form, { preview: { bodyHtml: previewBodyHtml(checked.data), file } });
      }
      const written = await writePost(draft, kit.config, c.env, c.var.db, kit.deps);
      if (written.ok) return c.redirect(`/owner/write?notice=committed#written-${written.value.row}`, 303);
      const status = { invalid: 400, failed: 502, unavailable: 503 }[written.error.kind];
      c.status(status as ContentfulStatusCode);
      return page(c, form, { error: `Not published: ${written.error.detail}` });
    },
  );
  return routes;
}
