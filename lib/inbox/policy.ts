/**
 * Who may write to the inbox (spec "Private Messaging": the message element's accept attribute;
 * spec "Blocking": a service-level ban on contacting the user). One policy governs both endpoints.
 *
 *   everyone  anyone not blocked
 *   follows   only accounts in the owner's follows list
 *   selected  the follows list plus the profile's `selected` senders
 *   off       nobody (and the functions expose no endpoint at all)
 *
 * Blocked beats everything. A sender matches an entry by user_id OR by normalized user_link:
 * either is enough, so a sender cannot dodge a block by changing only one of them.
 */
import type { Identity, SiteConfig } from "../shared/site-config.ts";
import { normalizeUserLink } from "../shared/urls.ts";

export type PolicyDecision = "accept" | "blocked" | "not-accepted";

export interface Sender {
  user_id: string;
  user_link: string;
}

export function matchesAny(entries: readonly Identity[], sender: Sender): boolean {
  const link = normalizeUserLink(sender.user_link);
  return entries.some((entry) => (entry.user_id !== undefined && entry.user_id === sender.user_id) || (link !== undefined && entry.link === link));
}

export function decide(config: Pick<SiteConfig, "accept" | "follows" | "blocks" | "selected">, sender: Sender): PolicyDecision {
  if (matchesAny(config.blocks, sender)) return "blocked";
  switch (config.accept) {
    case "everyone":
      return "accept";
    case "follows":
      return matchesAny(config.follows, sender) ? "accept" : "not-accepted";
    case "selected":
      return matchesAny(config.follows, sender) || matchesAny(config.selected, sender) ? "accept" : "not-accepted";
    default:
      return "not-accepted";
  }
}
