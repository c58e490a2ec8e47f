/**
 * Counts of what the fuzz sent and what dtx answered: cases per property, answers per outcome
 * class (status x error code) and per route. `render` is the summary printed after a run.
 */
export class OutcomeTally {
  readonly #cases = new Map<string, number>();
  readonly #classes = new Map<string, number>();
  readonly #routes = new Map<string, Map<string, number>>();
  readonly #notes = new Map<string, number>();
  #requests = 0;

  /** One generated case of `property` (a case may send several requests). */
  countCase(property: string): void {
    bump(this.#cases, property);
  }

  countAnswer(route: string, outcomeClass: string): void {
    this.#requests += 1;
    bump(this.#classes, outcomeClass);
    const perRoute = this.#routes.get(route) ?? new Map<string, number>();
    bump(perRoute, outcomeClass.split(' ')[0]!);
    this.#routes.set(route, perRoute);
  }

  /** A labelled count outside the answer classes (settled transactions, explained 5xx, ...). */
  note(label: string, n = 1): void {
    bump(this.#notes, label, n);
  }

  get cases(): number {
    let n = 0;
    for (const v of this.#cases.values()) n += v;
    return n;
  }

  get requests(): number {
    return this.#requests;
  }

  classes(): ReadonlyMap<string, number> {
    return this.#classes;
  }

  render(title: string): string {
    const lines = [`${title}: ${this.cases} cases, ${this.#requests} requests (pings excluded)`];
    lines.push(`  cases per property: ${fmt(this.#cases)}`);
    lines.push('  outcome classes (status code x error code):');
    for (const [k, v] of sorted(this.#classes)) lines.push(`    ${k.padEnd(36)} ${v}`);
    lines.push('  status codes per route:');
    for (const [route, m] of [...this.#routes].sort(([a], [b]) => a.localeCompare(b))) lines.push(`    ${route.padEnd(18)} ${fmt(m)}`);
    if (this.#notes.size > 0) {
      lines.push('  notes:');
      for (const [k, v] of sorted(this.#notes)) lines.push(`    ${k.padEnd(52)} ${v}`);
    }
    return lines.join('\n');
  }
}

function bump(m: Map<string, number>, k: string, n = 1): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b));
const fmt = (m: ReadonlyMap<string, number>) => sorted(m).map(([k, v]) => `${k}=${v}`).join(' ');
