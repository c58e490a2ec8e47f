/**
 * Keeps a failure that repeats from flooding the log: the first of a kind is let through, then
 * at most one per `windowMs`, carrying how many were held back since the last one let through.
 * A full disk fails every commit; without this each one wrote an error line with its stack to a
 * log that often lives on that same disk.
 *
 * With `maxWindowMs` above `windowMs` a kind that keeps recurring waits longer each time: when it
 * comes back within a window of its window's end, its next window is twice as long, up to
 * `maxWindowMs`; when it comes back only later, the window is `windowMs` again (a broker away for
 * hours is reported often at first, then every few minutes).
 */
export class RepeatGate {
  readonly #seen = new Map<string, { next: number; held: number; window: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
    /** distinct kinds remembered; beyond it the oldest is forgotten (it is then let through again) */
    private readonly maxKinds = 64,
    /** the longest window of a kind that keeps recurring (no growth: `windowMs`) */
    private readonly maxWindowMs = windowMs,
  ) {}

  /** undefined: hold this one back; else how many of its kind were held back since the last one let through. */
  pass(kind: string): number | undefined {
    const now = this.now();
    const seen = this.#seen.get(kind);
    if (seen !== undefined && now < seen.next) {
      seen.held += 1;
      return undefined;
    }
    const held = seen?.held ?? 0;
    // back within a window of its window's end (held back meanwhile or not): the next window is longer
    const recurring = seen !== undefined && now < seen.next + seen.window;
    const window = recurring ? Math.min(seen.window * 2, this.maxWindowMs) : this.windowMs;
    this.#seen.delete(kind); // re-inserted last: the map's order is the order kinds were last let through
    if (this.#seen.size >= this.maxKinds) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(kind, { next: now + window, held: 0, window });
    return held;
  }

  /** The trouble is over: forgets every kind (the next is let through at once); how many were held back since their last line. */
  clear(): number {
    let held = 0;
    for (const seen of this.#seen.values()) held += seen.held;
    this.#seen.clear();
    return held;
  }
}

/**
 * The kind of an error for a RepeatGate: its code (CoordinatorError, SQLite, Node) and message,
 * bounded, numbers masked: the same failure of partition 3 and of partition 12 (a broker down) is
 * one kind, not one per partition.
 */
export function errorKind(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return `${typeof code === 'string' ? code : ''}:${message.slice(0, 200).replace(/\d+/g, '#')}`;
}

/** A gated line's message: `message`, and how many like it were held back since the line before (RepeatGate.pass). */
export function withRecurred(message: string, recurred: number): string {
  return recurred > 0 ? `${message} (${recurred} more like it since the last line)` : message;
}
