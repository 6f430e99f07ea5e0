/**
 * One verification attempt of a stored reply, and what it leaves in D1: the outcome, the replier's
 * item, the attempt counted, and the next check (unreachable: backoff, RETRY_AFTER_MINUTES; verified
 * or rejected: none). Used by the POST handler's background task and by the sweep (reverify-job.ts),
 * so a reply is checked the same way whoever checks it.
 */
import { Budget } from "../shared/budget.ts";
import type { Db } from "../shared/d1.ts";
import type { SiteConfig } from "../shared/site-config.ts";
import { type DueReply, recordVerification } from "./store.ts";
import { nextCheckAfter, VERIFY_BUDGET, type VerifyOutcome, verifyReply } from "./verify-reply.ts";

export interface VerificationDeps {
  db: Db;
  fetch: typeof fetch;
  allowLoopback: boolean;
  /** A clock that advances: the record's time and the budget's deadline. */
  clock: () => number;
}

/** Verify `reply` within `budget` (default: its own VERIFY_BUDGET) and store the outcome. */
export async function verifyAndRecord(config: SiteConfig, reply: DueReply, deps: VerificationDeps, budget?: Budget): Promise<VerifyOutcome> {
  let outcome: VerifyOutcome;
  try {
    outcome = await verifyReply(
      { owner: config.owner, postId: reply.post_id, sender: { user_id: reply.user_id, user_link: reply.user_link }, statusId: reply.status_id },
      { fetch: deps.fetch, allowLoopback: deps.allowLoopback, budget: budget ?? new Budget(VERIFY_BUDGET, deps.clock) },
    );
  } catch (error) {
    console.error("skein inbox: reply verification failed", error);
    outcome = { verification: "unreachable", detail: "verification stopped on an unexpected error" };
  }
  // Out of our own budget: leave the row as it is; the sweep takes it in a later run.
  if (outcome.deferred) return outcome;
  const at = deps.clock();
  const attempts = reply.attempts + 1;
  const record = {
    verification: outcome.verification,
    detail:
      outcome.verification === "unreachable" && nextCheckAfter(attempts, at) === null
        ? `${outcome.detail} (gave up after ${attempts} attempts)`
        : outcome.detail,
    atMs: at,
    nextCheckAtMs: outcome.verification === "unreachable" ? nextCheckAfter(attempts, at) : null,
    ...(outcome.item ? { item: outcome.item } : {}),
  };
  await recordVerification(deps.db, reply.id, record);
  return outcome;
}
