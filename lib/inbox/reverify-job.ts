/**
 * The sweep (a scheduled job): no reply stays `pending` forever. A reply's background verification
 * can be cut off (a restart, a Worker stopped after waitUntil's 30 s); every stored reply therefore
 * has a next check, set at insert (FIRST_CHECK_AFTER_MS) and after each unreachable attempt (backoff),
 * and this job re-verifies the ones that are due, as many as the run's budget holds, oldest first.
 * With `all` (npm run tick -- --all) every reply with a next check is due now.
 */
import type { ScheduledJob } from "../worker-kit/jobs.ts";
import { dueReplies } from "./store.ts";
import { verifyAndRecord } from "./verification.ts";
import { VERIFY_BUDGET } from "./verify-reply.ts";

/** A background verification finishes within VERIFY_BUDGET's 15 s; after this the sweep takes over. */
export const FIRST_CHECK_AFTER_MS = 2 * 60_000;

/** With `all`: a time after every next check (ISO strings compare as dates only with 4-digit years). */
const EVERYTHING_DUE = Date.UTC(9999, 0, 1);

/** At most this many replies are read from D1 per run (the budget usually stops earlier). */
const BATCH = 10;

export const reverifyRepliesJob: ScheduledJob = {
  name: "inbox.reverify",
  everyMinutes: 1,
  async run(context) {
    const due = await dueReplies(context.db, context.all ? EVERYTHING_DUE : context.now, BATCH);
    if (due.length === 0) return { summary: "no reply waits for a check" };
    const counts = { verified: 0, rejected: 0, unreachable: 0 };
    const failures: { target: string; reason: string }[] = [];
    let checked = 0;
    for (const reply of due) {
      // One verification may need its whole share; stop before starting one that cannot finish.
      if (context.budget.subrequestsLeft() < VERIFY_BUDGET.subrequests + 1 || context.budget.refusal()) break;
      const outcome = await verifyAndRecord(
        context.config,
        reply,
        { db: context.db, fetch: context.fetch, allowLoopback: context.allowLoopback, clock: context.clock },
        context.budget.child(VERIFY_BUDGET),
      );
      if (outcome.deferred) break;
      checked += 1;
      counts[outcome.verification as keyof typeof counts] += 1;
      if (outcome.verification === "unreachable") failures.push({ target: `reply ${reply.id} from ${reply.user_link}`, reason: outcome.detail });
    }
    const left = due.length - checked;
    const parts = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`);
    return {
      summary: `checked ${checked} repl${checked === 1 ? "y" : "ies"}${parts.length ? `: ${parts.join(", ")}` : ""}${left > 0 ? `; ${left} more wait for the next run` : ""}`,
      failures,
    };
  },
};
