import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INPUT_BOUNDS } from '../../../src/ingress/schema/input-bounds.js';

/** docs/limits.md lists every bound with its value, and names no bound the code does not have. */
const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/limits.md'), 'utf8');
const rows = new Map([...doc.matchAll(/^\| [^|]+ \| `(\w+)` \| (\d+) \|$/gm)].map((m) => [m[1]!, Number(m[2])]));

describe('docs/limits.md', () => {
  it('documents every bound with its value', () => {
    for (const [key, value] of Object.entries(INPUT_BOUNDS)) expect(rows.get(key), key).toBe(value);
  });
  it('documents no bound that does not exist', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(INPUT_BOUNDS).sort());
  });
});
