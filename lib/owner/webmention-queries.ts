/**
 * What the owner's webmention pages read: the same store functions as the owner API
 * (GET /api/webmentions, GET /api/outbox/webmentions), newest first, one page.
 */
import type { ReceivedWebmention, WebmentionSendItem } from "../shared/api-types.ts";
import type { Db } from "../shared/d1.ts";
import { listSends } from "../webmention/send-store.ts";
import { listWebmentions } from "../webmention/store.ts";

export const WEBMENTIONS_PAGE = 50;

export async function receivedView(db: Db): Promise<ReceivedWebmention[]> {
  return listWebmentions(db, { limit: WEBMENTIONS_PAGE });
}

export async function sentView(db: Db): Promise<WebmentionSendItem[]> {
  return listSends(db, { limit: WEBMENTIONS_PAGE });
}
