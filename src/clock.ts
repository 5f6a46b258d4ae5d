/**
 * The one injectable clock. Every time-based decision (token times, cache ages and expiries, the
 * per-request deadline, the budget of each outbound call) asks it, so tests move time instead of
 * sleeping (test/support/clock.ts). Durations reported in the audit line are measured with
 * `performance.now()`: they describe the run, they decide nothing.
 */
export interface Clock {
  /** Wall time in milliseconds since the epoch. */
  now(): number;
  /** A signal that aborts (reason: a `TimeoutError`) once `ms` milliseconds have passed. */
  timeout(ms: number): AbortSignal;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  timeout: (ms) => AbortSignal.timeout(Math.max(1, Math.ceil(ms))),
};

/** Seconds since the epoch, with a fraction: the unit of JWT times. */
export const nowSeconds = (clock: Clock): number => clock.now() / 1000;
