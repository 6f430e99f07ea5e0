/**
 * The timeline on the owner's pages (registered by routes.tsx after the session check):
 *
 *   GET /owner/timeline[?user=&mentions=1&limit=&cursor=]   followed accounts' posts, newest first
 *   GET /owner/timeline/follows                            each followed feed's state
 *
 * One store, one set of rules: the page is readTimeline() with the API's own query schema (GET
 * /api/timeline), so ?user=, ?mentions=, ?limit= and the cursor mean the same in both; the feeds'
 * state is readFollows() (GET /api/timeline/follows). Both only read D1.
 */
import { zValidator } from "@hono/zod-validator";
import type { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { describeIssues } from "../shared/schemas.ts";
import { readFollows, readTimeline, timelineQuery } from "../timeline/owner-routes.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import type { OwnerPageKit } from "./page-kit.ts";
import { FollowsPage, TimelinePage } from "./timeline-pages.tsx";

/** The API's query; the filter form sends user="" for "everyone you follow". */
export const timelinePageQuery = z.extend(timelineQuery, {
  user: z.optional(z.union([z.literal(""), timelineQuery.shape.user])),
  notice: z.optional(z.string().check(z.maxLength(40))),
});

export function timelinePages(routes: Hono<WorkerBindings>, kit: OwnerPageKit): void {
  const { render, config } = kit;
  const { owner, follows } = config;

  routes.get(
    "/timeline",
    zValidator("query", timelinePageQuery, (result, c) =>
      result.success
        ? undefined
        : render(
            c,
            400,
            "Timeline",
            "timeline",
            <TimelinePage
              items={[]}
              owner={owner}
              follows={follows}
              mentions={false}
              error={`That is not a view of the timeline: ${describeIssues(result.error.issues).join("; ")}`}
            />,
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
      if (!page.ok)
        return render(
          c,
          400,
          "Timeline",
          "timeline",
          <TimelinePage items={[]} {...common} error="That is not a page of the timeline; start again from the newest posts." />,
        );
      let older: string | undefined;
      if (page.value.next_cursor) {
        // The next page keeps the filters; the cursor is the API's own.
        const params = new URLSearchParams();
        if (user !== undefined) params.set("user", user);
        if (mentions) params.set("mentions", "1");
        if (limit !== undefined) params.set("limit", String(limit));
        params.set("cursor", page.value.next_cursor);
        older = `/owner/timeline?${params}`;
      }
      return render(c, 200, "Timeline", "timeline", <TimelinePage items={page.value.items} {...common} {...(older ? { older } : {})} />);
    },
  );

  routes.get("/timeline/follows", async (c) =>
    render(c, 200, "Feeds you follow", "timeline", <FollowsPage follows={await readFollows(c.var.db, config, kit.deps.now())} />),
  );
}
