/**
 * Webmentions in the owner's pages (behind the session):
 *
 *   GET  /owner/inbox/webmentions                          received, newest first
 *   POST /owner/inbox/webmentions/:id/moderation/:choice   approved | hidden (POST /api/webmentions/:id/moderation)
 *   GET  /owner/outbox/webmentions                         what our posts send
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { integerText } from "../shared/schemas.ts";
import { moderateWebmention } from "../webmention/store.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import { foreignForm } from "./components.tsx";
import { noticeKey, returnForm } from "./forms.ts";
import { returnTarget } from "./security.ts";
import { ReceivedPage, SentPage } from "./webmention-pages.tsx";
import { receivedView, sentView } from "./webmention-queries.ts";

const RECEIVED = { title: "Webmentions received", section: "inbox" } as const;
const moderationParam = z.object({ id: integerText(1, Number.MAX_SAFE_INTEGER), choice: z.enum(["approved", "hidden"]) });

export function receivedWebmentionRoutes(): Hono<WorkerBindings> {
  const routes = new Hono<WorkerBindings>();
  routes.get("/", zValidator("query", z.object({ notice: noticeKey })), async (c) =>
    c.render(<ReceivedPage items={await receivedView(c.var.db)} notice={c.req.valid("query").notice} />, RECEIVED),
  );
  routes.post(
    "/:id/moderation/:choice",
    zValidator("param", moderationParam, (result, c) => {
      if (result.success) return undefined;
      c.status(404);
      return c.render(<p>There is no such webmention.</p>, RECEIVED);
    }),
    zValidator("form", returnForm, foreignForm("inbox")),
    async (c) => {
      const { id, choice } = c.req.valid("param");
      if (!(await moderateWebmention(c.var.db, id, choice))) {
        c.status(404);
        return c.render(<p>There is no such webmention.</p>, RECEIVED);
      }
      return c.redirect(returnTarget(c.req.valid("form").return_to, "/owner/inbox/webmentions", choice === "approved" ? "approved" : "rejected"), 303);
    },
  );
  return routes;
}

export function sentWebmentionRoutes(): Hono<WorkerBindings> {
  return new Hono<WorkerBindings>().get("/", async (c) =>
    c.render(<SentPage items={await sentView(c.var.db)} />, { title: "Webmentions sent", section: "outbox" }),
  );
}
