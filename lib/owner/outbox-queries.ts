/**
 * What the outbox page reads: one page of listOutbox (the owner API's own list, GET /api/outbox)
 * with the API's cursor, and the link to the next page keeping the filter.
 */

import { type ListQuery, listOutbox } from "../outbox/store.ts";
import type { OutboxItem, OutboxState } from "../shared/api-types.ts";
import type { Db } from "../shared/d1.ts";
import { DEFAULT_PAGE_SIZE, idCursor, idFromCursor } from "../worker-kit/cursor.ts";

export interface OutboxRequest {
  state?: OutboxState;
  limit?: number;
  cursor?: string;
}

/** One page of the outbox, newest first; undefined when the cursor is not one of ours. */
export async function outboxView(db: Db, request: OutboxRequest): Promise<{ items: OutboxItem[]; older?: string } | undefined> {
  const { state, limit, cursor } = request;
  const query: ListQuery = { limit: limit ?? DEFAULT_PAGE_SIZE };
  if (state) query.state = state;
  if (cursor) {
    const beforeId = idFromCursor("outbox", cursor);
    if (beforeId === undefined) return undefined;
    query.beforeId = beforeId;
  }
  const listed = await listOutbox(db, query);
  if (listed.nextBeforeId === undefined) return { items: listed.items };
  const params = new URLSearchParams();
  if (state) params.set("state", state);
  if (limit !== undefined) params.set("limit", String(limit));
  params.set("cursor", idCursor("outbox", listed.nextBeforeId));
  return { items: listed.items, older: `/owner/outbox?${params}` };
}
