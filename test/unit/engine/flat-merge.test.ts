import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { merged } from '../../../src/engine/flat-machine.js';

/**
 * `merged` is XState's assign merge, `Object.assign({}, old, update)`, with a fast path for an
 * update that holds old's keys first and in old's order: the result has the same keys in the same
 * order, the same values and the same prototype either way.
 */

function expectSameAsAssign(old: object, update: object): void {
  const want = Object.assign({}, old, update) as Record<string, unknown>;
  const got = merged(old, update) as Record<string, unknown>;
  expect(got).not.toBe(update);
  expect(got).not.toBe(old);
  expect(Object.keys(got)).toEqual(Object.keys(want));
  expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(want));
  for (const k of Object.keys(want)) expect(got[k]).toBe(want[k]);
}

describe('merged (the flat fold assign)', () => {
  it('a whole new context with the same keys in the same order: a copy of it', () => {
    const old = { a: 1, b: 'x', c: undefined };
    const update = { ...old, b: 'y', c: 3 };
    expectSameAsAssign(old, update);
    expect(merged(old, update)).toEqual({ a: 1, b: 'y', c: 3 });
  });

  it('extra keys after old ones are appended; keys in another order or missing keep old positions', () => {
    expectSameAsAssign({ a: 1, b: 2 }, { a: 3, b: 4, z: 5 });
    expectSameAsAssign({ a: 1, b: 2 }, { b: 4, a: 3 });
    expectSameAsAssign({ a: 1, b: 2, c: 3 }, { a: 9, c: 8 });
    expectSameAsAssign({ a: 1, b: 2 }, { z: 1, a: 2, b: 3 });
    expectSameAsAssign({ a: 1 }, {});
    expectSameAsAssign({}, { a: 1 });
  });

  it('integer-like keys, which every copy orders first, are merged as Object.assign merges them', () => {
    expectSameAsAssign({ b: 1, 2: 'x', a: 2 }, { b: 3, 2: 'y', a: 4 });
    expectSameAsAssign({ b: 1, a: 2 }, { b: 3, a: 4, 1: 'z' });
  });

  it('an own __proto__ key in the update sets the prototype, as Object.assign does', () => {
    const old = { a: 1 };
    const update = JSON.parse('{"a":2,"__proto__":{"polluted":true}}') as object;
    expectSameAsAssign(old, update);
    expect((merged(old, update) as { polluted?: boolean }).polluted).toBe(true);
    expect(Object.hasOwn(merged(old, update), '__proto__')).toBe(false);
  });

  it('any two key lists: the same result as Object.assign', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', '0', '7');
    const obj = fc.uniqueArray(fc.tuple(key, fc.integer()), { selector: ([k]) => k, maxLength: 7 }).map((kv) => Object.fromEntries(kv) as object);
    fc.assert(
      fc.property(obj, obj, fc.boolean(), (old, other, prefix) => {
        // half the runs: an update that starts with old's keys in old's order (the fast path)
        const update = prefix ? { ...Object.fromEntries(Object.keys(old).map((k) => [k, 1])), ...other } : other;
        expectSameAsAssign(old, update);
      }),
      { numRuns: 500 },
    );
  });
});
