/** A readable structural diff of two JSON values: one entry per differing path. */
export interface DiffEntry {
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function jsonDiff(expected: unknown, actual: unknown, path = '$', out: DiffEntry[] = [], max = 50): DiffEntry[] {
  if (out.length >= max) return out;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n; i++) jsonDiff(expected[i], actual[i], `${path}[${i}]`, out, max);
    return out;
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of [...keys].sort()) jsonDiff(expected[k], actual[k], `${path}.${k}`, out, max);
    return out;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual)) out.push({ path, expected, actual });
  return out;
}

export function formatDiff(diff: readonly DiffEntry[]): string {
  return diff.map((d) => `  ${d.path}\n    replayed: ${JSON.stringify(d.expected)}\n    reported: ${JSON.stringify(d.actual)}`).join('\n');
}
