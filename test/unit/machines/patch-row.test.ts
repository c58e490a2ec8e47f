import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { newRow, withRow, EMPTY_CONTEXT, type BranchRow } from '../../../machines/index.js';
import { patchRow } from '../../../machines/trans-context.js';

/**
 * `patchRow` writes `{ ...row, ...patch }` out as one literal (withRow's hot path in every fold):
 * for a row made by newRow and any patch of BranchRow keys, explicit undefined values included,
 * the same keys in the same order with the same values.
 */

const value = fc.oneof(fc.constant(undefined), fc.boolean(), fc.integer(), fc.string({ maxLength: 8 }));
const ROW_KEYS = Object.keys(newRow('01', 'action', 'http://b/a', '', 1)) as Array<keyof BranchRow>;
const filled = fc.dictionary(fc.constantFrom(...ROW_KEYS), fc.oneof(fc.boolean(), fc.integer(), fc.string({ maxLength: 8 })), { maxKeys: ROW_KEYS.length }) as fc.Arbitrary<Partial<BranchRow>>;
const patch = fc.dictionary(fc.constantFrom(...ROW_KEYS), value, { maxKeys: ROW_KEYS.length }) as fc.Arbitrary<Partial<BranchRow>>;

describe('patchRow', () => {
  it('equals the two spreads, key order included', () => {
    fc.assert(
      fc.property(patch, filled, (p, values) => {
        // a row that went through earlier patches: any key may hold a value a patch then clears
        const row = { ...newRow('02', 'compensate', 'http://b/c', 'eyJ9', 5), ...values };
        const got = patchRow(row, p);
        const want = { ...row, ...p };
        expect(Object.keys(got)).toEqual(Object.keys(want));
        expect(JSON.stringify(got)).toBe(JSON.stringify(want));
        for (const k of ROW_KEYS) expect(got[k]).toBe(want[k]);
      }),
      { numRuns: 500 },
    );
  });

  it('withRow replaces one row and nothing else', () => {
    const rows = [newRow('01', 'action', 'http://b/1', '', 1), newRow('02', 'action', 'http://b/2', '', 1)];
    const ctx = { ...EMPTY_CONTEXT, branches: rows };
    const next = withRow(ctx, 1, { status: 'succeed', finishTime: 9 });
    expect(next.branches[0]).toBe(rows[0]);
    expect(next.branches[1]).toEqual({ ...rows[1], status: 'succeed', finishTime: 9 });
    expect(ctx.branches[1]!.status).toBe('prepared');
    expect(withRow(ctx, 5, { status: 'failed' })).toBe(ctx);
  });
});
