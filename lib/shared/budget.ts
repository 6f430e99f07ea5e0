/**
 * One invocation's budget on the free plan: 50 subrequests (outgoing fetches, every redirect hop
 * included, and D1 queries, a batch counting as one), a wall-clock deadline for work that waits on
 * strangers' servers, and a cap on the bytes read from them. Every fetch of a stranger's URL and every
 * D1 call of a scheduled job draws from the same Budget, so a run can never exceed the platform's
 * limits however many feeds, replies or notifications are waiting: what does not fit waits for the
 * next run.
 *
 * The clock is passed in (lib/ reads no clock itself); in Workers it advances with I/O, which is what
 * a deadline for network waits needs.
 */
import type { DbUsage } from "./d1.ts";

export interface BudgetLimits {
  /** Outgoing fetches (each redirect hop counts) plus D1 calls. */
  subrequests: number;
  /** Bytes read from remote bodies, in total. */
  bytes: number;
  /** Milliseconds from the budget's creation. */
  durationMs: number;
}

/** The free plan allows 50 subrequests; keep a margin for the bookkeeping a run does at its end. */
export const RUN_LIMITS: BudgetLimits = { subrequests: 45, bytes: 8 * 1024 * 1024, durationMs: 25_000 };

export class Budget {
  private ownFetches = 0;
  private ownBytes = 0;
  readonly deadline: number;

  constructor(
    readonly limits: BudgetLimits,
    private readonly clock: () => number,
    /** D1 calls made through a meter count as subrequests too. */
    private readonly dbUsage?: DbUsage,
    /** Spending here is spending there too (a task's budget inside its run's). */
    private readonly parent?: Budget,
  ) {
    this.deadline = clock() + limits.durationMs;
  }

  get fetches(): number {
    return this.ownFetches;
  }

  get bytesRead(): number {
    return this.ownBytes;
  }

  get subrequests(): number {
    return this.ownFetches + (this.dbUsage?.calls ?? 0);
  }

  /** Subrequests that may still be made here (and in every budget this one is part of). */
  subrequestsLeft(): number {
    const own = this.limits.subrequests - this.subrequests;
    return Math.max(0, this.parent ? Math.min(own, this.parent.subrequestsLeft()) : own);
  }

  msLeft(): number {
    return Math.max(0, this.deadline - this.clock());
  }

  bytesLeft(): number {
    return Math.max(0, this.limits.bytes - this.ownBytes);
  }

  recordFetch(): void {
    this.ownFetches += 1;
    this.parent?.recordFetch();
  }

  recordBytes(bytes: number): void {
    this.ownBytes += bytes;
    this.parent?.recordBytes(bytes);
  }

  /** Why no further fetch may start, or undefined when one may. */
  refusal(): string | undefined {
    const fromParent = this.parent?.refusal();
    if (fromParent) return fromParent;
    if (this.subrequestsLeft() < 1) return `the ${this.limits.subrequests} subrequests allowed are used up`;
    if (this.msLeft() <= 0) return `the ${Math.round(this.limits.durationMs / 1000)} s allowed are used up`;
    if (this.bytesLeft() <= 0) return `the ${this.limits.bytes} bytes allowed are used up`;
    return undefined;
  }

  /**
   * Why the budgets this one is part of refuse (the run is out), as opposed to this task's own cap:
   * a task stopped by the run waits for the next run; a task over its own cap is too costly.
   */
  inheritedRefusal(): string | undefined {
    return this.parent?.refusal();
  }

  /** A smaller budget for one task of this run: its own caps, and every fetch also counts here. */
  child(limits: Partial<BudgetLimits>): Budget {
    return new Budget(
      {
        subrequests: Math.min(limits.subrequests ?? Number.POSITIVE_INFINITY, this.subrequestsLeft()),
        bytes: Math.min(limits.bytes ?? Number.POSITIVE_INFINITY, this.bytesLeft()),
        durationMs: Math.min(limits.durationMs ?? Number.POSITIVE_INFINITY, this.msLeft()),
      },
      this.clock,
      undefined,
      this,
    );
  }
}
