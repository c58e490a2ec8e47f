import type { Clock } from './clock.js';

/**
 * Due times of live transactions (DESIGN §4 "Timers"): a min-heap with lazy deletion and a single
 * host timer for the earliest entry. The wheel holds no durable state: it is rebuilt from the
 * transactions' `nextCronTime` on recovery; firing produces a cronFired command.
 */
export class TimerWheel {
  readonly #due = new Map<string, number>();
  readonly #heap: Array<{ at: number; gid: string }> = [];
  #handle: unknown;
  #armedAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly fire: (gid: string, at: number) => void,
  ) {}

  get size(): number {
    return this.#due.size;
  }

  /** Sets (or clears, with undefined) the due time of `gid`. */
  set(gid: string, at: number | undefined): void {
    if (at === undefined) {
      this.#due.delete(gid);
      return;
    }
    if (this.#due.get(gid) === at) return;
    this.#due.set(gid, at);
    this.#compact();
    this.#push({ at, gid });
    if (at < this.#armedAt) this.#arm();
  }

  dueOf(gid: string): number | undefined {
    return this.#due.get(gid);
  }

  stop(): void {
    if (this.#handle !== undefined) this.clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedAt = Infinity;
  }

  #arm(): void {
    if (this.#handle !== undefined) this.clock.clearTimeout(this.#handle);
    const top = this.#heap[0];
    if (top === undefined) {
      this.#handle = undefined;
      this.#armedAt = Infinity;
      return;
    }
    this.#armedAt = top.at;
    // Node caps timers at 2^31-1 ms; a later due time re-arms when this one fires.
    const wait = Math.min(Math.max(0, top.at - this.clock.now()), 2 ** 31 - 1);
    this.#handle = this.clock.setTimeout(() => this.#onTimer(), wait);
  }

  #onTimer(): void {
    this.#handle = undefined;
    this.#armedAt = Infinity;
    const now = this.clock.now();
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || top.at > now) break;
      this.#pop();
      if (this.#due.get(top.gid) !== top.at) continue; // superseded entry
      this.#due.delete(top.gid);
      this.fire(top.gid, top.at);
    }
    this.#arm();
  }

  #push(e: { at: number; gid: string }): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= e.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mAt = last.at;
      if (l < n && h[l]!.at < mAt) {
        m = l;
        mAt = h[l]!.at;
      }
      if (r < n && h[r]!.at < mAt) m = r;
      if (m === i) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
  }

  /** Drops superseded entries once they outnumber live ones (lazy deletion stays bounded). */
  #compact(): void {
    if (this.#heap.length < 1024 || this.#heap.length < 4 * this.#due.size) return;
    this.#heap.length = 0;
    for (const [gid, at] of this.#due) this.#push({ at, gid });
  }
}
