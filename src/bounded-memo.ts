/**
 * Answers of a pure function remembered for at most `max` keys; when full, all are forgotten at
 * once (no recency bookkeeping on the hot path: the keys that matter come back at once). For the
 * few values a coordinator computes again and again: instants of views, branch URL targets,
 * outbound decisions. `undefined` is an answer like any other.
 */
export class BoundedMemo<K, V> {
  readonly #answers = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K, compute: (key: K) => V): V {
    const hit = this.#answers.get(key);
    if (hit !== undefined || this.#answers.has(key)) return hit as V;
    const value = compute(key);
    if (this.#answers.size >= this.max) this.#answers.clear();
    this.#answers.set(key, value);
    return value;
  }

  clear(): void {
    this.#answers.clear();
  }
}
