import type { Clock } from "./clock.js";
import { Denial } from "./errors.js";
import type { Reason } from "./respond/reasons.js";

/**
 * The one per-request deadline: a point in time on the injected clock, and the `AbortSignal` that
 * fires there. Work that may wait on I/O runs under `race` (the request gets its denial on time) and
 * every outbound call gets `signal` or `within(budget)`, so a call the request no longer waits for is
 * cancelled (its socket destroyed) instead of running on in a frozen Lambda.
 *
 * The signal (and its timer) is made on first use: a request answered from caches never arms one.
 */
export class Deadline {
  private armed: AbortSignal | undefined;

  private constructor(
    private readonly clock: Clock,
    /** Milliseconds since the epoch, on `clock`. */
    readonly at: number,
  ) {}

  /** A deadline `ms` from now. */
  static after(clock: Clock, ms: number): Deadline {
    return new Deadline(clock, clock.now() + Math.max(0, ms));
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.clock.now());
  }

  /** Aborts at the deadline. */
  get signal(): AbortSignal {
    return (this.armed ??= this.clock.timeout(this.remainingMs()));
  }

  /** Aborts at the deadline or after `budgetMs`, whichever comes first: one outbound call's bound. */
  within(budgetMs: number): AbortSignal {
    return AbortSignal.any([this.signal, this.clock.timeout(budgetMs)]);
  }

  /** `work`'s result, or a rejection with `Denial(reason)` once the deadline passes first. */
  async race<T>(work: Promise<T>, reason: Reason): Promise<T> {
    const signal = this.signal;
    let onAbort: () => void = () => undefined;
    // A rejected promise carries the Denial: the one place a Denial is built rather than raised by deny().
    const expired = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Denial(reason));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}
