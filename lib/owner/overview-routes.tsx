/**
 * The overview, the first page after signing in: what waits in the inbox, the timeline and the
 * outbox, each figure a link to where it is.
 */
import type { FC } from "hono/jsx";
import { Hono } from "hono/tiny";
import type { InboxCounts } from "../shared/api-types.ts";
import type { WorkerBindings } from "../worker-kit/env.ts";
import type { OwnerKit } from "./kit.ts";
import { type OverviewFigure, overviewFigures } from "./overview-queries.ts";

export const Overview: FC<{ counts: InboxCounts; extra?: OverviewFigure[] }> = ({ counts, extra }) => (
  <>
    <h1>Overview</h1>
    <ul class="owner-counts">
      <li>
        <strong>{counts.messages.unread}</strong> unread of {counts.messages.total} <a href="/owner/inbox#conversations">messages</a>
      </li>
      <li>
        <strong>{counts.replies.unread}</strong> unread of {counts.replies.total} <a href="/owner/inbox#replies">reply notifications</a>
      </li>
      <li>
        <strong>{counts.replies.verified}</strong> verified replies
      </li>
      <li>
        <strong>{counts.replies.pending + counts.replies.unreachable}</strong> replies still being checked
      </li>
      {(extra ?? []).map((item) => (
        <li>
          <strong>{item.count}</strong> <a href={item.path}>{item.label}</a>
          {item.after ? ` ${item.after}` : null}
        </li>
      ))}
    </ul>
  </>
);

export function overviewRoutes(kit: OwnerKit): Hono<WorkerBindings> {
  return new Hono<WorkerBindings>().get("/", async (c) => {
    const { inbox, extra } = await overviewFigures(c.var.db, kit.deps.now());
    return c.render(<Overview counts={inbox} extra={extra} />, { title: "Overview", section: "overview" });
  });
}
