/**
 * The overview's figures: the inbox's counts, the timeline's recent posts and mentions, and the
 * outbox's waiting, failed and refused items -- read from the same stores as the owner API.
 */
import { countInbox } from "../inbox/store.ts";
import { countOutbox } from "../outbox/store.ts";
import type { InboxCounts } from "../shared/api-types.ts";
import type { Db } from "../shared/d1.ts";
import { countRecentTimeline } from "../timeline/store.ts";

/** The overview's windows: posts of the last day, mentions of the last week. */
const RECENT_POSTS_MS = 24 * 60 * 60_000;
const RECENT_MENTIONS_MS = 7 * RECENT_POSTS_MS;

/** One figure of the overview: "<count> <a>label</a> after". */
export interface OverviewFigure {
  count: number;
  label: string;
  path: string;
  after?: string;
}

export async function overviewFigures(db: Db, nowMs: number): Promise<{ inbox: InboxCounts; extra: OverviewFigure[] }> {
  const [inbox, timeline, outbox] = await Promise.all([
    countInbox(db),
    countRecentTimeline(db, { postsSinceMs: nowMs - RECENT_POSTS_MS, mentionsSinceMs: nowMs - RECENT_MENTIONS_MS }),
    countOutbox(db),
  ]);
  const extra = [
    { count: timeline.posts, label: "posts in your timeline", path: "/owner/timeline", after: "in the last 24 hours" },
    { count: timeline.mentions, label: "mentions of you", path: "/owner/timeline?mentions=1", after: "in the last 7 days" },
    { count: outbox.queued, label: "waiting to be sent", path: "/owner/outbox?state=queued", after: "in the outbox" },
    { count: outbox.failed, label: "not sent (failed)", path: "/owner/outbox?state=failed", after: "in the outbox" },
    { count: outbox.refused, label: "refused by the receiver", path: "/owner/outbox?state=refused", after: "in the outbox" },
  ];
  return { inbox, extra };
}
