import { afterEach, beforeEach, vi } from "vitest";
import type { Clock } from "../../src/clock.js";

/**
 * A fake `Date` (timers stay real, so loopback I/O still works) that starts every test at a new
 * integer second T; `at(s)` moves it to T + s.
 */
export function fakeClock(start: number): { at(seconds: number): void; readonly T: number } {
  let T = start;
  const clock = {
    at: (seconds: number) => vi.setSystemTime(new Date((T + seconds) * 1000)),
    get T() {
      return T;
    },
  };
  beforeEach(() => {
    T += 100_000;
    vi.useFakeTimers({ toFake: ["Date"] });
    clock.at(0);
  });
  afterEach(() => vi.useRealTimers());
  return clock;
}

/**
 * An injectable `Clock` (src/clock.ts) whose timeouts fire only when the test moves it: a deadline or a
 * call budget runs out at `advance(ms)`, with no real wait. It starts at `Date.now()` (so it agrees with
 * `fakeClock` at construction) and then moves only when advanced (`vi.waitFor` moving a faked `Date`
 * does not move it).
 */
export class ManualClock implements Clock {
  private readonly start = Date.now();
  private offset = 0;
  private readonly pending: { at: number; controller: AbortController }[] = [];

  now(): number {
    return this.start + this.offset;
  }

  timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    this.pending.push({ at: this.now() + Math.max(0, ms), controller });
    this.fire();
    return controller.signal;
  }

  /** Moves the clock on by `ms`; every timeout due by then aborts (reason: a `TimeoutError`). */
  advance(ms: number): void {
    this.offset += ms;
    this.fire();
  }

  private fire(): void {
    const now = this.now();
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i];
      if (p !== undefined && p.at <= now) {
        this.pending.splice(i, 1);
        p.controller.abort(new DOMException("The operation timed out", "TimeoutError"));
      }
    }
  }
}

/**
 * An injectable `Clock` whose `now()` follows `Date` (so `fakeClock`'s `at()` moves it) and whose
 * timeouts fire only when the test says so: `expire(budgetMs)` aborts every pending timeout that was
 * asked for `budgetMs` or less. A suite that drives real loopback servers with it cannot fail because
 * a loaded machine took longer than a budget: a budget runs out exactly when the test runs it out.
 */
export class HeldClock implements Clock {
  private pending: { ms: number; controller: AbortController }[] = [];

  now(): number {
    return Date.now();
  }

  timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    this.pending.push({ ms: Math.max(0, ms), controller });
    return controller.signal;
  }

  /** Runs out every pending budget of at most `budgetMs` (reason: a `TimeoutError`); returns how many. */
  expire(budgetMs: number): number {
    const due = this.pending.filter((p) => p.ms <= budgetMs);
    this.pending = this.pending.filter((p) => p.ms > budgetMs);
    for (const p of due) p.controller.abort(new DOMException("The operation timed out", "TimeoutError"));
    return due.length;
  }

  /** Forgets every pending timeout (the requests that asked for them are over). */
  clear(): void {
    this.pending = [];
  }
}
