/**
 * What a new build's webmention list changes in the table of webmentions we send (pure): the
 * Recommendation's rules for new, updated and deleted posts, once per change.
 *
 *   new link        a row, queued (§3.1.3 once the post is live)
 *   edited post     every earlier row of the post queued again, also for a target the edit took
 *                   out (§3.1.4: "re-send any previously sent Webmentions, (including re-sending a
 *                   Webmention to a URL that may have been removed from the document)"); the
 *                   endpoint is discovered again (§3.1.4: "MUST re-discover")
 *   deleted post    every row that was sent queued once more (§3.1.5: "re-send Webmentions for every
 *                   previously sent Webmention"); the receiver then finds our page gone
 *   before sending  a row whose post was deleted, or whose link was taken out, before anything was
 *                   sent is cancelled: there is nothing to take back
 *
 * "Once per change": each row carries the fingerprint it was queued for, so listing the same post
 * again (a redeploy) changes nothing.
 */
import type { WebmentionList } from "../shared/site-config.ts";
import { DELETED, type SendChange, type SendRow } from "./send-store.ts";

const key = (postId: number, target: string) => `${postId} ${target}`;

/** A row of a listed post the build no longer lists as a target, or of a post that is gone. */
function retire(row: SendRow, fingerprint: string, why: string): SendChange | undefined {
  if (row.fingerprint === fingerprint) return undefined;
  const wasSent = row.sent_fingerprint !== null;
  if (wasSent && row.state !== "queued") return { op: "requeue", id: row.id, fingerprint, reason: fingerprint === DELETED ? "deleted" : "updated" };
  if (!wasSent && row.state === "queued") return { op: "cancel", id: row.id, fingerprint, detail: `cancelled: ${why} before anything was sent` };
  return { op: "mark", id: row.id, fingerprint };
}

/** A listed target whose row exists: queued again when the post changed since. */
function refresh(row: SendRow, fingerprint: string): SendChange | undefined {
  if (row.fingerprint === fingerprint) return undefined;
  if (row.state === "queued") return { op: "mark", id: row.id, fingerprint };
  return { op: "requeue", id: row.id, fingerprint, reason: row.sent_fingerprint === null && row.state === "cancelled" ? "new" : "updated" };
}

export function planSendChanges(list: WebmentionList, rows: readonly SendRow[], published: (postId: number) => boolean): SendChange[] {
  const byKey = new Map(rows.map((row) => [key(row.post_id, row.target), row]));
  const listedPosts = new Map(list.items.map((item) => [item.post_id, item]));
  const changes: SendChange[] = [];
  for (const item of list.items) {
    for (const target of item.targets) {
      const row = byKey.get(key(item.post_id, target));
      const change = row
        ? refresh(row, item.fingerprint)
        : ({ op: "insert", postId: item.post_id, source: item.source, target, fingerprint: item.fingerprint } as const);
      if (change) changes.push(change);
    }
  }
  for (const row of rows) {
    const item = listedPosts.get(row.post_id);
    let change: SendChange | undefined;
    if (item && !item.targets.includes(row.target)) change = retire(row, item.fingerprint, "the post no longer links to the target");
    else if (!item && !published(row.post_id)) change = retire(row, DELETED, "the post was deleted");
    if (change) changes.push(change);
  }
  return changes;
}
