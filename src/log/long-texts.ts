/**
 * Renders of long strings (a payload's JSON text), remembered up to `maxChars` characters of keys
 * and renders together; when full, all are forgotten at once (no recency bookkeeping, as
 * BoundedMemo). A string longer than the whole budget is rendered each time, never kept. The
 * budget bounds what this holds however large the payloads a client sends (HttpMaxBodyBytes).
 */
export class LongTexts {
  readonly #texts = new Map<string, string>();
  #chars = 0;

  constructor(
    private readonly render: (s: string) => string,
    private readonly maxChars: number,
  ) {}

  of(s: string): string {
    const hit = this.#texts.get(s);
    if (hit !== undefined) return hit;
    const text = this.render(s);
    const chars = s.length + text.length;
    if (chars > this.maxChars) return text;
    if (this.#chars + chars > this.maxChars) {
      this.#texts.clear();
      this.#chars = 0;
    }
    this.#texts.set(s, text);
    this.#chars += chars;
    return text;
  }

  /** Characters held now (keys and renders). */
  get chars(): number {
    return this.#chars;
  }
}
