import { afterEach, beforeEach, vi } from "vitest";

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
