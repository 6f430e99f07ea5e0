/**
 * The Worker's clock and network as the app and the scheduled handler use them: the options the
 * entry (or a test) gives, with the real clock, the real fetch and the inbox's verification budget
 * wherever an option is left out.
 */
import { VERIFY_BUDGET } from "../inbox/verify-reply.ts";
import type { WorkerDeps, WorkerOptions } from "../worker-kit/env.ts";

export function workerDeps(options: WorkerOptions): WorkerDeps {
  return {
    now: options.now ?? (() => Date.now()),
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    verifyBudget: { ...VERIFY_BUDGET, ...options.verifyBudget },
  };
}
