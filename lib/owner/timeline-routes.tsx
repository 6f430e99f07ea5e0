/**
 * The timeline section of the owner's pages (mounted at /owner/timeline, behind the session):
 *
 *   GET /owner/timeline[?user=&mentions=1&limit=&cursor=]   followed accounts' posts, newest first
 *   GET /owner/timeline/follows                            each followed feed's state
 *
 * One store, one set of rules: the page is readTimeline() with the API's own query schema (GET
 * /api/timeline), so ?user=, ?mentions=, ?limit= and the cursor mean the same in both; the feeds'
 * state is readFollows() (GET /api/timeline/follows). Both only read D1.
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { readFollows, readTimeline, timelineQuery } from "../timeline/queries.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import { invalidPage, noticeKey } from "./forms.ts";
import type { OwnerKit } from "./kit.ts";
import { FollowsPage, TimelinePage } from "./timeline-pages.tsx";

/** The API's query; the filter form sends user="" for "everyone you follow". */
export const timelinePageQuery = z.extend(timelineQuery, {
  user: z.optional(z.union([z.literal(""), timelineQuery.shape.user])),
  notice: noticeKey,
});

const TIMELINE = { title: "Timeline", section: "timeline" } as const;

/** The next page's link keeps the filters; the cursor is the API's own. */
function olderLink(user: string | undefined, mentions: boolean | undefined, limit: number | undefined, cursor: string): string {
  const params = new URLSearchParams();
  if (user !== undefined) params.set("user", user);
  if (mentions) params.set("mentions", "1");
  if (limit !== undefined) params.set("limit", String(limit));
  params.set("cursor", cursor);
  return `/owner/timeline?${params}`;
}

export function timelineRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  const { config } = kit;
  const { owner, follows } = config;
  const routes = new Hono<WorkerBindings>();

  routes.get(
    "/",
    zValidator(
      "query",
      timelinePageQuery,
      invalidPage((c, { problems }) =>
        c.render(
          <TimelinePage items={[]} owner={owner} follows={follows} mentions={false} error={`That is not a view of the timeline: ${problems}`} />,
          TIMELINE,
        ),
      ),
    ),
    async (c) => {
      const { user: chosen, mentions, limit, cursor, notice } = c.req.valid("query");
      const user = chosen || undefined;
      const page = await readTimeline(c.var.db, config, {
        ...(user !== undefined ? { user } : {}),
        ...(mentions !== undefined ? { mentions } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
      const common = { owner, follows, mentions: mentions ?? false, ...(user !== undefined ? { user } : {}), ...(notice !== undefined ? { notice } : {}) };
      if (!page.ok) {
        c.status(400);
        return c.render(<TimelinePage items={[]} {...common} error="That is not a page of the timeline; start again from the newest posts." />, TIMELINE);
      }
      const next = page.value.next_cursor;
      const older = next ? olderLink(user, mentions, limit, next) : undefined;
      return c.render(<TimelinePage items={page.value.items} {...common} {...(older ? { older } : {})} />, TIMELINE);
    },
  );

  routes.get("/follows", async (c) =>
    c.render(<FollowsPage follows={await readFollows(c.var.db, config, kit.deps.now())} />, { title: "Feeds you follow", section: "timeline" }),
  );

  return routes;
}
