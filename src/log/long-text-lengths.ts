/**
 * The lengths of renders of long strings (a payload's JSON text), remembered up to `maxChars`
 * characters of keys; when full, all are forgotten at once (no recency bookkeeping, as
 * BoundedMemo). A key longer than the whole budget is rendered each time, never kept. The budget
 * bounds what this holds however large the payloads a client sends (HttpMaxBodyBytes).
 *
 * Only the length is kept: storing a view needs the length of its dtm text (packed-view.ts), not
 * the text, and keeping the texts of distinct payloads promoted ~19 KB a saga into V8's old space
 * at 4 KiB payloads (docs/benchmarks.md, "Packed stored views").
 */
export class LongTextLengths {
  readonly #lengths = new Map<string, number>();
  #chars = 0;

  constructor(
    private readonly render: (s: string) => string,
    private readonly maxChars: number,
  ) {}

  of(s: string): number {
    const hit = this.#lengths.get(s);
    if (hit !== undefined) return hit;
    const length = this.render(s).length;
    if (s.length > this.maxChars) return length;
    if (this.#chars + s.length > this.maxChars) {
      this.#lengths.clear();
      this.#chars = 0;
    }
    this.#lengths.set(s, length);
    this.#chars += s.length;
    return length;
  }

  /** Characters of the keys held now. */
  get chars(): number {
    return this.#chars;
  }
}
