/**
 * Time as a port (STYLE L3): every timer of the engine (timer wheel, wait_result deadlines, the
 * retry of a branch result whose append failed) goes through a Clock, so the in-process engine
 * tests drive time with a simulated clock (`advance(ms)`) instead of waiting for it. Machines never
 * see a clock: time enters them as event `at`.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall-clock time; its timers never keep the process alive on their own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
