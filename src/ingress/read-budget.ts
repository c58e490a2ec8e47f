/** Gives a reservation back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  readonly bytes: number;
  readonly grant: (release: Release) => void;
  cancelled: boolean;
}

/**
 * The bytes requests may buffer while their bodies or messages are being read, over every
 * connection of both ingresses (`HttpMaxBodyBytesInFlight`). Each body or message is bounded on
 * its own (`HttpMaxBodyBytes`); this bounds their sum, so that slow senders, however many, cannot
 * exhaust the machine's memory. A reservation larger than the cap is taken as the cap: one largest
 * body always fits on its own.
 *
 * HTTP asks with `tryReserve` and answers 503 when refused (it cannot hold a request back without
 * holding its socket's bytes); gRPC waits in `reserve`, first come first served, with its stream
 * paused, so that HTTP/2 flow control keeps the sender's bytes on the sender's side. `tryReserve`
 * refuses while anyone waits: HTTP cannot overtake the queue.
 */
export class ReadBudget {
  readonly #cap: number;
  #held = 0;
  readonly #queue: Waiter[] = [];
  #head = 0;
  #granting = false;

  constructor(cap: number) {
    this.#cap = cap;
  }

  get cap(): number {
    return this.#cap;
  }

  /** Bytes reserved now. */
  get held(): number {
    return this.#held;
  }

  /** Reservations waiting for bytes to be released. */
  get waiting(): number {
    let n = 0;
    for (let i = this.#head; i < this.#queue.length; i++) if (!this.#queue[i]!.cancelled) n++;
    return n;
  }

  /** Reserves `bytes` now, or refuses (undefined) when they do not fit or others wait. */
  tryReserve(bytes: number): Release | undefined {
    const b = Math.min(bytes, this.#cap);
    if (this.#hasWaiters() || this.#held + b > this.#cap) return undefined;
    return this.#take(b);
  }

  /**
   * Calls `grant` with a reservation of `bytes`: at once when they fit and no one waits, else
   * once enough is released, in the order asked. The returned function withdraws a request not
   * granted yet (a granted one is given back through its `Release`).
   */
  reserve(bytes: number, grant: (release: Release) => void): () => void {
    const release = this.tryReserve(bytes);
    if (release !== undefined) {
      grant(release);
      return () => {};
    }
    const waiter: Waiter = { bytes: Math.min(bytes, this.#cap), grant, cancelled: false };
    this.#queue.push(waiter);
    return () => {
      waiter.cancelled = true;
      this.#grantWaiters(); // a cancelled head may have held back those behind it
    };
  }

  #take(bytes: number): Release {
    this.#held += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= bytes;
      this.#grantWaiters();
    };
  }

  #hasWaiters(): boolean {
    this.#dropCancelledHead();
    return this.#head < this.#queue.length;
  }

  #dropCancelledHead(): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.cancelled) this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head); // a queue that never empties does not grow without end
      this.#head = 0;
    }
  }

  /** Grants waiters in order while the head fits. A grant that releases at once re-enters: it is looped, not recursed. */
  #grantWaiters(): void {
    if (this.#granting) return;
    this.#granting = true;
    try {
      for (;;) {
        this.#dropCancelledHead();
        const next = this.#queue[this.#head];
        if (next === undefined || this.#held + next.bytes > this.#cap) return;
        this.#head++;
        next.grant(this.#take(next.bytes));
      }
    } finally {
      this.#granting = false;
    }
  }
}
