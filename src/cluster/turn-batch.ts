/**
 * Items pushed within one event-loop turn, handed over together at its end: one produce request,
 * one gRPC message or one reply batch for everything a turn's commands and decisions produced.
 * `flush` gets a non-empty array that belongs to it.
 */
export class TurnBatch<T> {
  #items: T[] = [];

  constructor(private readonly flush: (items: T[]) => void) {}

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length === 1) setImmediate(() => this.#hand());
  }

  #hand(): void {
    const items = this.#items;
    this.#items = [];
    if (items.length > 0) this.flush(items);
  }
}
