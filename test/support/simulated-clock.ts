import type { Clock } from '../../src/engine/clock.js';

/**
 * A clock the test moves (STYLE L21, after XState's SimulatedClock): `advance(ms)` fires the due
 * timers in time order, letting the event loop settle after each so the work a timer causes (a
 * command, a batch, an append) completes before the next one fires. Nothing waits for real time.
 */
export class SimulatedClock implements Clock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 10, 29, 12, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers still armed (e.g. a wait_result deadline). */
  get pending(): number {
    return this.#timers.size;
  }

  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= target && (first === undefined || entry[1].at < first[1].at)) first = entry;
      if (first === undefined) break;
      this.#timers.delete(first[0]);
      this.#now = Math.max(this.#now, first[1].at);
      first[1].fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets queued event-loop work run (setImmediate chains, promise continuations). */
export async function settle(turns = 30): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise<void>((r) => setImmediate(r));
}
